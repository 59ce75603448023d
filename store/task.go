package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// Tasks are the checklist items of runs, which live as JSON in
// runs.checklists: the query unnests them in the database (Postgres
// jsonb_array_elements WITH ORDINALITY, SQLite json_each), so that
// filtering, counting, ordering and paging all happen in SQL and only the
// page's items reach Go.

// taskSQL is what differs between the dialects: the FROM clause unnesting
// the checklists of the runs subquery r into rows, and the expressions over
// one item of it.
type taskSQL struct {
	from                           func(runs string) string
	clIndex, clTitle, itemIndex    string
	item, state, assignee, due, ti string
}

var (
	postgresTaskSQL = taskSQL{
		from: func(runs string) string {
			return `(` + runs + `) r
			CROSS JOIN LATERAL jsonb_array_elements(r.checklists::jsonb) WITH ORDINALITY AS c(cl, ci)
			CROSS JOIN LATERAL jsonb_array_elements(COALESCE(c.cl->'items', '[]'::jsonb)) WITH ORDINALITY AS i(it, ii)`
		},
		clIndex:   `(c.ci - 1)`,
		clTitle:   `COALESCE(c.cl->>'title', '')`,
		itemIndex: `(i.ii - 1)`,
		item:      `i.it::text`,
		state:     `COALESCE(i.it->>'state', '')`,
		assignee:  `COALESCE(i.it->>'assignee_id', '')`,
		due:       `COALESCE((i.it->>'due_date')::bigint, 0)`,
		ti:        `COALESCE(i.it->>'title', '')`,
	}
	sqliteTaskSQL = taskSQL{
		from: func(runs string) string {
			return `(` + runs + `) r, json_each(r.checklists) c, json_each(c.value, '$.items') i`
		},
		clIndex:   `c.key`,
		clTitle:   `COALESCE(json_extract(c.value, '$.title'), '')`,
		itemIndex: `i.key`,
		item:      `i.value`,
		state:     `COALESCE(json_extract(i.value, '$.state'), '')`,
		assignee:  `COALESCE(json_extract(i.value, '$.assignee_id'), '')`,
		due:       `COALESCE(json_extract(i.value, '$.due_date'), 0)`,
		ti:        `COALESCE(json_extract(i.value, '$.title'), '')`,
	}
)

// taskRow is one row of a page of tasks.
type taskRow struct {
	RunID          string `db:"run_id"`
	RunName        string `db:"run_name"`
	IsActive       bool   `db:"is_active"`
	ChannelID      string `db:"channel_id"`
	TeamID         string `db:"team_id"`
	ChecklistIndex int    `db:"checklist_index"`
	ChecklistTitle string `db:"checklist_title"`
	ItemIndex      int    `db:"item_index"`
	Item           string `db:"item"`
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
	d := sqliteTaskSQL
	if db.dialect.name == "postgres" {
		d = postgresTaskSQL
	}
	order, err := taskOrder(d, f)
	if err != nil {
		return bot.TaskPage{}, err
	}
	runs = bot.RunFilter{TeamID: f.TeamID, Statuses: f.RunStatuses,
		OnlyVisible: runs.OnlyVisible, VisibleChannelIDs: runs.VisibleChannelIDs}
	runWhere, args := runWhere(runs)
	from := d.from(`SELECT id, name, is_active, channel_id, team_id, create_at, checklists FROM runs WHERE ` + runWhere)

	conds := []string{"1 = 1"}
	if len(f.States) > 0 {
		conds = append(conds, d.state+` IN (?`+strings.Repeat(", ?", len(f.States)-1)+`)`)
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	if f.AssigneeID != "" {
		conds, args = append(conds, d.assignee+` = ?`), append(args, f.AssigneeID)
	}
	if f.DueBefore > 0 {
		conds, args = append(conds, d.due+` > 0 AND `+d.due+` < ?`), append(args, f.DueBefore)
	}
	if f.DueAfter > 0 {
		conds, args = append(conds, d.due+` > ?`), append(args, f.DueAfter)
	}
	if f.Overdue {
		conds = append(conds, d.due+` > 0 AND `+d.due+` < ? AND `+d.state+` <> ?`)
		args = append(args, now, bot.ItemClosed)
	}
	where := strings.Join(conds, " AND ")

	var total int
	if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT COUNT(*) FROM `+from+` WHERE `+where), args...); err != nil {
		return bot.TaskPage{}, err
	}
	page := bot.TaskPage{
		TotalCount: total,
		PageCount:  pageCount(total, f.PerPage),
		HasMore:    (f.Page+1)*f.PerPage < total,
		Items:      []bot.Task{},
	}
	if f.Page*f.PerPage >= total {
		return page, nil
	}
	q := `SELECT r.id AS run_id, r.name AS run_name, r.is_active, r.channel_id, r.team_id, ` +
		d.clIndex + ` AS checklist_index, ` + d.clTitle + ` AS checklist_title, ` +
		d.itemIndex + ` AS item_index, ` + d.item + ` AS item FROM ` + from +
		` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	args = append(args, f.PerPage, f.Page*f.PerPage)
	var rows []taskRow
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return bot.TaskPage{}, err
	}
	for _, row := range rows {
		t := bot.Task{
			RunID: row.RunID, RunName: row.RunName, RunStatus: bot.StatusFinished,
			ChannelID: row.ChannelID, TeamID: row.TeamID,
			ChecklistIndex: row.ChecklistIndex, ChecklistTitle: row.ChecklistTitle, ItemIndex: row.ItemIndex,
		}
		if row.IsActive {
			t.RunStatus = bot.StatusInProgress
		}
		if err := json.Unmarshal([]byte(row.Item), &t.Item); err != nil {
			return bot.TaskPage{}, fmt.Errorf("decode item %d of checklist %d of run %s: %w", row.ItemIndex, row.ChecklistIndex, row.RunID, err)
		}
		page.Items = append(page.Items, t)
	}
	return page, nil
}

// taskOrder returns the ORDER BY clause of f's order: by due date (items
// without one last, whatever the direction), the run's creation or the
// item's title, then by run, checklist and item so that pages never
// overlap.
func taskOrder(d taskSQL, f bot.TaskFilter) (string, error) {
	dir, err := orderDirection(f.Direction)
	if err != nil {
		return "", err
	}
	tie := `r.id ` + dir + `, ` + d.clIndex + ` ` + dir + `, ` + d.itemIndex + ` ` + dir
	switch f.Sort {
	case "", bot.TaskSortDueDate:
		return `CASE WHEN ` + d.due + ` = 0 THEN 1 ELSE 0 END, ` + d.due + ` ` + dir + `, r.create_at ` + dir + `, ` + tie, nil
	case bot.TaskSortRunCreateAt:
		return `r.create_at ` + dir + `, ` + tie, nil
	case bot.TaskSortTitle:
		return d.ti + ` ` + dir + `, ` + tie, nil
	}
	return "", bot.FieldErrorf("sort", "sort must be one of %s, got %q", strings.Join(bot.TaskSortFields, ", "), f.Sort)
}
