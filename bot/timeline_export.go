package bot

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Timeline export formats, as the API's format parameter spells them.
const (
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
)

// TimelineFormats are the formats ExportTimeline renders, the default first.
var TimelineFormats = []string{FormatJSON, FormatMarkdown, FormatCSV}

// timelineFormat is what one format is served as.
type timelineFormat struct {
	contentType string
	ext         string
	writer      func(w io.Writer) eventWriter
}

// eventWriter writes one export as its events come, a page at a time, so
// that a run's timeline of any length is written with the memory of one
// page: begin once, event for each event in order, end once.
type eventWriter interface {
	begin(r Run, now time.Time) error
	event(e TimelineEvent) error
	end() error
}

// timelineFormatOf returns the format named, case-insensitively; "" is
// FormatJSON. EInvalid for any other name.
func timelineFormatOf(format string) (timelineFormat, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", FormatJSON:
		return timelineFormat{"application/json", "json", newJSONTimeline}, nil
	case FormatMarkdown:
		return timelineFormat{"text/markdown; charset=utf-8", "md", newMarkdownTimeline}, nil
	case FormatCSV:
		return timelineFormat{"text/csv; charset=utf-8", "csv", newCSVTimeline}, nil
	}
	return timelineFormat{}, FieldErrorf("format", "unknown timeline format %q; use one of %s",
		format, strings.Join(TimelineFormats, ", "))
}

// TimelineExport is a run's timeline, ready to be written as a file.
type TimelineExport struct {
	ContentType string // with its charset, ready for a Content-Type header
	Filename    string // as TimelineFilename names it
	write       func(ctx context.Context, w io.Writer) error
}

// Write writes the file to w, reading the run's events from the store
// exportPage at a time. Each page is read on its own, so an event added
// while the export is written may or may not be in it; none is repeated
// or skipped for that. An error may come after part of the file was
// written.
func (x TimelineExport) Write(ctx context.Context, w io.Writer) error { return x.write(ctx, w) }

// exportPage is how many events an export reads from the store at a time.
const exportPage = 1000

// ExportRunTimeline prepares the export of the whole timeline of a run the
// actor may see, as of the service's clock, in format (see ExportTimeline);
// its Write reads the events. EInvalid for an unknown format, checked
// before the run is looked up; ENotFound, EForbidden as Run.
func (s *Service) ExportRunTimeline(ctx context.Context, a Actor, id, format string) (TimelineExport, error) {
	f, err := timelineFormatOf(format)
	if err != nil {
		return TimelineExport{}, err
	}
	r, err := s.runState(ctx, a, id)
	if err != nil {
		return TimelineExport{}, err
	}
	name, err := TimelineFilename(r, format)
	if err != nil {
		return TimelineExport{}, err
	}
	now := s.clock()
	write := func(ctx context.Context, w io.Writer) error {
		bw := bufio.NewWriterSize(w, 32<<10)
		err := writeTimeline(f.writer(bw), r, now, func(after string) (TimelinePage, error) {
			return s.store.TimelineEvents(ctx, r.ID, after, exportPage)
		})
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("export timeline of run %s as %s: %w", r.ID, format, err)
		}
		return nil
	}
	return TimelineExport{ContentType: f.contentType, Filename: name, write: write}, nil
}

// writeTimeline writes the events that page returns, page after page from
// the cursor "", through ew.
func writeTimeline(ew eventWriter, r Run, now time.Time, page func(after string) (TimelinePage, error)) error {
	if err := ew.begin(r, now); err != nil {
		return err
	}
	after := ""
	for {
		p, err := page(after)
		if err != nil {
			return err
		}
		for _, e := range exportedEvents(p.Events) {
			if err := ew.event(e); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return ew.end()
		}
		after = p.Next
	}
}

// ExportTimeline renders the run's timeline in format (one of
// TimelineFormats; "" is FormatJSON) and returns it with its content type.
// Deleted events are left out and the rest are in time order. now is the
// export's own time, which the JSON and Markdown forms record. It does no
// I/O and renders the events the run carries; ExportRunTimeline writes the
// same bytes for a run's whole timeline, read page by page. EInvalid for an
// unknown format.
func ExportTimeline(r Run, format string, now time.Time) (body []byte, contentType string, err error) {
	f, err := timelineFormatOf(format)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	err = writeTimeline(f.writer(&b), r, now, func(string) (TimelinePage, error) {
		return TimelinePage{Events: r.TimelineEvents}, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("export timeline of run %s as %s: %w", r.ID, format, err)
	}
	return b.Bytes(), f.contentType, nil
}

// TimelineFilename returns the name to save the run's timeline export
// under: the run's name as a slug, "-timeline", and the format's extension,
// as in "checkout-errors-timeline.md". It only holds [a-z0-9.-], so it
// needs no escaping in a header. EInvalid for an unknown format.
func TimelineFilename(r Run, format string) (string, error) {
	f, err := timelineFormatOf(format)
	if err != nil {
		return "", err
	}
	return slug(r.Name) + "-timeline." + f.ext, nil
}

// maxSlugLen keeps file names well under every file system's limit.
const maxSlugLen = 60

// slug returns s in lower case with every run of characters other than
// ASCII letters and digits turned into one hyphen; "run" when nothing is
// left.
func slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(s) {
		switch {
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(c)
		default:
			hyphen = true
		}
		if b.Len() >= maxSlugLen {
			break
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return "run"
	}
	return out
}

// exportedEvents returns the undeleted events in time order, ties in the
// order the store gave them. It does not change events.
func exportedEvents(events []TimelineEvent) []TimelineEvent {
	out := make([]TimelineEvent, 0, len(events))
	for _, e := range events {
		if e.DeleteAt == 0 {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b TimelineEvent) int {
		return cmp.Or(cmp.Compare(a.EventAt, b.EventAt), cmp.Compare(a.CreateAt, b.CreateAt))
	})
	return out
}

// exportTime formats a time in milliseconds since the epoch as RFC 3339 in
// UTC, to the second.
func exportTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// runStatus is the run's status as the API spells it, derived from
// IsActive for a run that has none recorded.
func runStatus(r Run) string {
	switch {
	case r.CurrentStatus != "":
		return r.CurrentStatus
	case r.IsActive:
		return StatusInProgress
	}
	return StatusFinished
}

// exportedEvent is one event of the JSON form.
type exportedEvent struct {
	ID            string `json:"id"`
	At            string `json:"at"`
	AtMs          int64  `json:"at_ms"`
	Type          string `json:"type"`
	Summary       string `json:"summary"`
	Details       string `json:"details"`
	CreatorUserID string `json:"creator_user_id"`
	SubjectUserID string `json:"subject_user_id"`
}

// jsonTimeline writes the JSON form, indented for people who open the file
// as json.MarshalIndent would indent the whole document; events is []
// rather than null when there are none.
type jsonTimeline struct {
	w io.Writer
	n int
}

func newJSONTimeline(w io.Writer) eventWriter { return &jsonTimeline{w: w} }

func (t *jsonTimeline) begin(r Run, now time.Time) error {
	var b bytes.Buffer
	b.WriteString("{\n")
	for _, f := range [][2]string{{"run_id", r.ID}, {"run_name", r.Name}, {"exported_at", now.UTC().Format(time.RFC3339)}} {
		v, err := json.Marshal(f[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "  %q: %s,\n", f[0], v)
	}
	b.WriteString(`  "events": [`)
	_, err := t.w.Write(b.Bytes())
	return err
}

func (t *jsonTimeline) event(e TimelineEvent) error {
	b, err := json.MarshalIndent(exportedEvent{
		ID: e.ID, At: exportTime(e.EventAt), AtMs: e.EventAt, Type: e.EventType,
		Summary: e.Summary, Details: e.Details, CreatorUserID: e.CreatorUserID, SubjectUserID: e.SubjectUserID,
	}, "    ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n    "
	if t.n == 0 {
		sep = "\n    "
	}
	t.n++
	_, err = io.WriteString(t.w, sep+string(b))
	return err
}

func (t *jsonTimeline) end() error {
	tail := "\n  ]\n}\n"
	if t.n == 0 {
		tail = "]\n}\n"
	}
	_, err := io.WriteString(t.w, tail)
	return err
}

// markdownTimeline writes the Markdown form: a title, a line with the
// owner and status, and a table of the events.
type markdownTimeline struct {
	w io.Writer
	n int
}

func newMarkdownTimeline(w io.Writer) eventWriter { return &markdownTimeline{w: w} }

func (t *markdownTimeline) begin(r Run, now time.Time) error {
	_, err := fmt.Fprintf(t.w, "# Timeline: %s\n\nOwner: %s · Status: %s · Exported: %s\n\n", mdCell(r.Name),
		mdCell(r.OwnerUserID), mdCell(runStatus(r)), now.UTC().Format(time.RFC3339))
	return err
}

func (t *markdownTimeline) event(e TimelineEvent) error {
	if t.n == 0 {
		if _, err := io.WriteString(t.w, "| Time (UTC) | Who | Type | Summary | Details |\n| --- | --- | --- | --- | --- |\n"); err != nil {
			return err
		}
	}
	t.n++
	_, err := fmt.Fprintf(t.w, "| %s | %s | %s | %s | %s |\n", exportTime(e.EventAt),
		mdCell(e.CreatorUserID), mdCell(e.EventType), mdCell(e.Summary), mdCell(e.Details))
	return err
}

func (t *markdownTimeline) end() error {
	if t.n > 0 {
		return nil
	}
	_, err := io.WriteString(t.w, "No events.\n")
	return err
}

// mdEscaper keeps a text on one line of one table cell: a pipe would end
// the cell, a newline the row, and HTML tags would reach the renderer, which
// must only see the <br> this adds. Backslashes are escaped first so that
// a text's own "\|" cannot undo the pipe's escape.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`,
	`|`, `\|`,
	"\r\n", "<br>",
	"\n", "<br>",
	"\r", "<br>",
	"<", "&lt;",
	">", "&gt;",
)

// mdCell escapes s for a Markdown table cell or a one-line heading.
func mdCell(s string) string { return mdEscaper.Replace(s) }

// csvTimeline writes the CSV form: a header row and one row per event.
type csvTimeline struct{ w *csv.Writer }

func newCSVTimeline(w io.Writer) eventWriter { return csvTimeline{csv.NewWriter(w)} }

func (t csvTimeline) begin(Run, time.Time) error {
	return t.w.Write([]string{"time", "who", "type", "summary", "details"})
}

func (t csvTimeline) event(e TimelineEvent) error {
	row := []string{exportTime(e.EventAt), e.CreatorUserID, e.EventType, e.Summary, e.Details}
	for i := range row {
		row[i] = csvSafe(row[i])
	}
	return t.w.Write(row)
}

func (t csvTimeline) end() error {
	t.w.Flush()
	return t.w.Error()
}

// csvSafe defuses a cell a spreadsheet would run as a formula: one starting
// with = + - @, or with a tab or carriage return (OWASP's list), gets a
// leading single quote, so it shows as text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
