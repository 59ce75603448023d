package bot_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// exportNow is the time of every export in these tests.
var exportNow = time.Date(2026, 11, 23, 16, 49, 4, 0, time.FixedZone("CET", 3600))

// exportRun is a run whose timeline holds everything an export must
// escape, a deleted event, and events out of time order.
func exportRun() bot.Run {
	const (
		runID = "rrrrrrrrrrrrrrrrrrrrrrrrrr"
		owner = "oooooooooooooooooooooooooo"
		alice = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	)
	at := func(s int) int64 { return time.Date(2026, 11, 23, 9, 0, s, 123e6, time.UTC).UnixMilli() }
	ev := func(id string, sec int, typ, summary, details string) bot.TimelineEvent {
		return bot.TimelineEvent{ID: id, RunID: runID, CreateAt: at(sec), EventAt: at(sec), EventType: typ,
			Summary: summary, Details: details, CreatorUserID: alice}
	}
	deleted := ev("e5", 3, bot.EventStatusUpdated, "deleted secret", "must not appear")
	deleted.DeleteAt = at(9)
	owned := ev("e3", 4, bot.EventOwnerChanged, "Owner changed from @bob to @carol", "")
	owned.SubjectUserID = owner
	return bot.Run{
		ID: runID, Name: "Checkout | errors: ünïcødé 🚒", OwnerUserID: owner, TeamID: "tttttttttttttttttttttttttt",
		IsActive: true, CurrentStatus: bot.StatusInProgress,
		TimelineEvents: []bot.TimelineEvent{
			ev("e2", 2, bot.EventStatusUpdated, "a | b, \"quoted\"", "line one\nline two\r\nline three"),
			ev("e1", 1, bot.EventRunCreated, "Run started by @alice", ""),
			deleted,
			owned,
			ev("e4", 5, bot.EventItemUpdated, "=HYPERLINK(\"http://evil\",\"x\")", "+1 -2 @sum"),
			ev("e6", 6, bot.EventRanSlashCommand, `back\slash \| <b>html</b>`, "Grüße, 日本語, naïve café"),
			ev("e7", 6, bot.EventRunFinished, "-tie after e6", "\ttab first"),
		},
	}
}

func TestExportTimeline(t *testing.T) {
	empty := bot.Run{ID: "rrrrrrrrrrrrrrrrrrrrrrrrrr", Name: "Quiet", OwnerUserID: "oooooooooooooooooooooooooo"}
	for _, tt := range []struct {
		name     string
		run      bot.Run
		format   string
		wantType string
		golden   string
	}{
		{name: "json", run: exportRun(), format: "json", wantType: "application/json", golden: "timeline_export.json"},
		{name: "default is json", run: exportRun(), format: "", wantType: "application/json", golden: "timeline_export.json"},
		{name: "markdown", run: exportRun(), format: "markdown", wantType: "text/markdown; charset=utf-8", golden: "timeline_export.md"},
		{name: "case-insensitive", run: exportRun(), format: "Markdown", wantType: "text/markdown; charset=utf-8", golden: "timeline_export.md"},
		{name: "csv", run: exportRun(), format: "csv", wantType: "text/csv; charset=utf-8", golden: "timeline_export.csv"},
		{name: "empty json", run: empty, format: "json", wantType: "application/json", golden: "timeline_export_empty.json"},
		{name: "empty markdown", run: empty, format: "markdown", wantType: "text/markdown; charset=utf-8", golden: "timeline_export_empty.md"},
		{name: "empty csv", run: empty, format: "csv", wantType: "text/csv; charset=utf-8", golden: "timeline_export_empty.csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := cloneEvents(tt.run.TimelineEvents)
			body, ct, err := bot.ExportTimeline(tt.run, tt.format, exportNow)
			if err != nil {
				t.Fatalf("ExportTimeline: got error %v, want nil", err)
			}
			if ct != tt.wantType {
				t.Errorf("got content type %q, want %q", ct, tt.wantType)
			}
			if diff := cmp.Diff(before, tt.run.TimelineEvents); diff != "" {
				t.Errorf("ExportTimeline changed the run's events (-want +got):\n%s", diff)
			}
			checkGolden(t, filepath.Join("testdata", tt.golden), body)
		})
	}
}

func TestExportTimelineUnknownFormat(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format string
	}{
		{name: "xml", format: "xml"},
		{name: "extension rather than name", format: "md"},
		{name: "content type rather than name", format: "text/csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, ct, err := bot.ExportTimeline(exportRun(), tt.format, exportNow)
			var be *bot.Error
			if !errors.As(err, &be) || be.Code != bot.EInvalid || be.Field != "format" {
				t.Fatalf("got error %v, want an EInvalid *bot.Error on field format", err)
			}
			if body != nil || ct != "" {
				t.Errorf("got body %q and content type %q, want none", body, ct)
			}
			if _, err := bot.TimelineFilename(exportRun(), tt.format); bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("TimelineFilename: got error %v, want EInvalid", err)
			}
		})
	}
}

// TestExportTimelineCSVRoundTrip checks that a CSV reader gets every cell
// back as it was, but for the quote that defuses formulas.
func TestExportTimelineCSVRoundTrip(t *testing.T) {
	body, _, err := bot.ExportTimeline(exportRun(), "csv", exportNow)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	var got [][2]string
	for _, row := range rows[1:] {
		got = append(got, [2]string{row[3], row[4]})
	}
	want := [][2]string{
		{"Run started by @alice", ""},
		{"a | b, \"quoted\"", "line one\nline two\nline three"}, // encoding/csv reads \r\n in a field as \n
		{"Owner changed from @bob to @carol", ""},
		{"'=HYPERLINK(\"http://evil\",\"x\")", "'+1 -2 @sum"},
		{`back\slash \| <b>html</b>`, "Grüße, 日本語, naïve café"},
		{"'-tie after e6", "'\ttab first"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CSV summary and details mismatch (-want +got):\n%s", diff)
	}
}

// TestExportTimelineJSON checks the JSON form decodes to the events in
// order, deleted ones left out, with times in UTC.
func TestExportTimelineJSON(t *testing.T) {
	body, _, err := bot.ExportTimeline(exportRun(), "json", exportNow)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ExportedAt string `json:"exported_at"`
		Events     []struct {
			ID   string `json:"id"`
			At   string `json:"at"`
			AtMs int64  `json:"at_ms"`
		} `json:"events"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if want := "2026-11-23T15:49:04Z"; doc.ExportedAt != want {
		t.Errorf("got exported_at %q, want %q", doc.ExportedAt, want)
	}
	var ids []string
	for _, e := range doc.Events {
		ids = append(ids, e.ID)
		if got := time.UnixMilli(e.AtMs).UTC().Format(time.RFC3339); got != e.At {
			t.Errorf("event %s: got at %q, want %q from at_ms %d", e.ID, e.At, got, e.AtMs)
		}
	}
	if diff := cmp.Diff([]string{"e1", "e2", "e3", "e4", "e6", "e7"}, ids); diff != "" {
		t.Errorf("event IDs mismatch (-want +got):\n%s", diff)
	}
}

func TestTimelineFilename(t *testing.T) {
	for _, tt := range []struct {
		name, runName, format, want string
	}{
		{name: "markdown", runName: "Checkout errors", format: "markdown", want: "checkout-errors-timeline.md"},
		{name: "csv", runName: "Checkout errors", format: "csv", want: "checkout-errors-timeline.csv"},
		{name: "json", runName: "Checkout errors", format: "json", want: "checkout-errors-timeline.json"},
		{name: "punctuation and quotes", runName: `  "DB" down!! (prod/eu-1)  `, format: "csv", want: "db-down-prod-eu-1-timeline.csv"},
		{name: "non-ASCII dropped", runName: "Störung 🚒 im Zahlungsverkehr", format: "csv", want: "st-rung-im-zahlungsverkehr-timeline.csv"},
		{name: "nothing left", runName: "日本語", format: "markdown", want: "run-timeline.md"},
		{name: "long name cut", runName: "a very long incident name that goes on and on and on and on and on and on", format: "csv",
			want: "a-very-long-incident-name-that-goes-on-and-on-and-on-and-on-a-timeline.csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bot.TimelineFilename(bot.Run{Name: tt.runName}, tt.format)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func cloneEvents(events []bot.TimelineEvent) []bot.TimelineEvent {
	return append([]bot.TimelineEvent(nil), events...)
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}
