package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// Tasks are the checklist items of runs: rows of run_items joined to the
// runs selected, so that filtering, counting, ordering and paging all
// happen in SQL and only the page's items reach Go.

// taskRow is one row of a page of tasks.
type taskRow struct {
	RunID      string `db:"run_id"`
	RunName    string `db:"run_name"`
	IsActive   bool   `db:"is_active"`
	ChannelID  string `db:"channel_id"`
	TeamID     string `db:"team_id"`
	Checklists string `db:"checklists"` // the run's checklist heads
	itemRow
	Total int `db:"total"` // of the whole selection, not the page
}

// ListTasks returns one page of the checklist items of runs' runs (team,
// statuses, visibility), filtered, ordered and paged as f says, with their
// total count; now (Unix ms) decides Overdue.
func (db *DB) ListTasks(ctx context.Context, runs bot.RunFilter, f bot.TaskFilter, now int64) (bot.TaskPage, error) {
	var page bot.TaskPage
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var err error
		page, err = db.listTasks(ctx, tx, runs, f, now)
		return err
	})
	if err != nil {
		return bot.TaskPage{}, fmt.Errorf("list tasks of team %s: %w", f.TeamID, err)
	}
	return page, nil
}

func (db *DB) listTasks(ctx context.Context, tx *sqlx.Tx, runs bot.RunFilter, f bot.TaskFilter, now int64) (bot.TaskPage, error) {
	if err := checkPage(f.Page, f.PerPage); err != nil {
		return bot.TaskPage{}, err
	}
	order, err := taskOrder(f)
	if err != nil {
		return bot.TaskPage{}, err
	}
	runs = bot.RunFilter{TeamID: f.TeamID, Statuses: f.RunStatuses,
		OnlyVisible: runs.OnlyVisible, VisibleChannelIDs: runs.VisibleChannelIDs}
	runWhere, args := runWhere(runs)
	from := `(SELECT id, name, is_active, channel_id, team_id, create_at, checklists FROM runs WHERE ` +
		runWhere + `) r JOIN run_items i ON i.run_id = r.id`

	conds := []string{"1 = 1"}
	if len(f.States) > 0 {
		conds = append(conds, `i.state IN (?`+strings.Repeat(", ?", len(f.States)-1)+`)`)
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	if f.AssigneeID != "" {
		conds, args = append(conds, `i.assignee_id = ?`), append(args, f.AssigneeID)
	}
	if f.DueBefore > 0 {
		conds, args = append(conds, `i.due_date > 0 AND i.due_date < ?`), append(args, f.DueBefore)
	}
	if f.DueAfter > 0 {
		conds, args = append(conds, `i.due_date > ?`), append(args, f.DueAfter)
	}
	if f.Overdue {
		conds = append(conds, `i.due_date > 0 AND i.due_date < ? AND i.state <> ?`)
		args = append(args, now, bot.ItemClosed)
	}
	where := strings.Join(conds, " AND ")

	// One query gives the page and, with a window, the total. Only a
	// page past the end (no rows) needs the count on its own.
	q := `SELECT r.id AS run_id, r.name AS run_name, r.is_active, r.channel_id, r.team_id, r.checklists, ` +
		qualify("i.", `checklist, position, `+itemColumns) + `, COUNT(*) OVER () AS total FROM ` + from +
		` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	var rows []taskRow
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), append(slices.Clip(args), f.PerPage, f.Page*f.PerPage)...); err != nil {
		return bot.TaskPage{}, err
	}
	total := 0
	if len(rows) > 0 {
		total = rows[0].Total
	} else if f.Page > 0 {
		if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT COUNT(*) FROM `+from+` WHERE `+where), args...); err != nil {
			return bot.TaskPage{}, err
		}
	}
	page := bot.TaskPage{
		TotalCount: total,
		PageCount:  pageCount(total, f.PerPage),
		HasMore:    (f.Page+1)*f.PerPage < total,
		Items:      []bot.Task{},
	}
	for _, row := range rows {
		t := bot.Task{
			RunID: row.RunID, RunName: row.RunName, RunStatus: bot.StatusFinished,
			ChannelID: row.ChannelID, TeamID: row.TeamID,
			ChecklistIndex: row.Checklist, ItemIndex: row.Position, Item: row.item(),
		}
		if row.IsActive {
			t.RunStatus = bot.StatusInProgress
		}
		heads, err := fromJSON[checklistHead](row.Checklists)
		if err != nil {
			return bot.TaskPage{}, fmt.Errorf("decode checklists of run %s: %w", row.RunID, err)
		}
		if row.Checklist < len(heads) {
			t.ChecklistTitle = heads[row.Checklist].Title
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// taskOrder returns the ORDER BY clause of f's order: by due date (items
// without one last, whatever the direction), the run's creation or the
// item's title, then by run, checklist and item so that pages never
// overlap.
func taskOrder(f bot.TaskFilter) (string, error) {
	dir, err := orderDirection(f.Direction)
	if err != nil {
		return "", err
	}
	tie := `r.id ` + dir + `, i.checklist ` + dir + `, i.position ` + dir
	switch f.Sort {
	case "", bot.TaskSortDueDate:
		return `CASE WHEN i.due_date = 0 THEN 1 ELSE 0 END, i.due_date ` + dir + `, r.create_at ` + dir + `, ` + tie, nil
	case bot.TaskSortRunCreateAt:
		return `r.create_at ` + dir + `, ` + tie, nil
	case bot.TaskSortTitle:
		return `i.title ` + dir + `, ` + tie, nil
	}
	return "", bot.FieldErrorf("sort", "sort must be one of %s, got %q", strings.Join(bot.TaskSortFields, ", "), f.Sort)
}
