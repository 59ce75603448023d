package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// A run's checklist items are rows of run_items, addressed as the API
// addresses them: the index of their checklist in the run and their
// position in it, both from 0 and without gaps. runs.checklists holds the
// checklists' IDs and titles, in order.
//
// Locking, on Postgres: a change of the run's structure (UpdateRun: adding,
// moving, removing items, anything else of the run) holds the run's row
// FOR UPDATE; a change of one item (UpdateItem) holds the run's row FOR
// KEY SHARE, which such changes share with each other but not with FOR
// UPDATE, and its item's row FOR UPDATE. So changes of distinct items of
// one run run side by side, changes of one item are applied one after the
// other, and no item moves under a change of an item. On SQLite the one
// write lock orders everything.
//
// Every write of the run row adds 1 to runs.version and every write of an
// item row 1 to its run_items.version; the run's version (what its
// checklist post shows, see RefreshPost) is their sum, which therefore
// grows with every change whichever row it wrote. Removing an item adds its
// version to the run's, so that the sum never goes back.

// itemRow is a row of run_items.
type itemRow struct {
	RunID            string `db:"run_id"`
	Checklist        int    `db:"checklist"`
	Position         int    `db:"position"`
	ID               string `db:"id"`
	Title            string `db:"title"`
	State            string `db:"state"`
	StateModified    int64  `db:"state_modified"`
	AssigneeID       string `db:"assignee_id"`
	AssigneeModified int64  `db:"assignee_modified"`
	Command          string `db:"command"`
	CommandLastRun   int64  `db:"command_last_run"`
	Description      string `db:"description"`
	DueDate          int64  `db:"due_date"`
	Version          int64  `db:"version"`
}

// fields are the scan destinations of itemRowColumns, in order.
func (row *itemRow) fields() []any {
	return []any{&row.RunID, &row.Checklist, &row.Position, &row.ID, &row.Title, &row.State,
		&row.StateModified, &row.AssigneeID, &row.AssigneeModified, &row.Command,
		&row.CommandLastRun, &row.Description, &row.DueDate, &row.Version}
}

// itemColumns are the columns of an item's content, in ChecklistItem's
// order.
const itemColumns = `id, title, state, state_modified, assignee_id, assignee_modified,
	command, command_last_run, description, due_date`

// itemRowColumns are all the columns of itemRow.
const itemRowColumns = `run_id, checklist, position, ` + itemColumns + `, version`

func (row itemRow) item() bot.ChecklistItem {
	return bot.ChecklistItem{
		ID: row.ID, Title: row.Title, State: row.State, StateModified: row.StateModified,
		AssigneeID: row.AssigneeID, AssigneeModified: row.AssigneeModified, Command: row.Command,
		CommandLastRun: row.CommandLastRun, Description: row.Description, DueDate: row.DueDate,
	}
}

func newItemRow(runID string, checklist, position int, it bot.ChecklistItem) itemRow {
	return itemRow{
		RunID: runID, Checklist: checklist, Position: position,
		ID: it.ID, Title: it.Title, State: it.State, StateModified: it.StateModified,
		AssigneeID: it.AssigneeID, AssigneeModified: it.AssigneeModified, Command: it.Command,
		CommandLastRun: it.CommandLastRun, Description: it.Description, DueDate: it.DueDate,
	}
}

// checklistHead is a checklist as runs.checklists keeps it: without items.
type checklistHead struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// headsJSON encodes the heads of cs for runs.checklists.
func headsJSON(cs []bot.Checklist) (string, error) {
	heads := make([]checklistHead, len(cs))
	for i, c := range cs {
		heads[i] = checklistHead{ID: c.ID, Title: c.Title}
	}
	return toJSON(heads)
}

// checklistsFromHeads decodes runs.checklists into checklists without
// items (each Items empty, not nil), to be filled by loadItems.
func checklistsFromHeads(s string) ([]bot.Checklist, error) {
	heads, err := fromJSON[checklistHead](s)
	if err != nil {
		return nil, fmt.Errorf("decode checklists: %w", err)
	}
	cs := make([]bot.Checklist, len(heads))
	for i, h := range heads {
		cs[i] = bot.Checklist{ID: h.ID, Title: h.Title, Items: []bot.ChecklistItem{}}
	}
	return cs, nil
}

// loadItems fills in the items of runs' checklists, with one query
// whatever the number of runs.
func loadItems(ctx context.Context, tx *sqlx.Tx, runs []bot.Run) error {
	if len(runs) == 0 {
		return nil
	}
	var (
		rows []itemRow
		err  error
	)
	if len(runs) == 1 {
		rows, err = scanItems(tx.QueryContext(ctx, tx.Rebind(`SELECT `+itemRowColumns+` FROM run_items
			WHERE run_id = ? ORDER BY checklist, position`), runs[0].ID))
		if err != nil {
			return err
		}
	} else {
		ids := make([]any, len(runs))
		for i := range runs {
			ids[i] = runs[i].ID
		}
		// Sorted here, not by an ORDER BY: one matching the primary key
		// tempts Postgres to walk the whole key in order, filtering, rather
		// than look up the page's runs (140 ms instead of 1 at 800 000
		// items).
		q := `SELECT ` + itemRowColumns + ` FROM run_items WHERE run_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if rows, err = scanItems(tx.QueryContext(ctx, tx.Rebind(q), ids...)); err != nil {
			return err
		}
		slices.SortFunc(rows, func(a, b itemRow) int {
			return cmp.Or(strings.Compare(a.RunID, b.RunID), cmp.Compare(a.Checklist, b.Checklist), cmp.Compare(a.Position, b.Position))
		})
	}
	return fillItems(runs, rows)
}

// fillItems appends rows, ordered by run, checklist and position, to the
// checklists of their runs.
func fillItems(runs []bot.Run, rows []itemRow) error {
	byID := make(map[string]*bot.Run, len(runs))
	for i := range runs {
		byID[runs[i].ID] = &runs[i]
	}
	for _, row := range rows {
		r := byID[row.RunID]
		if row.Checklist < 0 || row.Checklist >= len(r.Checklists) {
			return fmt.Errorf("run %s: item %s is in checklist %d, but the run has %d checklists", r.ID, row.ID, row.Checklist, len(r.Checklists))
		}
		c := &r.Checklists[row.Checklist]
		if row.Position != len(c.Items) {
			return fmt.Errorf("run %s: checklist %d has item %s at position %d, want %d", r.ID, row.Checklist, row.ID, row.Position, len(c.Items))
		}
		c.Items = append(c.Items, row.item())
	}
	return nil
}

// scanItems reads the rows of a query of itemRowColumns, by hand: sqlx's
// reflection took a quarter of the CPU of an item update.
func scanItems(res *sql.Rows, err error) ([]itemRow, error) {
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var rows []itemRow
	for res.Next() {
		var row itemRow
		if err := res.Scan(row.fields()...); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, res.Err()
}

// insertItemsBatch is how many rows one INSERT of insertItemRows writes.
const insertItemsBatch = 100

// insertItems inserts the items of the run's checklists.
func insertItems(ctx context.Context, tx *sqlx.Tx, runID string, cs []bot.Checklist) error {
	var rows []itemRow
	for ci, c := range cs {
		for ii, it := range c.Items {
			rows = append(rows, newItemRow(runID, ci, ii, it))
		}
	}
	return insertItemRows(ctx, tx, rows)
}

// insertItemRows inserts rows, a batch per statement.
func insertItemRows(ctx context.Context, tx *sqlx.Tx, rows []itemRow) error {
	for batch := range slices.Chunk(rows, insertItemsBatch) {
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO run_items (`+itemRowColumns+`) VALUES (
			:run_id, :checklist, :position, :id, :title, :state, :state_modified, :assignee_id,
			:assignee_modified, :command, :command_last_run, :description, :due_date, :version)`, batch); err != nil {
			return fmt.Errorf("insert checklist items: %w", err)
		}
	}
	return nil
}

// itemSet assigns an item row's content, in content's order.
const itemSet = `title = ?, state = ?, state_modified = ?, assignee_id = ?, assignee_modified = ?,
	command = ?, command_last_run = ?, description = ?, due_date = ?, id = ?`

// content is the arguments of itemSet for it.
func content(it bot.ChecklistItem) []any {
	return []any{it.Title, it.State, it.StateModified, it.AssigneeID, it.AssigneeModified,
		it.Command, it.CommandLastRun, it.Description, it.DueDate, it.ID}
}

// slot is where an item is: its checklist and its position in it.
type slot struct{ checklist, position int }

// itemIDsUsable reports whether every item of cs has an ID and no two
// have the same: then an item is followed across a change by its ID.
func itemIDsUsable(cs []bot.Checklist) bool {
	seen := map[string]bool{}
	for _, c := range cs {
		for _, it := range c.Items {
			if it.ID == "" || seen[it.ID] {
				return false
			}
			seen[it.ID] = true
		}
	}
	return true
}

// writeItems brings the run's item rows from old (as stored) to cs,
// writing only what changed: a removed item's row is deleted, a new
// item's inserted, a moved or edited item's updated; an item neither
// moved nor edited is not touched. Items are followed by their IDs; when
// those are missing or repeated (data stored by hand), every row is
// written again. It returns what the removed rows' versions add to the
// run's version.
func writeItems(ctx context.Context, tx *sqlx.Tx, runID string, old, cs []bot.Checklist) (int64, error) {
	if !itemIDsUsable(old) || !itemIDsUsable(cs) {
		if reflect.DeepEqual(old, cs) {
			return 0, nil
		}
		removed, err := deleteItemRows(ctx, tx, `run_id = ?`, runID)
		if err != nil {
			return 0, err
		}
		return removed, insertItems(ctx, tx, runID, cs)
	}
	was := map[string]slot{}
	before := map[string]bot.ChecklistItem{}
	for ci, c := range old {
		for ii, it := range c.Items {
			was[it.ID] = slot{ci, ii}
			before[it.ID] = it
		}
	}
	type write struct {
		from, to slot
		it       bot.ChecklistItem
	}
	var moved, edited []write
	var added []itemRow
	kept := map[string]bool{}
	for ci, c := range cs {
		for ii, it := range c.Items {
			to := slot{ci, ii}
			from, ok := was[it.ID]
			switch {
			case !ok:
				added = append(added, newItemRow(runID, ci, ii, it))
			case from != to:
				moved = append(moved, write{from, to, it})
			case before[it.ID] != it:
				edited = append(edited, write{from, to, it})
			}
			kept[it.ID] = true
		}
	}
	var removed int64
	for id, at := range was {
		if kept[id] {
			continue
		}
		v, err := deleteItemRows(ctx, tx, `run_id = ? AND checklist = ? AND position = ?`, runID, at.checklist, at.position)
		if err != nil {
			return 0, err
		}
		removed += v
	}
	// A moved item goes first to a negative position of its new
	// checklist, free whatever the order of the moves, then all come back
	// at once: no two rows ever share a slot (the primary key).
	moveQ := tx.Rebind(`UPDATE run_items SET checklist = ?, position = ?, ` + itemSet +
		` WHERE run_id = ? AND checklist = ? AND position = ?`)
	for _, m := range moved {
		args := append([]any{m.to.checklist, -1 - m.to.position}, content(m.it)...)
		if _, err := tx.ExecContext(ctx, moveQ, append(args, runID, m.from.checklist, m.from.position)...); err != nil {
			return 0, fmt.Errorf("move item %s: %w", m.it.ID, err)
		}
	}
	if len(moved) > 0 {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE run_items SET position = -1 - position
			WHERE run_id = ? AND position < 0`), runID); err != nil {
			return 0, fmt.Errorf("move items: %w", err)
		}
	}
	editQ := tx.Rebind(`UPDATE run_items SET ` + itemSet + ` WHERE run_id = ? AND checklist = ? AND position = ?`)
	for _, e := range edited {
		if _, err := tx.ExecContext(ctx, editQ, append(content(e.it), runID, e.to.checklist, e.to.position)...); err != nil {
			return 0, fmt.Errorf("update item %s: %w", e.it.ID, err)
		}
	}
	return removed, insertItemRows(ctx, tx, added)
}

// deleteItemRows deletes the item rows matching where and returns the sum
// of their versions.
func deleteItemRows(ctx context.Context, tx *sqlx.Tx, where string, args ...any) (int64, error) {
	var versions []int64
	if err := tx.SelectContext(ctx, &versions, tx.Rebind(`DELETE FROM run_items WHERE `+where+` RETURNING version`), args...); err != nil {
		return 0, fmt.Errorf("delete checklist items: %w", err)
	}
	var sum int64
	for _, v := range versions {
		sum += v
	}
	return sum, nil
}

// UpdateItem locks one item of the run, calls fn on it and saves the item
// and fn's change, in one transaction: see bot.RunStore. The item is
// ref's: by ID when ref.ItemID is set, else at ref's indexes.
func (db *DB) UpdateItem(ctx context.Context, id string, ref bot.ItemRef, fn func(*bot.RunItem) (bot.RunChange, error)) (bot.RunItem, error) {
	var (
		ri    bot.RunItem
		fnErr error
	)
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		r, err := db.runForItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if ri, err = db.itemForItem(ctx, tx, r, ref); err != nil {
			return err
		}
		before := ri
		before.Run = cloneRun(ri.Run)
		var change bot.RunChange
		if change, fnErr = fn(&ri); fnErr != nil {
			return fnErr
		}
		if err := onlyItemChanged(before, ri); err != nil {
			return err
		}
		if it := ri.Item; ri.Found && it != before.Item {
			update := `UPDATE run_items SET ` + itemSet + `, version = version + 1
				WHERE run_id = ? AND checklist = ? AND position = ?`
			args := append(content(it), id, ri.Checklist, ri.Position)
			// The usual change, an item and its one event, is one
			// statement on Postgres: a round trip less for every click.
			if e, ok := loneEvent(change); ok && db.dialect.name == postgresDialect.name {
				e.RunID = id
				update = `WITH updated AS (` + update + `) INSERT INTO timeline_events (` + eventColumns + `, seq)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, nextval('timeline_events_seq'))`
				args = append(args, e.ID, e.RunID, e.CreateAt, e.DeleteAt, e.EventAt, e.EventType, e.Summary,
					e.Details, e.PostID, e.SubjectUserID, e.CreatorUserID)
				change.Events = nil
			}
			if err := db.execPrepared(ctx, tx, tx.Rebind(update), args...); err != nil {
				return conflict(fmt.Errorf("update item %s: %w", it.ID, err), "timeline event of item %s already exists", it.ID)
			}
		}
		var added []string
		for _, u := range ri.Run.ParticipantIDs {
			if !slices.Contains(before.Run.ParticipantIDs, u) {
				added = append(added, u)
			}
		}
		if err := insertParticipants(ctx, tx, id, added); err != nil {
			return err
		}
		ri.Run.ParticipantIDs = slices.Compact(slices.Sorted(slices.Values(ri.Run.ParticipantIDs)))
		return db.saveChange(ctx, tx, id, change)
	})
	if fnErr != nil {
		return bot.RunItem{}, fnErr
	}
	if err != nil {
		return bot.RunItem{}, fmt.Errorf("update item of run %s: %w", id, err)
	}
	return ri, nil
}

// runForItem reads the run's row, FOR KEY SHARE (see the top of this
// file), with its participants in the same statement.
func (db *DB) runForItem(ctx context.Context, tx *sqlx.Tx, id string) (bot.Run, error) {
	var row runRow
	q := `SELECT ` + runColumns + `, ` + participantsColumn(tx, "runs") + ` FROM runs WHERE id = ?` + db.dialect.keyShare
	if err := db.getPrepared(ctx, tx, &row, tx.Rebind(q), id); err != nil {
		return bot.Run{}, notFound(err, "run %s not found", id)
	}
	r, err := row.run()
	if err != nil {
		return bot.Run{}, err
	}
	return r, nil
}

// itemForItem locks ref's item of run r FOR UPDATE and returns it, as its
// latest version whatever the wait, with r around it. When ref names no
// item, it reads all of r's items instead, so that UpdateItem's fn can
// say why (see bot.RunItem): no item moves while the run is held FOR KEY
// SHARE.
func (db *DB) itemForItem(ctx context.Context, tx *sqlx.Tx, r bot.Run, ref bot.ItemRef) (bot.RunItem, error) {
	where, args := `checklist = ? AND position = ?`, []any{r.ID, ref.Checklist, ref.Item}
	switch {
	case ref.ItemID != "":
		where, args = `id = ?`, []any{r.ID, ref.ItemID}
	case ref.Checklist < 0 || ref.Item < 0 || ref.Checklist > math.MaxInt32 || ref.Item > math.MaxInt32:
		where, args = `1 = 0`, []any{r.ID} // no such item, nor a valid INTEGER
	}
	q := `SELECT ` + itemRowColumns + ` FROM run_items WHERE run_id = ? AND ` + where + db.dialect.forUpdate
	rows, err := scanItems(db.queryPrepared(ctx, tx, tx.Rebind(q), args...))
	if err != nil {
		return bot.RunItem{}, err
	}
	if len(rows) == 0 {
		runs := []bot.Run{r}
		if err := loadItems(ctx, tx, runs); err != nil {
			return bot.RunItem{}, err
		}
		return bot.RunItem{Run: runs[0]}, nil
	}
	t := rows[0]
	if t.Checklist >= len(r.Checklists) {
		return bot.RunItem{}, fmt.Errorf("run %s: item %s is in checklist %d, but the run has %d checklists", r.ID, t.ID, t.Checklist, len(r.Checklists))
	}
	return bot.RunItem{Run: r, Checklist: t.Checklist, Position: t.Position, Item: t.item(), Found: true}, nil
}

// idSeparator joins IDs aggregated in one column: no ID holds it.
const idSeparator = "\x1f"

// loneEvent returns the change's event when it is all the change holds.
func loneEvent(c bot.RunChange) (bot.TimelineEvent, bool) {
	if len(c.Events) != 1 || c.StatusUpdate != nil || len(c.DeleteEventIDs) > 0 ||
		len(c.CancelJobs) > 0 || len(c.Jobs) > 0 || c.Idempotency != nil {
		return bot.TimelineEvent{}, false
	}
	return c.Events[0], true
}

// cloneRun copies r deeply enough that changes of the copy's checklists
// and participants leave r alone.
func cloneRun(r bot.Run) bot.Run {
	c := r
	c.Checklists = make([]bot.Checklist, len(r.Checklists))
	for i, cl := range r.Checklists {
		c.Checklists[i] = cl
		c.Checklists[i].Items = slices.Clone(cl.Items)
	}
	c.ParticipantIDs = slices.Clone(r.ParticipantIDs)
	c.BroadcastChannelIDs = slices.Clone(r.BroadcastChannelIDs)
	return c
}

// onlyItemChanged returns an error when after differs from before in more
// than its item (when found) and added participants: UpdateItem saves
// nothing else, so a caller changing more has a bug, refused rather than
// half saved.
func onlyItemChanged(before, after bot.RunItem) error {
	b, a := before, after // copies: only their fields are set below
	if b.Found {
		a.Item, b.Item = bot.ChecklistItem{}, bot.ChecklistItem{}
	}
	a.Run.ParticipantIDs, b.Run.ParticipantIDs = nil, nil
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("update item of run %s: the change touches more than its item (found: %v, checklist %d, item %d)",
			before.Run.ID, before.Found, before.Checklist, before.Position)
	}
	for _, u := range before.Run.ParticipantIDs {
		if !slices.Contains(after.Run.ParticipantIDs, u) {
			return fmt.Errorf("update item of run %s: the change removes participant %s", before.Run.ID, u)
		}
	}
	return nil
}
