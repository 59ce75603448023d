package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// jobRow is a row of jobs.
type jobRow struct {
	ID         string `db:"id"`
	Kind       string `db:"kind"`
	RunID      string `db:"run_id"`
	DueAt      int64  `db:"due_at"`
	Payload    string `db:"payload"`
	Attempts   int    `db:"attempts"`
	LastError  string `db:"last_error"`
	CreateAt   int64  `db:"create_at"`
	DoneAt     int64  `db:"done_at"`
	LeaseUntil int64  `db:"lease_until"`
	ClaimedBy  string `db:"claimed_by"`
	State      string `db:"state"`
}

const jobColumns = `id, kind, run_id, due_at, payload, attempts, last_error, create_at,
	done_at, lease_until, claimed_by, state`

// jobAttemptRow is a row of job_attempts.
type jobAttemptRow struct {
	JobID   string `db:"job_id"`
	Attempt int    `db:"attempt"`
	At      int64  `db:"at"`
	Status  int    `db:"status"`
	Error   string `db:"error"`
}

// insertJobs adds jobs to the run runID; a job without a state is pending.
func insertJobs(ctx context.Context, tx *sqlx.Tx, runID string, jobs []bot.Job) error {
	for _, j := range jobs {
		row := jobRow(j)
		row.RunID = runID
		if row.State == "" {
			row.State = bot.JobPending
		}
		if row.Payload == "" {
			row.Payload = "{}"
		}
		_, err := tx.NamedExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES (
			:id, :kind, :run_id, :due_at, :payload, :attempts, :last_error, :create_at,
			:done_at, :lease_until, :claimed_by, :state)`, row)
		if err != nil {
			return conflict(err, "job %s already exists", j.ID)
		}
	}
	return nil
}

// cancelJobs cancels the run's pending jobs of the given kinds at the time at.
func cancelJobs(ctx context.Context, tx *sqlx.Tx, runID string, kinds []string, at int64) error {
	if len(kinds) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE jobs SET state = ?, done_at = ?, claimed_by = '', lease_until = 0
		WHERE run_id = ? AND state = ? AND kind IN (?)`, bot.JobCancelled, at, runID, bot.JobPending, kinds)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("cancel jobs: %w", err)
	}
	return nil
}

// ClaimJobs claims up to n pending jobs due by dueBy (now, or a little
// later to claim ahead) whose lease has ended at now, oldest due first, for
// owner: a job of kind k until leaseUntil[k]; kinds not in leaseUntil are
// not claimed. On Postgres the rows are selected FOR
// UPDATE SKIP LOCKED, so concurrent claimers take disjoint sets without
// waiting on each other, and a job whose row a transaction holds (a
// reminder being sent in its run's transaction, see CompleteRunJob) is not
// claimed whatever its lease; on SQLite the write transaction holds the
// database's only write lock.
func (db *DB) ClaimJobs(ctx context.Context, owner string, now, dueBy int64, leaseUntil bot.Leases, n int) ([]bot.Job, error) {
	jobs := []bot.Job{}
	if n <= 0 || len(leaseUntil) == 0 {
		return jobs, nil
	}
	kinds := make([]string, 0, len(leaseUntil))
	for k := range leaseUntil {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var rows []jobRow
		q, args, err := sqlx.In(`SELECT `+jobColumns+` FROM jobs
			WHERE state = ? AND due_at <= ? AND lease_until <= ? AND kind IN (?)
			ORDER BY due_at, id LIMIT ?`+db.dialect.skipLocked, bot.JobPending, dueBy, now, kinds, n)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		byKind := map[string][]string{}
		for _, row := range rows {
			byKind[row.Kind] = append(byKind[row.Kind], row.ID)
		}
		for _, k := range kinds {
			if err := setLease(ctx, tx, owner, leaseUntil[k], byKind[k]); err != nil {
				return err
			}
		}
		for _, row := range rows {
			row.ClaimedBy, row.LeaseUntil = owner, leaseUntil[row.Kind]
			jobs = append(jobs, bot.Job(row))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs for %s: %w", owner, err)
	}
	return jobs, nil
}

// NextJobDue returns the earliest due time after the time now of the
// pending jobs that nobody holds at now, 0 when there is none: a dispatcher
// sleeps until then instead of a whole poll interval. A read of the
// (state, due_at) index.
func (db *DB) NextJobDue(ctx context.Context, now int64) (int64, error) {
	var next sql.NullInt64
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &next, tx.Rebind(`SELECT MIN(due_at) FROM jobs
			WHERE state = ? AND due_at > ? AND lease_until <= ?`), bot.JobPending, now, now)
	})
	if err != nil {
		return 0, fmt.Errorf("next job due after %d: %w", now, err)
	}
	return next.Int64, nil
}

// setLease gives the jobs ids to owner until leaseUntil.
func setLease(ctx context.Context, tx *sqlx.Tx, owner string, leaseUntil int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE jobs SET claimed_by = ?, lease_until = ? WHERE id IN (?)`, owner, leaseUntil, ids)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
	return err
}

// RenewJobs extends owner's lease on those of the jobs ids it still holds
// (pending and claimed by owner, whether or not the lease has run out
// meanwhile) to leaseUntil[kind], and returns their IDs; the others were
// lost: cancelled, or claimed by another owner after the lease ran out.
// Rows are locked in ID order, as every multi-job write does.
func (db *DB) RenewJobs(ctx context.Context, owner string, leaseUntil bot.Leases, ids []string) ([]string, error) {
	renewed := []string{}
	if len(ids) == 0 {
		return renewed, nil
	}
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID   string `db:"id"`
			Kind string `db:"kind"`
		}
		q, args, err := sqlx.In(`SELECT id, kind FROM jobs WHERE id IN (?) AND claimed_by = ? AND state = ?
			ORDER BY id`+db.dialect.forUpdate, ids, owner, bot.JobPending)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
			return err
		}
		byKind := map[string][]string{}
		for _, row := range rows {
			if _, ok := leaseUntil[row.Kind]; !ok {
				continue // a kind this owner does not renew: left to its lease
			}
			byKind[row.Kind] = append(byKind[row.Kind], row.ID)
			renewed = append(renewed, row.ID)
		}
		for k, ids := range byKind {
			if err := setLease(ctx, tx, owner, leaseUntil[k], ids); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("renew %d jobs of %s: %w", len(ids), owner, err)
	}
	return renewed, nil
}

// CompleteRunJob locks the run runID as UpdateRun does; then, in the same
// transaction, marks the job jobID done at now if owner still holds it
// (EConflict, and fn is not called, if not: cancelled by a change of the
// run, done, or lost with its lease); then calls fn and saves the run and
// fn's change. An error from fn, or any other, rolls all of it back. The
// job's row stays locked until the end (Postgres), so no other dispatcher
// claims it meanwhile, even if its lease runs out. ENotFound when the run
// is gone.
func (db *DB) CompleteRunJob(ctx context.Context, runID, jobID, owner string, now int64, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	return db.updateRun(ctx, runID, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE jobs SET state = ?, done_at = ?, lease_until = 0
			WHERE id = ? AND run_id = ? AND claimed_by = ? AND state = ?`), bot.JobDone, now, jobID, runID, owner, bot.JobPending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return bot.Errorf(bot.EConflict, "job %s of run %s is not held by %s: it was cancelled, done, or its lease was lost", jobID, runID, owner)
		}
		return nil
	}, fn)
}

// PurgeJobs deletes up to limit jobs that ended (done, failed or
// cancelled) before the time before, oldest first, with their attempts,
// and returns how many it deleted. Callers repeat it until it returns less
// than limit, so that no transaction grows with the backlog.
func (db *DB) PurgeJobs(ctx context.Context, before int64, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	var n int64
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`DELETE FROM jobs WHERE id IN (
			SELECT id FROM jobs WHERE state IN (?) AND done_at < ? ORDER BY done_at LIMIT ?)`,
			[]string{bot.JobDone, bot.JobFailed, bot.JobCancelled}, before, limit)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge jobs ended before %d: %w", before, err)
	}
	return int(n), nil
}

// finishJob updates the job id if owner still holds it; EConflict if not.
func (db *DB) finishJob(ctx context.Context, what, id, owner, set string, args ...any) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		args = append(args, id, owner, bot.JobPending)
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE jobs SET `+set+`
			WHERE id = ? AND claimed_by = ? AND state = ?`), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return bot.Errorf(bot.EConflict, "job %s is not held by %s: its lease was lost, or it was cancelled", id, owner)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s job %s: %w", what, id, err)
	}
	return nil
}

// CompleteJob marks the job done at now. EConflict when owner no longer
// holds it.
func (db *DB) CompleteJob(ctx context.Context, id, owner string, now int64) error {
	return db.finishJob(ctx, "complete", id, owner,
		`state = ?, done_at = ?, lease_until = 0`, bot.JobDone, now)
}

// RetryJob counts a failed attempt and releases the job, due again at
// dueAt. EConflict when owner no longer holds it.
func (db *DB) RetryJob(ctx context.Context, id, owner string, dueAt int64, lastErr string) error {
	return db.finishJob(ctx, "retry", id, owner,
		`attempts = attempts + 1, last_error = ?, due_at = ?, claimed_by = '', lease_until = 0`, lastErr, dueAt)
}

// FailJob counts a failed attempt and gives the job up at now. EConflict
// when owner no longer holds it.
func (db *DB) FailJob(ctx context.Context, id, owner string, now int64, lastErr string) error {
	return db.finishJob(ctx, "fail", id, owner,
		`attempts = attempts + 1, last_error = ?, state = ?, done_at = ?, lease_until = 0`, lastErr, bot.JobFailed, now)
}

// RecordAttempt records one attempt at a job.
func (db *DB) RecordAttempt(ctx context.Context, a bot.JobAttempt) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO job_attempts (job_id, attempt, at, status, error)
			VALUES (:job_id, :attempt, :at, :status, :error)`, jobAttemptRow(a))
		return err
	})
	if err != nil {
		return fmt.Errorf("record attempt %d of job %s: %w", a.Attempt, a.JobID, err)
	}
	return nil
}

// Jobs returns the run's jobs, oldest first.
func (db *DB) Jobs(ctx context.Context, runID string) ([]bot.Job, error) {
	var rows []jobRow
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT `+jobColumns+` FROM jobs
			WHERE run_id = ? ORDER BY create_at, id`), runID)
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs of run %s: %w", runID, err)
	}
	jobs := make([]bot.Job, len(rows))
	for i, row := range rows {
		jobs[i] = bot.Job(row)
	}
	return jobs, nil
}

// JobAttempts returns the attempts recorded for a job, first first.
func (db *DB) JobAttempts(ctx context.Context, jobID string) ([]bot.JobAttempt, error) {
	var rows []jobAttemptRow
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT job_id, attempt, at, status, error
			FROM job_attempts WHERE job_id = ? ORDER BY attempt, at`), jobID)
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts of job %s: %w", jobID, err)
	}
	out := make([]bot.JobAttempt, len(rows))
	for i, row := range rows {
		out[i] = bot.JobAttempt(row)
	}
	return out, nil
}
