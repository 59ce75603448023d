package store

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/playbooks-bot/playbooks/bot"
)

// RefreshPost brings the run's checklist post up to date under a lock of
// the run's post that is not its row's lock, so that changes of the run
// never wait for the chat call made under it:
//
//   - on Postgres, a transaction-scoped advisory lock keyed by the run
//     (pg_advisory_xact_lock), held by every replica alike, in a
//     transaction that reads the run, calls show and records its outcome;
//     the run's row is locked only by that last write;
//   - on SQLite, a lock of this process: an SQLite database has one
//     process writing it (a deployment on SQLite is a single replica). No
//     transaction is open during show.
//
// Under the lock it reads the run's version and then its state (as
// RunState). Unless force is set, a run whose post exists and already
// shows that version (rendered_version ≥ version) is left alone and show is
// not called. Otherwise show is called with the run: it posts the
// checklist when the run has no post (so the first post is made once,
// whichever replica gets there first) or rewrites it, and returns the
// post's ID ("" to leave it as is); the ID is recorded, and
// rendered_version raised to the version read. An error from show is
// returned as it is, with nothing recorded. It reports whether show was
// called. ENotFound.
func (db *DB) RefreshPost(ctx context.Context, id string, force bool, show func(bot.Run) (string, error)) (bool, error) {
	var (
		called  bool
		showErr error
		err     error
	)
	if db.dialect.name == postgresDialect.name {
		err = db.write(ctx, func(tx *sqlx.Tx) error {
			// One round trip, in the simple protocol (no parameters; the
			// key is quoted). A rewrite's record only spares the next
			// refresh a redundant rewrite: not worth a WAL flush per
			// click; lost in a crash of Postgres, it costs that rewrite.
			// A new post's ID is committed durably (below), lest it be
			// posted again.
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO OFF; SELECT pg_advisory_xact_lock(hashtext(`+
				pq.QuoteLiteral("playbooks post:"+id)+`))`); err != nil {
				return fmt.Errorf("lock post: %w", err)
			}
			r, version, skip, err := readPost(ctx, tx, id, force)
			if err != nil || skip {
				return err
			}
			called = true
			postID, err := show(r)
			if err != nil {
				showErr = err
				return err
			}
			if postID != "" && postID != r.ChecklistPostID {
				if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO ON`); err != nil {
					return err
				}
			}
			// The simple protocol again: one round trip, not two.
			_, err = tx.ExecContext(ctx, fmt.Sprintf(`UPDATE runs SET
				checklist_post_id = CASE WHEN %[1]s = '' THEN checklist_post_id ELSE %[1]s END,
				rendered_version = GREATEST(rendered_version, %[2]d) WHERE id = %[3]s`,
				pq.QuoteLiteral(postID), version, pq.QuoteLiteral(id)))
			if err != nil {
				return fmt.Errorf("record post %s: %w", postID, err)
			}
			return nil
		})
	} else {
		unlock := postLocks.lock(id)
		defer unlock()
		var (
			r       bot.Run
			version int64
			skip    bool
		)
		err = db.read(ctx, func(tx *sqlx.Tx) error {
			var err error
			r, version, skip, err = readPost(ctx, tx, id, force)
			return err
		})
		if err == nil && !skip {
			called = true
			var postID string
			if postID, showErr = show(r); showErr == nil {
				err = db.write(ctx, func(tx *sqlx.Tx) error { return recordPost(ctx, tx, id, postID, version) })
			}
		}
	}
	if showErr != nil {
		return called, showErr
	}
	if err != nil {
		return called, fmt.Errorf("refresh post of run %s: %w", id, err)
	}
	return called, nil
}

// readPost reads the run's version with its state (one row read: they
// agree), and whether its post is to be left alone: it exists and shows
// that version, and force is not set.
func readPost(ctx context.Context, tx *sqlx.Tx, id string, force bool) (bot.Run, int64, bool, error) {
	var row struct {
		runRow
		Version  int64 `db:"version"`
		Rendered int64 `db:"rendered_version"`
	}
	// The version (the run row's plus its items', see item.go) is read
	// first, in one statement with the run row; the items after it, so
	// that they show at least that version (Postgres reads each statement
	// in its own snapshot here): the post is then never recorded to show
	// a change it does not show.
	if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT version + COALESCE((SELECT SUM(i.version)
		FROM run_items i WHERE i.run_id = runs.id), 0) AS version, rendered_version, `+runColumns+`, `+participantsColumn(tx, "runs")+`
		FROM runs WHERE id = ?`), id); err != nil {
		return bot.Run{}, 0, false, notFound(err, "run %s not found", id)
	}
	r, err := row.run()
	if err != nil {
		return bot.Run{}, 0, false, err
	}
	runs := []bot.Run{r}
	if err := loadRunDetails(ctx, tx, runs, false); err != nil {
		return bot.Run{}, 0, false, err
	}
	if err := loadItems(ctx, tx, runs); err != nil {
		return bot.Run{}, 0, false, err
	}
	r = runs[0]
	skip := !force && row.Rendered >= row.Version && r.ChecklistPostID != ""
	return r, row.Version, skip, nil
}

// recordPost records that the run's post, postID ("" for unchanged), shows
// version, unless it was recorded to show a newer one. The version is not
// counted as a write of the run. (SQLite; Postgres writes the same in
// RefreshPost.)
func recordPost(ctx context.Context, tx *sqlx.Tx, id, postID string, version int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE runs SET
		checklist_post_id = CASE WHEN ? = '' THEN checklist_post_id ELSE ? END,
		rendered_version = CASE WHEN rendered_version < ? THEN ? ELSE rendered_version END
		WHERE id = ?`), postID, postID, version, version, id)
	if err != nil {
		return fmt.Errorf("record post %s: %w", postID, err)
	}
	return nil
}

// postLocks are the locks of the runs' posts on SQLite, for the process.
var postLocks = keyedMutex{m: map[string]*keyedEntry{}}

// keyedMutex is a mutex per key, kept while locked or awaited.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

// lock locks key's mutex and returns its unlock.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// EnqueueJob inserts j, as its run's, unless the run has a pending job of
// its kind that nobody holds at now (one waiting for its due time, which
// will see whatever j would): jobs of a kind are so coalesced per run. A
// job in hand does not count, as it may have read the run before the
// change j follows. It reports whether j was inserted. On Postgres two
// concurrent calls may both insert; jobs whose work is idempotent (a post
// refresh) are what it is for.
func (db *DB) EnqueueJob(ctx context.Context, j bot.Job, now int64) (bool, error) {
	inserted := false
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM jobs
			WHERE run_id = ? AND kind = ? AND state = ? AND lease_until <= ?`), j.RunID, j.Kind, bot.JobPending, now); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		inserted = true
		return insertJobs(ctx, tx, j.RunID, []bot.Job{j})
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s job of run %s: %w", j.Kind, j.RunID, err)
	}
	return inserted, nil
}

// StalePosts returns, in ID order, at most limit IDs of runs with a
// channel, a timeline event recorded at a time in [since, until), a
// checklist post that is missing or shows an older version of the run than
// the stored one (see RefreshPost), and no pending refresh job (held or
// not: a refresh owed already). Every change a post shows writes a
// timeline event in its own transaction, so this finds the refreshes a
// replica owed when it died. The events are found through
// timeline_events_create_at, a BRIN index on Postgres (nearly free to
// keep up on an append-only table).
func (db *DB) StalePosts(ctx context.Context, since, until int64, limit int) ([]string, error) {
	ids := []string{}
	if limit <= 0 || since >= until {
		return ids, nil
	}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT r.id FROM runs r
			WHERE r.id IN (SELECT e.run_id FROM timeline_events e WHERE e.create_at >= ? AND e.create_at < ?)
			AND r.channel_id <> ''
			AND (r.checklist_post_id = '' OR r.rendered_version < r.version
				+ COALESCE((SELECT SUM(i.version) FROM run_items i WHERE i.run_id = r.id), 0))
			AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.kind = ? AND j.state = ?)
			ORDER BY r.id LIMIT ?`), since, until, bot.JobShow, bot.JobPending, limit)
	})
	if err != nil {
		return nil, fmt.Errorf("stale posts of runs changed in [%d, %d): %w", since, until, err)
	}
	return ids, nil
}
