package api_test

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

func TestTimeline(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		id := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Outage").ID
		run, item := "/runs/"+id, "/runs/"+id+"/checklists/0/item/0"
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", run, map[string]any{"active_stage": 1}},
			{"POST", run + "/status", map[string]any{"message": "Looking", "reminder": 60}},
			{"POST", run + "/owner", map[string]any{"owner_id": bot.NewID()}},
			{"POST", run + "/checklists/0/add", map[string]any{"title": "New"}},
			{"PUT", run + "/checklists/0/reorder", map[string]any{"item_num": 3, "new_location": 0}},
			{"PUT", item, map[string]any{"title": "Renamed", "command": "/x"}},
			{"PUT", item + "/state", map[string]any{"new_state": "closed"}},
			{"PUT", item + "/assignee", map[string]any{"assignee_id": bot.NewID()}},
			{"DELETE", item, nil},
			{"PUT", run + "/end", nil},
			{"PUT", run + "/restart", nil},
		} {
			if r := e.call(t, c.method, c.path, c.body); r.status != http.StatusOK && r.status != http.StatusNoContent {
				t.Fatalf("%s %s: got status %d; %s", c.method, c.path, r.status, r.body)
			}
		}
		var raw map[string]any
		e.call(t, "GET", run, nil).want(t, http.StatusOK).decode(t, &raw)
		if _, ok := raw["timeline_events"].([]any); !ok {
			t.Fatalf("run JSON has no timeline_events list: %v", raw["timeline_events"])
		}
		events := e.getRun(t, id).TimelineEvents
		want := []string{
			bot.EventRunCreated, bot.EventStageChanged, bot.EventStatusUpdated, bot.EventReminderSet, bot.EventOwnerChanged,
			bot.EventItemAdded, bot.EventItemMoved, bot.EventItemUpdated, bot.EventTaskStateChanged,
			bot.EventAssigneeChanged, bot.EventItemDeleted, bot.EventRunFinished, bot.EventReminderCanceled,
			bot.EventRunRestarted,
		}
		if diff := cmp.Diff(want, eventTypes(events)); diff != "" {
			t.Fatalf("timeline mismatch (-want +got):\n%s", diff)
		}
		for i, ev := range events {
			if ev.RunID != id || ev.CreatorUserID != e.userID || ev.EventAt == 0 || (i > 0 && ev.EventAt < events[i-1].EventAt) {
				t.Errorf("event %d: got %+v", i, ev)
			}
		}

		gone := events[2]
		e.call(t, "DELETE", run+"/timeline/"+gone.ID+"/", nil).want(t, http.StatusNoContent)
		after := e.getRun(t, id).TimelineEvents
		want = append(append(append([]string{}, want[:2]...), want[3:]...), bot.EventEventDeleted)
		if diff := cmp.Diff(want, eventTypes(after)); diff != "" {
			t.Errorf("timeline after delete mismatch (-want +got):\n%s", diff)
		}
		e.call(t, "DELETE", run+"/timeline/"+gone.ID, nil).wantError(t, http.StatusNotFound)
		record := after[len(after)-1]
		e.call(t, "DELETE", run+"/timeline/"+record.ID, nil).wantError(t, http.StatusBadRequest)
	})
}

func eventTypes(events []bot.TimelineEvent) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.EventType)
	}
	return out
}

// exportedAtLine finds the export time in a Markdown export.
var exportedAtLine = regexp.MustCompile(`Exported: (\S+)`)

func TestExportTimeline(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		id := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "DB down | eu-1 (Störung)").ID
		run, path := "/runs/"+id, "/runs/"+id+"/timeline"
		const message = "=HYPERLINK(\"http://evil\")|a, \"b\"\nnext line — ünïcødé"
		e.call(t, "POST", run+"/status", map[string]any{"message": "gone secret", "reminder": 60}).want(t, http.StatusOK)
		e.call(t, "POST", run+"/status", map[string]any{"message": message, "reminder": 60}).want(t, http.StatusOK)
		gone := findEvent(t, e.getRun(t, id).TimelineEvents, "gone secret")
		e.call(t, "DELETE", run+"/timeline/"+gone.ID, nil).want(t, http.StatusNoContent)
		r := e.getRun(t, id) // the run the export must render
		if slices.ContainsFunc(r.TimelineEvents, func(ev bot.TimelineEvent) bool { return ev.ID == gone.ID }) {
			t.Fatalf("deleted event %s still in the run's timeline", gone.ID)
		}
		status := findEvent(t, r.TimelineEvents, message)

		for _, tt := range []struct {
			name, query, accept string
			wantFormat          string
			wantType            string
			wantDisposition     string
		}{
			{name: "json by default", wantFormat: "json", wantType: "application/json"},
			{name: "json", query: "?format=json", wantFormat: "json", wantType: "application/json"},
			{name: "markdown", query: "?format=markdown", wantFormat: "markdown", wantType: "text/markdown; charset=utf-8",
				wantDisposition: `attachment; filename="db-down-eu-1-st-rung-timeline.md"`},
			{name: "csv", query: "?format=csv", wantFormat: "csv", wantType: "text/csv; charset=utf-8",
				wantDisposition: `attachment; filename="db-down-eu-1-st-rung-timeline.csv"`},
			{name: "markdown by Accept", accept: "text/markdown", wantFormat: "markdown", wantType: "text/markdown; charset=utf-8",
				wantDisposition: `attachment; filename="db-down-eu-1-st-rung-timeline.md"`},
			{name: "csv by Accept quality", accept: "text/markdown;q=0.5, text/csv", wantFormat: "csv", wantType: "text/csv; charset=utf-8",
				wantDisposition: `attachment; filename="db-down-eu-1-st-rung-timeline.csv"`},
			{name: "format beats Accept", query: "?format=csv", accept: "text/markdown", wantFormat: "csv", wantType: "text/csv; charset=utf-8",
				wantDisposition: `attachment; filename="db-down-eu-1-st-rung-timeline.csv"`},
			{name: "unknown Accept gets json", accept: "text/html, */*;q=0.1", wantFormat: "json", wantType: "application/json"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				h := http.Header{"Authorization": {"Bearer " + e.token}}
				if tt.accept != "" {
					h.Set("Accept", tt.accept)
				}
				res := e.send(t, "GET", path+tt.query, h, nil).want(t, http.StatusOK)
				if got := res.header.Get("Content-Type"); got != tt.wantType {
					t.Errorf("got Content-Type %q, want %q", got, tt.wantType)
				}
				if got := res.header.Get("Content-Disposition"); got != tt.wantDisposition {
					t.Errorf("got Content-Disposition %q, want %q", got, tt.wantDisposition)
				}
				if bytes.Contains(res.body, []byte("gone secret")) {
					t.Errorf("the deleted event is in the export:\n%s", res.body)
				}
				want, _, err := bot.ExportTimeline(r, tt.wantFormat, exportedAt(t, tt.wantFormat, res.body))
				if err != nil {
					t.Fatalf("ExportTimeline: %v", err)
				}
				if diff := cmp.Diff(string(want), string(res.body)); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			})
		}

		t.Run("json shape", func(t *testing.T) {
			var got struct {
				RunID   string `json:"run_id"`
				RunName string `json:"run_name"`
				Events  []struct {
					ID, At, Type, Summary, Details string
					AtMs                           int64  `json:"at_ms"`
					CreatorUserID                  string `json:"creator_user_id"`
				} `json:"events"`
			}
			res := e.call(t, "GET", path, nil).want(t, http.StatusOK)
			res.decode(t, &got)
			if at, want := exportedAt(t, "json", res.body), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); !at.Equal(want) {
				t.Errorf("got exported_at %v, want %v from the service's clock", at, want)
			}
			if got.RunID != id || got.RunName != r.Name || len(got.Events) != len(r.TimelineEvents) {
				t.Fatalf("got run %q %q with %d events, want %q %q with %d", got.RunID, got.RunName, len(got.Events), id, r.Name, len(r.TimelineEvents))
			}
			for i, ev := range got.Events {
				if ev.ID != r.TimelineEvents[i].ID || ev.AtMs != r.TimelineEvents[i].EventAt {
					t.Errorf("event %d: got %s at %d, want %s at %d", i, ev.ID, ev.AtMs, r.TimelineEvents[i].ID, r.TimelineEvents[i].EventAt)
				}
				if ev.ID != status.ID {
					continue
				}
				if ev.Type != bot.EventStatusUpdated || ev.Details != message || ev.CreatorUserID != e.userID ||
					ev.At != time.UnixMilli(ev.AtMs).UTC().Format(time.RFC3339) {
					t.Errorf("got status event %+v, want the status update of %q by %s", ev, message, e.userID)
				}
			}
		})

		t.Run("csv defuses formulas", func(t *testing.T) {
			res := e.call(t, "GET", path+"?format=csv", nil).want(t, http.StatusOK)
			if !bytes.Contains(res.body, []byte(`"'=HYPERLINK(""http://evil"")|a, ""b""`)) {
				t.Errorf("got CSV without the quoted, defused message:\n%s", res.body)
			}
		})

		t.Run("markdown escapes", func(t *testing.T) {
			res := e.call(t, "GET", path+"?format=markdown", nil).want(t, http.StatusOK)
			for _, want := range []string{"# Timeline: DB down \\| eu-1 (Störung)", `=HYPERLINK("http://evil")\|a, "b"<br>next line — ünïcødé`} {
				if !strings.Contains(string(res.body), want) {
					t.Errorf("got Markdown without %q:\n%s", want, res.body)
				}
			}
		})

		other := e.newToken(t, e.userID, bot.NewID())
		for _, tt := range []struct {
			name, token, path string
			status            int
		}{
			{name: "unknown format", token: e.token, path: path + "?format=xml", status: http.StatusBadRequest},
			{name: "extension as format", token: e.token, path: path + "?format=md", status: http.StatusBadRequest},
			{name: "unknown format of an unknown run", token: e.token, path: "/runs/" + bot.NewID() + "/timeline?format=xml", status: http.StatusBadRequest},
			{name: "another team's token", token: other, path: path, status: http.StatusForbidden},
			{name: "another team's token, csv", token: other, path: path + "?format=csv", status: http.StatusForbidden},
			{name: "unknown run", token: e.token, path: "/runs/" + bot.NewID() + "/timeline", status: http.StatusNotFound},
			{name: "no token", token: "", path: path, status: http.StatusUnauthorized},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.callAs(t, tt.token, "GET", tt.path, nil).wantError(t, tt.status)
			})
		}
	})
}

// findEvent returns the event whose details are details.
func findEvent(t *testing.T, events []bot.TimelineEvent, details string) bot.TimelineEvent {
	t.Helper()
	i := slices.IndexFunc(events, func(ev bot.TimelineEvent) bool { return ev.Details == details })
	if i < 0 {
		t.Fatalf("no event with details %q in %v", details, eventTypes(events))
	}
	return events[i]
}

// exportedAt returns the export time an export body records, which the
// server takes from its own clock; the zero time for CSV, which records
// none.
func exportedAt(t *testing.T, format string, body []byte) time.Time {
	t.Helper()
	var s string
	switch format {
	case "json":
		var doc struct {
			ExportedAt string `json:"exported_at"`
		}
		response{body: body}.decode(t, &doc)
		s = doc.ExportedAt
	case "markdown":
		m := exportedAtLine.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no export time in %s", body)
		}
		s = string(m[1])
	default:
		return time.Time{}
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		t.Fatalf("got export time %q, want RFC 3339 in UTC (%v)", s, err)
	}
	return at
}
