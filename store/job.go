package store

import (
	"context"
	"fmt"

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

// ClaimJobs claims up to n pending jobs due at now whose lease has ended,
// oldest due first, for owner until leaseUntil. On Postgres the rows are
// selected FOR UPDATE SKIP LOCKED, so concurrent claimers take disjoint
// sets without waiting on each other; on SQLite the write transaction holds
// the database's only write lock.
func (db *DB) ClaimJobs(ctx context.Context, owner string, now, leaseUntil int64, n int) ([]bot.Job, error) {
	jobs := []bot.Job{}
	if n <= 0 {
		return jobs, nil
	}
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var rows []jobRow
		q := `SELECT ` + jobColumns + ` FROM jobs WHERE state = ? AND due_at <= ? AND lease_until <= ?
			ORDER BY due_at, id LIMIT ?` + db.dialect.skipLocked
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), bot.JobPending, now, now, n); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		uq, args, err := sqlx.In(`UPDATE jobs SET claimed_by = ?, lease_until = ? WHERE id IN (?)`, owner, leaseUntil, ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(uq), args...); err != nil {
			return err
		}
		for _, row := range rows {
			row.ClaimedBy, row.LeaseUntil = owner, leaseUntil
			jobs = append(jobs, bot.Job(row))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs for %s: %w", owner, err)
	}
	return jobs, nil
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
