package bot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
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
	render      func(r Run, events []TimelineEvent, now time.Time) ([]byte, error)
}

// timelineFormatOf returns the format named, case-insensitively; "" is
// FormatJSON. EInvalid for any other name.
func timelineFormatOf(format string) (timelineFormat, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", FormatJSON:
		return timelineFormat{"application/json", "json", timelineJSON}, nil
	case FormatMarkdown:
		return timelineFormat{"text/markdown; charset=utf-8", "md", timelineMarkdown}, nil
	case FormatCSV:
		return timelineFormat{"text/csv; charset=utf-8", "csv", timelineCSV}, nil
	}
	return timelineFormat{}, FieldErrorf("format", "unknown timeline format %q; use one of %s",
		format, strings.Join(TimelineFormats, ", "))
}

// TimelineExport is a run's timeline rendered as a file.
type TimelineExport struct {
	Body        []byte
	ContentType string // with its charset, ready for a Content-Type header
	Filename    string // as TimelineFilename names it
}

// ExportRunTimeline renders the timeline of a run the actor may see, as of
// the service's clock, in format (see ExportTimeline). EInvalid for an
// unknown format, checked before the run is looked up; ENotFound,
// EForbidden as Run.
func (s *Service) ExportRunTimeline(ctx context.Context, a Actor, id, format string) (TimelineExport, error) {
	if _, err := timelineFormatOf(format); err != nil {
		return TimelineExport{}, err
	}
	r, err := s.Run(ctx, a, id)
	if err != nil {
		return TimelineExport{}, err
	}
	body, contentType, err := ExportTimeline(r, format, s.clock())
	if err != nil {
		return TimelineExport{}, err
	}
	name, err := TimelineFilename(r, format)
	if err != nil {
		return TimelineExport{}, err
	}
	return TimelineExport{Body: body, ContentType: contentType, Filename: name}, nil
}

// ExportTimeline renders the run's timeline in format (one of
// TimelineFormats; "" is FormatJSON) and returns it with its content type.
// Deleted events are left out and the rest are in time order. now is the
// export's own time, which the JSON and Markdown forms record. It does no
// I/O, so every edge (REST, chat commands) can serve the same bytes.
// EInvalid for an unknown format.
func ExportTimeline(r Run, format string, now time.Time) (body []byte, contentType string, err error) {
	f, err := timelineFormatOf(format)
	if err != nil {
		return nil, "", err
	}
	body, err = f.render(r, exportedEvents(r.TimelineEvents), now)
	if err != nil {
		return nil, "", fmt.Errorf("export timeline of run %s as %s: %w", r.ID, format, err)
	}
	return body, f.contentType, nil
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

// timelineExport is the JSON form of a timeline export.
type timelineExport struct {
	RunID      string          `json:"run_id"`
	RunName    string          `json:"run_name"`
	ExportedAt string          `json:"exported_at"`
	Events     []exportedEvent `json:"events"`
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

// timelineJSON renders the JSON form, indented for people who open the
// file; events is [] rather than null when there are none.
func timelineJSON(r Run, events []TimelineEvent, now time.Time) ([]byte, error) {
	doc := timelineExport{RunID: r.ID, RunName: r.Name, ExportedAt: now.UTC().Format(time.RFC3339),
		Events: make([]exportedEvent, 0, len(events))}
	for _, e := range events {
		doc.Events = append(doc.Events, exportedEvent{
			ID: e.ID, At: exportTime(e.EventAt), AtMs: e.EventAt, Type: e.EventType,
			Summary: e.Summary, Details: e.Details, CreatorUserID: e.CreatorUserID, SubjectUserID: e.SubjectUserID,
		})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// timelineMarkdown renders the Markdown form: a title, a line with the
// owner and status, and a table of the events.
func timelineMarkdown(r Run, events []TimelineEvent, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Timeline: %s\n\n", mdCell(r.Name))
	fmt.Fprintf(&b, "Owner: %s · Status: %s · Exported: %s\n\n",
		mdCell(r.OwnerUserID), mdCell(runStatus(r)), now.UTC().Format(time.RFC3339))
	if len(events) == 0 {
		b.WriteString("No events.\n")
		return b.Bytes(), nil
	}
	b.WriteString("| Time (UTC) | Who | Type | Summary | Details |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, e := range events {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", exportTime(e.EventAt),
			mdCell(e.CreatorUserID), mdCell(e.EventType), mdCell(e.Summary), mdCell(e.Details))
	}
	return b.Bytes(), nil
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

// timelineCSV renders the CSV form: a header row and one row per event.
func timelineCSV(_ Run, events []TimelineEvent, _ time.Time) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write([]string{"time", "who", "type", "summary", "details"}); err != nil {
		return nil, err
	}
	for _, e := range events {
		row := []string{exportTime(e.EventAt), e.CreatorUserID, e.EventType, e.Summary, e.Details}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
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
