package bot

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Tasks are checklist items seen across runs: GET /tasks and /playbook
// todo list them with ListTasks. Items live as JSON inside their run, so
// the store filters, sorts and pages them in SQL over that JSON.

// Task sort fields, as the API spells them.
const (
	TaskSortDueDate     = "due_date" // the default; items without a due date last
	TaskSortRunCreateAt = "run_create_at"
	TaskSortTitle       = "title"
)

// TaskSortFields are the accepted values of TaskFilter.Sort.
var TaskSortFields = []string{TaskSortDueDate, TaskSortRunCreateAt, TaskSortTitle}

// Task paging: PerPage 0 means DefaultTaskPerPage; at most MaxTaskPerPage.
const (
	DefaultTaskPerPage = 100
	MaxTaskPerPage     = 1000
)

// MaxDueDate is the latest due date an item may have, in Unix ms: the year
// 9999, past which a date is a mistake (seconds for milliseconds, or worse).
var MaxDueDate = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixMilli()

// TaskFilter selects and orders a page of the checklist items of one team's
// runs. Empty fields take their defaults (see ListTasks).
type TaskFilter struct {
	TeamID      string
	AssigneeID  string   // a user ID or "me"; "" does not filter
	States      []string // item states; none means open and in progress
	RunStatuses []string // InProgress, Finished; none means InProgress
	DueBefore   int64    // when > 0, only items due before it (Unix ms)
	DueAfter    int64    // when > 0, only items due after it (Unix ms)
	Overdue     bool     // only items due in the past and not closed
	Sort        string   // one of TaskSortFields; "" is due_date
	Direction   string   // asc (default) or desc
	Page        int
	PerPage     int
}

// Task is one checklist item with the run and checklist it belongs to.
type Task struct {
	RunID          string        `json:"run_id"`
	RunName        string        `json:"run_name"`
	RunStatus      string        `json:"run_status"`
	ChannelID      string        `json:"channel_id"`
	TeamID         string        `json:"team_id"`
	ChecklistIndex int           `json:"checklist_index"`
	ChecklistTitle string        `json:"checklist_title"`
	ItemIndex      int           `json:"item_index"`
	Item           ChecklistItem `json:"item"`
}

// TaskPage is one page of tasks.
type TaskPage struct {
	TotalCount int    `json:"total_count"`
	PageCount  int    `json:"page_count"`
	HasMore    bool   `json:"has_more"`
	Items      []Task `json:"items"`
}

// ListTasks returns one page of the checklist items of the team's runs the
// actor may see (visibility.go: the runs of GET /runs), with their total
// count. "me" as assignee is the actor.
func (s *Service) ListTasks(ctx context.Context, a Actor, f TaskFilter) (TaskPage, error) {
	f, err := s.checkTaskFilter(a, f)
	if err != nil {
		return TaskPage{}, err
	}
	runs, err := s.withVisibility(ctx, a, RunFilter{TeamID: f.TeamID, Statuses: f.RunStatuses})
	if err != nil {
		return TaskPage{}, err
	}
	p, err := s.store.ListTasks(ctx, runs, f, s.now())
	p.Items = nonNil(p.Items)
	return p, err
}

// checkTaskFilter validates a task filter, fills in its defaults and
// resolves "me".
func (s *Service) checkTaskFilter(a Actor, f TaskFilter) (TaskFilter, error) {
	if err := s.checkChatID("team_id", f.TeamID); err != nil {
		return f, err
	}
	if err := a.checkTeam(f.TeamID); err != nil {
		return f, err
	}
	if f.AssigneeID == "me" {
		f.AssigneeID = a.UserID
	}
	if f.AssigneeID != "" && !ValidID(f.AssigneeID) {
		return f, FieldErrorf("assignee_id", "assignee_id %q is not a valid ID or \"me\"", f.AssigneeID)
	}
	if len(f.States) == 0 {
		f.States = []string{ItemOpen, ItemInProgress}
	}
	for _, st := range f.States {
		if !ValidItemState(st) {
			return f, FieldErrorf("state", "state must be \"\" (open), in_progress or closed, got %q", st)
		}
	}
	f.States = slices.Compact(slices.Sorted(slices.Values(f.States)))
	if len(f.RunStatuses) == 0 {
		f.RunStatuses = []string{StatusInProgress}
	}
	for _, st := range f.RunStatuses {
		if st != StatusInProgress && st != StatusFinished {
			return f, FieldErrorf("run_status", "run_status must be InProgress or Finished, got %q", st)
		}
	}
	if f.DueBefore < 0 || f.DueBefore > MaxDueDate {
		return f, FieldErrorf("due_before", "due_before must be a time in Unix milliseconds between 0 and %d, got %d", MaxDueDate, f.DueBefore)
	}
	if f.DueAfter < 0 || f.DueAfter > MaxDueDate {
		return f, FieldErrorf("due_after", "due_after must be a time in Unix milliseconds between 0 and %d, got %d", MaxDueDate, f.DueAfter)
	}
	if f.Sort == "" {
		f.Sort = TaskSortDueDate
	} else if !slices.Contains(TaskSortFields, f.Sort) {
		return f, FieldErrorf("sort", "sort must be one of %s, got %q", strings.Join(TaskSortFields, ", "), f.Sort)
	}
	var err error
	if f.Direction, err = checkDirection(f.Direction, "asc"); err != nil {
		return f, err
	}
	if f.Page < 0 {
		return f, FieldErrorf("page", "page must be 0 or more, got %d", f.Page)
	}
	if f.PerPage == 0 {
		f.PerPage = DefaultTaskPerPage
	}
	if f.PerPage < 1 || f.PerPage > MaxTaskPerPage {
		return f, FieldErrorf("per_page", "per_page must be between 1 and %d, got %d", MaxTaskPerPage, f.PerPage)
	}
	if f.Page > MaxPageOffset/f.PerPage {
		return f, FieldErrorf("page", "page %d of %d per page is past any possible result: page × per_page must be at most %d", f.Page, f.PerPage, MaxPageOffset)
	}
	return f, nil
}

// checkDueDate validates an item's due date: 0 (none) or a time in Unix
// milliseconds up to MaxDueDate.
func checkDueDate(field string, due int64) error {
	if due < 0 || due > MaxDueDate {
		return FieldErrorf(field, "due_date must be 0 (none) or a time in Unix milliseconds up to %d (the year 9999), got %d", MaxDueDate, due)
	}
	return nil
}

// DueLabel describes an item's due date for people, in UTC: "" for none,
// "due 2026-12-01 14:00 UTC", and overdue true when the date is past (at
// now, Unix ms) and the item is not closed.
func DueLabel(it ChecklistItem, now int64) (label string, overdue bool) {
	if it.DueDate <= 0 {
		return "", false
	}
	label = "due " + time.UnixMilli(it.DueDate).UTC().Format("2006-01-02 15:04") + " UTC"
	return label, it.DueDate < now && it.State != ItemClosed
}
