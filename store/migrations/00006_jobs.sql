-- The jobs (outbox) table: status-update reminders and webhook deliveries,
-- written in the transaction of the change that causes them and claimed by
-- one dispatcher at a time for a lease. Each webhook attempt is recorded.
-- A run keeps its playbook's status-update webhook from its creation.

-- +goose Up
CREATE TABLE jobs (
    id          TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    due_at      BIGINT  NOT NULL,
    payload     TEXT    NOT NULL DEFAULT '{}',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    create_at   BIGINT  NOT NULL,
    done_at     BIGINT  NOT NULL DEFAULT 0,
    lease_until BIGINT  NOT NULL DEFAULT 0,
    claimed_by  TEXT    NOT NULL DEFAULT '',
    state       TEXT    NOT NULL DEFAULT 'pending'
);
CREATE INDEX jobs_state_due_at ON jobs (state, due_at);
CREATE INDEX jobs_run_id ON jobs (run_id, kind, state);

CREATE TABLE job_attempts (
    job_id  TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    at      BIGINT  NOT NULL,
    status  INTEGER NOT NULL DEFAULT 0,
    error   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX job_attempts_job_id ON job_attempts (job_id, attempt);

ALTER TABLE runs ADD COLUMN webhook_on_status_update_url TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE runs DROP COLUMN webhook_on_status_update_url;
DROP TABLE job_attempts;
DROP TABLE jobs;
