package api

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

// deleteTimelineEvent answers removeTimelineEvent: the event is hidden from
// the run's timeline (kept, marked deleted). 204.
func (s *server) deleteTimelineEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteTimelineEvent(r.Context(), actor(r), pathID(r, "id"), pathID(r, "event_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// exportTimeline answers exportTimeline, which the spec lacks: the run's
// timeline as a file in the format the format parameter names, or else the
// one the Accept header prefers; JSON by default. Whoever may see the run
// may export it. 400 for an unknown format. JSON is served inline, as the
// API's other answers; Markdown and CSV as attachments. The file is
// streamed as the store's pages of events are read, so it has no
// Content-Length; should a page fail after the first bytes went out, the
// response is cut short (the client sees an incomplete chunked body, never
// a truncated file that looks whole) and the cause is logged.
func (s *server) exportTimeline(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = acceptedTimelineFormat(r.Header.Values("Accept"))
	}
	x, err := s.svc.ExportRunTimeline(r.Context(), actor(r), pathID(r, "id"), format)
	if err != nil {
		return err
	}
	if x.ContentType != "application/json" {
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", x.Filename))
	}
	w.Header().Set("Content-Type", x.ContentType)
	w.WriteHeader(http.StatusOK)
	if err := x.Write(r.Context(), w); err != nil {
		requestLogFrom(r.Context()).err = err
		panic(http.ErrAbortHandler) // the status is sent: only cutting the body short tells the client
	}
	return nil
}

// timelineMediaTypes are the media types of Accept that choose a timeline
// format.
var timelineMediaTypes = map[string]string{
	"application/json": bot.FormatJSON,
	"text/markdown":    bot.FormatMarkdown,
	"text/csv":         bot.FormatCSV,
}

// acceptedTimelineFormat returns the timeline format the Accept header
// values prefer: of the media types it knows, the one of highest quality,
// the first listed on a tie; "" (the default) when it knows none of them.
// It never refuses: a client that accepts nothing it knows gets JSON.
func acceptedTimelineFormat(accept []string) string {
	best, bestQ := "", 0.0
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			format, ok := timelineMediaTypes[mt]
			if !ok {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = format, q
			}
		}
	}
	return best
}
