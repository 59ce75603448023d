package store

import (
	"context"
	"slices"

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

// participantRow is a row of run_participants.
type participantRow struct {
	RunID  string `db:"run_id"`
	UserID string `db:"user_id"`
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
	for _, e := range events {
		seq++
		row := struct {
			eventRow
			Seq int64 `db:"seq"`
		}{eventRow(e), seq}
		row.RunID = runID
		_, err := tx.NamedExecContext(ctx, `INSERT INTO timeline_events (`+eventColumns+`, seq) VALUES (
			:id, :run_id, :create_at, :delete_at, :event_at, :event_type, :summary,
			:details, :post_id, :subject_user_id, :creator_user_id, `+seqValue+`)`, row)
		if err != nil {
			return conflict(err, "timeline event %s already exists", e.ID)
		}
	}
	return nil
}

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

// loadRunDetails fills in the participants (sorted) of runs and, when
// history is set, their status updates (oldest first) and undeleted
// timeline events (by event time), with one query for each kind whatever
// the number of runs.
func loadRunDetails(ctx context.Context, tx *sqlx.Tx, runs []bot.Run, history bool) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]string, len(runs))
	byID := make(map[string]*bot.Run, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
		byID[runs[i].ID] = &runs[i]
	}

	var participants []participantRow
	if err := selectIn(ctx, tx, &participants,
		`SELECT run_id, user_id FROM run_participants WHERE run_id IN (?)`, ids); err != nil {
		return err
	}
	for _, p := range participants {
		r := byID[p.RunID]
		r.ParticipantIDs = append(r.ParticipantIDs, p.UserID)
	}
	for i := range runs {
		slices.Sort(runs[i].ParticipantIDs) // in Go: collations differ
	}
	if !history {
		return nil
	}
	for i := range runs {
		runs[i].StatusUpdates, runs[i].TimelineEvents = []bot.StatusUpdate{}, []bot.TimelineEvent{}
	}

	var updates []statusUpdateRow
	if err := selectIn(ctx, tx, &updates, `SELECT `+statusUpdateColumns+` FROM status_updates
		WHERE run_id IN (?) ORDER BY create_at, id`, ids); err != nil {
		return err
	}
	for _, u := range updates {
		r := byID[u.RunID]
		r.StatusUpdates = append(r.StatusUpdates, u.statusUpdate())
	}

	var events []eventRow
	if err := selectIn(ctx, tx, &events, `SELECT `+eventColumns+` FROM timeline_events
		WHERE run_id IN (?) AND delete_at = 0 ORDER BY event_at, create_at, seq, id`, ids); err != nil {
		return err
	}
	for _, e := range events {
		r := byID[e.RunID]
		r.TimelineEvents = append(r.TimelineEvents, e.event())
	}
	return nil
}
