package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

// listTasks answers GET /tasks (ours, issue 14): one page of the checklist
// items of a team's runs the caller may see.
func (s *server) listTasks(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeTaskFilter(r.URL.Query())
	if err != nil {
		return err
	}
	p, err := s.svc.ListTasks(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// decodeTaskFilter decodes the query of GET /tasks. state and run_status
// may repeat or be comma-separated; state= (empty) is the open state, and
// absent they take the Service's defaults (open and in progress; InProgress).
func decodeTaskFilter(q url.Values) (bot.TaskFilter, error) {
	team, err := decodeTeam(q)
	if err != nil {
		return bot.TaskFilter{}, err
	}
	f := bot.TaskFilter{
		TeamID:     team,
		AssigneeID: q.Get("assignee_id"),
		Sort:       q.Get("sort"),
		Direction:  q.Get("direction"),
	}
	for _, v := range q["state"] {
		for _, s := range strings.Split(v, ",") {
			f.States = append(f.States, strings.TrimSpace(s))
		}
	}
	for _, v := range q["run_status"] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.RunStatuses = append(f.RunStatuses, s)
			}
		}
	}
	if f.DueBefore, err = queryInt64(q, "due_before"); err != nil {
		return f, err
	}
	if f.DueAfter, err = queryInt64(q, "due_after"); err != nil {
		return f, err
	}
	if v := q.Get("overdue"); v != "" {
		if f.Overdue, err = strconv.ParseBool(v); err != nil {
			return f, bot.FieldErrorf("overdue", "overdue must be true or false, got %q", abbrev(v))
		}
	}
	if f.Page, err = queryInt(q, "page"); err != nil {
		return f, err
	}
	if f.PerPage, err = queryInt(q, "per_page"); err != nil {
		return f, err
	}
	if _, ok := q["per_page"]; ok && f.PerPage == 0 {
		return f, bot.FieldErrorf("per_page", "per_page must be between 1 and %d, got 0", bot.MaxTaskPerPage)
	}
	return f, nil
}

// queryInt64 parses an optional int64 query parameter; absent is 0.
func queryInt64(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, bot.FieldErrorf(name, "%s must be an integer (Unix milliseconds), got %q", name, abbrev(v))
	}
	return n, nil
}
