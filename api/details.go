package api

import (
	"bytes"
	"cmp"
	"embed"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

//go:embed templates/details.html
var templateFS embed.FS

// detailsPages are the run details page and its error page, parsed once
// and only ever executed: read-only, like a compiled regexp.
var detailsPages = template.Must(template.ParseFS(templateFS, "templates/details.html"))

// detailsView is what the details page shows of a run.
type detailsView struct {
	Run         bot.Run
	Owner       string
	Finished    bool
	EndedAt     string
	StartedAt   string
	ActiveStage string
	Checklists  []checklistView
	Updates     []updateView
	Timeline    []eventView
	// EarlierUpdates and EarlierEvents count what the run's history holds
	// beyond the newest bot.HistoryLimit it carries: not shown.
	EarlierUpdates int
	EarlierEvents  int
}

// checklistView is one checklist with its progress.
type checklistView struct {
	Title   string
	Active  bool
	Done    int
	Total   int
	Percent int
	Items   []itemView
}

// itemView is one checklist item.
type itemView struct {
	Title       string
	State       string // a label: open, in progress, done
	Class       string // a CSS class for the state
	Assignee    string
	Description string
	Due         string // "due 2026-12-01 14:00 UTC"; "" for none
	Overdue     bool   // due in the past and not closed
}

// updateView is one status update.
type updateView struct {
	At      string
	User    string
	Message string
}

// eventView is one timeline event.
type eventView struct {
	At      string
	Summary string
	Details string
}

// utc formats milliseconds since the epoch as a UTC minute; "" for 0.
func utc(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC")
}

// newDetailsView arranges a run for the page: progress per checklist,
// status updates newest first, the timeline oldest first without deleted
// events. names maps user IDs to how to show them (Service.UserNames); now
// (Unix ms) decides which items are overdue.
func newDetailsView(r bot.Run, names map[string]string, now int64) detailsView {
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	v := detailsView{Run: r, Owner: name(r.OwnerUserID), Finished: !r.IsActive || r.EndAt != 0, EndedAt: utc(r.EndAt), StartedAt: utc(r.CreateAt),
		ActiveStage: r.ActiveStageTitle}
	for i, c := range r.Checklists {
		cv := checklistView{Title: c.Title, Active: i == r.ActiveStage, Total: len(c.Items)}
		for _, it := range c.Items {
			iv := itemView{Title: it.Title, State: "open", Class: "open", Assignee: name(it.AssigneeID), Description: it.Description}
			iv.Due, iv.Overdue = bot.DueLabel(it, now)
			switch it.State {
			case bot.ItemClosed:
				iv.State, iv.Class = "done", "done"
				cv.Done++
			case bot.ItemInProgress:
				iv.State, iv.Class = "in progress", "progress"
			}
			cv.Items = append(cv.Items, iv)
		}
		if cv.Total > 0 {
			cv.Percent = cv.Done * 100 / cv.Total
		}
		if cv.Active && v.ActiveStage == "" {
			v.ActiveStage = c.Title
		}
		v.Checklists = append(v.Checklists, cv)
	}
	updates := slices.Clone(r.StatusUpdates)
	slices.SortStableFunc(updates, func(a, b bot.StatusUpdate) int { return cmp.Compare(b.CreateAt, a.CreateAt) })
	for _, u := range updates {
		v.Updates = append(v.Updates, updateView{At: utc(u.CreateAt), User: name(u.UserID), Message: u.Message})
	}
	v.EarlierUpdates = max(r.StatusUpdatesTotal-len(r.StatusUpdates), 0)
	v.EarlierEvents = max(r.TimelineEventsTotal-len(r.TimelineEvents), 0)
	events := slices.Clone(r.TimelineEvents)
	slices.SortStableFunc(events, func(a, b bot.TimelineEvent) int { return cmp.Compare(a.EventAt, b.EventAt) })
	for _, e := range events {
		if e.DeleteAt != 0 {
			continue
		}
		ev := eventView{At: utc(e.EventAt), Summary: e.Summary, Details: e.Details}
		if bot.OwnID(e.Details) {
			ev.Details = "" // an item's ID: the summary already names the item
		}
		v.Timeline = append(v.Timeline, ev)
	}
	return v
}

// details answers GET /runs/{id}, the page a webhook's details_url links
// to: for the holder of a signed link (?sig=), or for a bearer token that
// may see the run. A request with a token is judged by the token alone,
// under the one visibility rule of every read (a private run only for its
// channel's members and admins). A valid signed link, sent without a
// token, is a bearer permission of its own: whoever holds it reads that
// one run's page until the link expires, whatever channels they are in;
// that is what sending the link (to a webhook) grants. Errors are plain
// pages that show nothing of the run.
func (s *server) details(w http.ResponseWriter, r *http.Request) {
	rl := requestLogFrom(r.Context())
	rl.op = "runDetails"
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the URL carries the signature
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Type", "text/html; charset=utf-8")

	id := pathID(r, "id")
	var (
		run bot.Run
		err error
	)
	if strings.TrimSpace(r.Header.Get("Authorization")) != "" {
		var a bot.Actor
		if a, err = s.authenticate(r); err == nil {
			rl.userID = a.UserID
			run, err = s.svc.Run(r.Context(), a, id)
		}
	} else if sig := r.URL.Query().Get("sig"); sig != "" {
		run, err = s.svc.RunForLink(r.Context(), id, sig)
	} else {
		err = bot.Errorf(bot.EUnauthenticated, "a signed link or a bearer token is required")
	}
	var buf bytes.Buffer
	if err == nil {
		err = detailsPages.ExecuteTemplate(&buf, "details", newDetailsView(run, s.svc.UserNames(r.Context(), run), s.svc.Now().UnixMilli()))
	}
	if err != nil {
		s.detailsError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes()) // the client is gone if this fails
}

// detailsError writes the plain error page of the details page: a status
// and a fixed sentence, never the run's data nor an internal cause.
func (s *server) detailsError(w http.ResponseWriter, r *http.Request, err error) {
	requestLogFrom(r.Context()).err = err
	status := statusOf(err)
	msg := map[int]string{
		http.StatusUnauthorized: "This link is invalid or has expired. Ask for a new link, or send a token (Authorization: Bearer).",
		http.StatusForbidden:    "You may not see this run.",
		http.StatusNotFound:     "There is no such run.",
		http.StatusBadRequest:   "This address does not name a run.", // an ID of the wrong shape
		// ours: failed-authentication throttling and database outages
		http.StatusTooManyRequests:    "Too many failed attempts from your address. Try again later.",
		http.StatusServiceUnavailable: "The server cannot read runs right now. Try again shortly.",
	}[status]
	if msg == "" {
		status, msg = http.StatusInternalServerError, "Something went wrong on the server."
	}
	setStatusHeaders(w, status, err)
	var buf bytes.Buffer
	if e := detailsPages.ExecuteTemplate(&buf, "error", struct {
		Status  int
		Title   string
		Message string
	}{status, http.StatusText(status), msg}); e != nil {
		buf.Reset()
		buf.WriteString(template.HTMLEscapeString(msg))
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
