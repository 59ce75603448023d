package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// A run's history: its timeline events, its status updates and who took
// part. These are only written and read along with their run, in its
// transaction.

// eventRow is a row of timeline_events.
type eventRow struct {
	ID            string `db:"id"`
	RunID         string `db:"run_id"`
	CreateAt      int64  `db:"create_at"`
	DeleteAt      int64  `db:"delete_at"`
	EventAt       int64  `db:"event_at"`
	EventType     string `db:"event_type"`
	Summary       string `db:"summary"`
	Details       string `db:"details"`
	PostID        string `db:"post_id"`
	SubjectUserID string `db:"subject_user_id"`
	CreatorUserID string `db:"creator_user_id"`
}

const eventColumns = `id, run_id, create_at, delete_at, event_at, event_type, summary,
	details, post_id, subject_user_id, creator_user_id`

func (row eventRow) event() bot.TimelineEvent {
	return bot.TimelineEvent(row)
}

// statusUpdateRow is a row of status_updates.
type statusUpdateRow struct {
	ID       string `db:"id"`
	RunID    string `db:"run_id"`
	UserID   string `db:"user_id"`
	Message  string `db:"message"`
	Reminder int64  `db:"reminder"`
	CreateAt int64  `db:"create_at"`
}

const statusUpdateColumns = `id, run_id, user_id, message, reminder, create_at`

func (row statusUpdateRow) statusUpdate() bot.StatusUpdate {
	return bot.StatusUpdate(row)
}

// insertEvents appends events to the timeline of the run runID.
func insertEvents(ctx context.Context, tx *sqlx.Tx, runID string, events []bot.TimelineEvent) error {
	if len(events) == 0 {
		return nil
	}
	// seq numbers the run's events in the order they were written, to order
	// events of one millisecond. On Postgres a sequence gives it: changes
	// of distinct items of one run write events side by side (see
	// item.go). On SQLite the write lock orders every writer.
	var seq int64
	postgres := tx.DriverName() == "postgres"
	if !postgres {
		if err := tx.GetContext(ctx, &seq, `SELECT COALESCE(MAX(seq), 0) FROM timeline_events WHERE run_id = ?`, runID); err != nil {
			return err
		}
	}
	seqValue := ":seq"
	if postgres {
		seqValue = "nextval('timeline_events_seq')"
	}
	type seqRow struct {
		eventRow
		Seq int64 `db:"seq"`
	}
	rows := make([]seqRow, len(events))
	for i, e := range events {
		seq++
		rows[i] = seqRow{eventRow(e), seq}
		rows[i].RunID = runID
	}
	// One statement per eventBatch events (a change writes one or a few;
	// an import or a test, thousands), in their order: Postgres's sequence
	// numbers a statement's rows in the order they are listed.
	for len(rows) > 0 {
		batch := rows[:min(len(rows), eventBatch)]
		rows = rows[len(batch):]
		_, err := tx.NamedExecContext(ctx, `INSERT INTO timeline_events (`+eventColumns+`, seq) VALUES (
			:id, :run_id, :create_at, :delete_at, :event_at, :event_type, :summary,
			:details, :post_id, :subject_user_id, :creator_user_id, `+seqValue+`)`, batch)
		if err != nil {
			if len(batch) == 1 {
				return conflict(err, "timeline event %s already exists", batch[0].ID)
			}
			return conflict(err, "one of timeline events %s to %s already exists", batch[0].ID, batch[len(batch)-1].ID)
		}
	}
	return nil
}

// eventBatch is the most events one INSERT writes: 11 parameters each,
// well within both databases' limits on a statement's parameters.
const eventBatch = 500

// deleteEvents soft-deletes events of the run runID at the time at. It
// fails with ENotFound, so that the transaction rolls back, when one of ids
// is not an undeleted event of that run.
func deleteEvents(ctx context.Context, tx *sqlx.Tx, runID string, ids []string, at int64) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	q, args, err := sqlx.In(`UPDATE timeline_events SET delete_at = ?
		WHERE run_id = ? AND delete_at = 0 AND id IN (?)`, at, runID, ids)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != int64(len(ids)) {
		return bot.Errorf(bot.ENotFound, "timeline event not found in run %s (or already deleted)", runID)
	}
	return nil
}

// insertStatusUpdate records a status update of the run runID.
func insertStatusUpdate(ctx context.Context, tx *sqlx.Tx, runID string, u bot.StatusUpdate) error {
	row := statusUpdateRow(u)
	row.RunID = runID
	_, err := tx.NamedExecContext(ctx, `INSERT INTO status_updates (`+statusUpdateColumns+`)
		VALUES (:id, :run_id, :user_id, :message, :reminder, :create_at)`, row)
	return conflict(err, "status update %s already exists", u.ID)
}

// loadRunDetails fills in, when history is set, the newest status updates
// and timeline events of runs, as loadRunParts. (Their participants come
// with their rows: participantsColumn.)
func loadRunDetails(ctx context.Context, tx *sqlx.Tx, runs []bot.Run, history bool) error {
	return loadRunParts(ctx, tx, runs, bot.RunInclude{TimelineEvents: history, StatusUpdates: history})
}

// loadRunParts fills in the history of runs that include names: the newest bot.HistoryLimit status updates and undeleted
// timeline events of each run, oldest first, with their totals. It makes
// one query for each kind whatever the number of runs, and what it returns
// is bounded however long a run's history (though the database still
// counts and ranks all of a listed run's rows).
func loadRunParts(ctx context.Context, tx *sqlx.Tx, runs []bot.Run, include bot.RunInclude) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]string, len(runs))
	byID := make(map[string]*bot.Run, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
		byID[runs[i].ID] = &runs[i]
	}

	if include.StatusUpdates {
		if err := loadStatusUpdates(ctx, tx, ids, byID); err != nil {
			return err
		}
	}
	if include.TimelineEvents {
		return loadTimelines(ctx, tx, ids, byID)
	}
	return nil
}

// newestOfOne returns the query of the newest bot.HistoryLimit rows of the
// one run ids names, newest first, each with the run's count as total: one
// backward range of the table's index and a count, cheaper for one run than
// newestOf's window, which ranks every row of the run.
func newestOfOne(columns, table, where, newestFirst string) string {
	return `SELECT ` + columns + `, (SELECT COUNT(*) FROM ` + table + ` WHERE ` + where + `) AS total
		FROM ` + table + ` WHERE ` + where + ` ORDER BY ` + newestFirst + ` LIMIT ?`
}

// newestOf returns the query of the newest bot.HistoryLimit rows of each
// run of a table, oldest first, each with its run's count as total, for a
// whole page of runs in one statement: each run's rows are numbered oldest
// first (a window over the run), counted, and the last ones kept. Numbering
// oldest first follows the table's index, so the database sorts nothing,
// and counting apart rather than with a second window spares it holding a
// long run's rows in memory (on SQLite and Postgres alike, about twice as
// fast for a 25,000-event run). The counts are a materialized CTE, made
// once: as a joined subquery, Postgres with statistics from before a burst
// of events (a table it had seen nearly empty) planned a nested loop that
// counted the runs again for each numbered row, 6 s for a page with one
// 6,000-event run. Both ? of where are the list of run IDs; the last ? is
// the limit.
func newestOf(columns, table, where, oldestFirst string) string {
	return `WITH c AS MATERIALIZED (
			SELECT run_id, COUNT(*) AS total FROM ` + table + ` WHERE ` + where + ` GROUP BY run_id
		)
		SELECT ` + qualify("n.", columns) + `, c.total FROM (
			SELECT ` + columns + `, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY ` + oldestFirst + `) AS rn
			FROM ` + table + ` WHERE ` + where + `
		) n JOIN c ON c.run_id = n.run_id
		WHERE n.rn > c.total - ? ORDER BY ` + qualify("n.", "run_id, "+oldestFirst)
}

// loadStatusUpdates fills in the newest status updates of the runs ids.
func loadStatusUpdates(ctx context.Context, tx *sqlx.Tx, ids []string, byID map[string]*bot.Run) error {
	for _, r := range byID {
		r.StatusUpdates, r.StatusUpdatesTotal = []bot.StatusUpdate{}, 0
	}
	rows, err := selectNewest[struct {
		statusUpdateRow
		Total int `db:"total"`
	}](ctx, tx, ids, statusUpdateColumns, "status_updates", "", "create_at DESC, id DESC", "create_at, id")
	if err != nil {
		return err
	}
	for _, u := range rows {
		r := byID[u.RunID]
		r.StatusUpdates = append(r.StatusUpdates, u.statusUpdate())
		r.StatusUpdatesTotal = u.Total
	}
	return nil
}

// loadTimelines fills in the newest undeleted timeline events of the runs
// ids.
func loadTimelines(ctx context.Context, tx *sqlx.Tx, ids []string, byID map[string]*bot.Run) error {
	for _, r := range byID {
		r.TimelineEvents, r.TimelineEventsTotal = []bot.TimelineEvent{}, 0
	}
	rows, err := selectNewest[struct {
		eventRow
		Seq   int64 `db:"seq"`
		Total int   `db:"total"`
	}](ctx, tx, ids, timelineColumns, "timeline_events", undeleted,
		"event_at DESC, create_at DESC, seq DESC, id DESC", eventOrder)
	if err != nil {
		return err
	}
	for _, e := range rows {
		r := byID[e.RunID]
		r.TimelineEvents = append(r.TimelineEvents, e.event())
		r.TimelineEventsTotal = e.Total
	}
	return nil
}

// eventOrder is the order of a run's timeline: by event time, then in the
// order the events were written.
const eventOrder = "event_at, create_at, seq, id"

// timelineColumns are the columns a run's timeline is read with, and
// undeleted the condition on its events.
const (
	timelineColumns = eventColumns + ", seq"
	undeleted       = " AND delete_at = 0"
)

// selectNewest returns the newest bot.HistoryLimit rows of each of the
// runs ids in table (its columns, those matching cond, which is "" or
// starts with " AND "), oldest first, each with its run's count as total:
// with newestOfOne for one run, else with newestOf's window for all of
// them at once.
func selectNewest[T any](ctx context.Context, tx *sqlx.Tx, ids []string, columns, table, cond, newestFirst, oldestFirst string) ([]T, error) {
	var rows []T
	if len(ids) == 1 {
		q := newestOfOne(columns, table, "run_id = ?"+cond, newestFirst)
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), ids[0], ids[0], bot.HistoryLimit); err != nil {
			return nil, err
		}
		slices.Reverse(rows)
		return rows, nil
	}
	q, args, err := newestOfMany(ids, columns, table, cond, oldestFirst)
	if err != nil {
		return nil, err
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	return rows, nil
}

// maxTimelinePage bounds a page of TimelineEvents.
const maxTimelinePage = 10000

// TimelineEvents returns a page of the undeleted timeline events of the
// run runID, in time order, after the cursor after ("" for the first).
// The cursor holds the sort key of the page's last event, so each page is
// one index range read whatever its depth, and an event deleted or added
// between pages neither shifts nor repeats the others. EInvalid for a
// cursor this store did not make or a limit out of range.
func (db *DB) TimelineEvents(ctx context.Context, runID, after string, limit int) (bot.TimelinePage, error) {
	if limit < 1 || limit > maxTimelinePage {
		return bot.TimelinePage{}, bot.FieldErrorf("limit", "limit must be 1 to %d, got %d", maxTimelinePage, limit)
	}
	cond, args := "", []any{runID}
	if after != "" {
		c, err := parseEventCursor(after)
		if err != nil {
			return bot.TimelinePage{}, err
		}
		cond = ` AND (event_at, create_at, seq, id) > (?, ?, ?, ?)`
		args = append(args, c.EventAt, c.CreateAt, c.Seq, c.ID)
	}
	var rows []eventCursor
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		q := `SELECT ` + eventColumns + `, seq FROM timeline_events
			WHERE run_id = ? AND delete_at = 0` + cond + ` ORDER BY ` + eventOrder + ` LIMIT ?`
		return tx.SelectContext(ctx, &rows, tx.Rebind(q), append(args, limit+1)...)
	})
	if err != nil {
		return bot.TimelinePage{}, fmt.Errorf("list timeline events of run %s: %w", runID, err)
	}
	page := bot.TimelinePage{Events: make([]bot.TimelineEvent, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = rows[limit-1].cursor()
	}
	for _, row := range rows {
		page.Events = append(page.Events, row.event())
	}
	return page, nil
}

// eventCursor is an event row with its seq: the sort key a page's cursor
// holds.
type eventCursor struct {
	eventRow
	Seq int64 `db:"seq"`
}

// cursor encodes the sort key of the event.
func (c eventCursor) cursor() string {
	key := fmt.Sprintf("%d.%d.%d.%s", c.EventAt, c.CreateAt, c.Seq, c.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// parseEventCursor decodes a cursor cursor made. EInvalid.
func parseEventCursor(s string) (eventCursor, error) {
	var c eventCursor
	bad := bot.FieldErrorf("after", "invalid timeline cursor %q", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, bad
	}
	parts := strings.SplitN(string(b), ".", 4)
	if len(parts) != 4 || parts[3] == "" {
		return c, bad
	}
	for i, dst := range []*int64{&c.EventAt, &c.CreateAt, &c.Seq} {
		if *dst, err = strconv.ParseInt(parts[i], 10, 64); err != nil {
			return c, bad
		}
	}
	c.ID = parts[3]
	return c, nil
}

// TimelineEvent returns the undeleted event eventID of the run runID.
// ENotFound.
func (db *DB) TimelineEvent(ctx context.Context, runID, eventID string) (bot.TimelineEvent, error) {
	var row eventRow
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+eventColumns+` FROM timeline_events
			WHERE run_id = ? AND id = ? AND delete_at = 0`), runID, eventID)
		return notFound(err, "timeline event %s not found in run %s (or deleted)", eventID, runID)
	})
	if err != nil {
		return bot.TimelineEvent{}, fmt.Errorf("get timeline event %s: %w", eventID, err)
	}
	return row.event(), nil
}

// newestOfMany returns newestOf's query for the runs ids, with its
// arguments, for selectNewest.
func newestOfMany(ids []string, columns, table, cond, oldestFirst string) (string, []any, error) {
	return sqlx.In(newestOf(columns, table, "run_id IN (?)"+cond, oldestFirst), ids, ids, bot.HistoryLimit)
}
