-- Jobs that ended (done, failed, cancelled) are purged after a retention
-- period, oldest first, in bounded batches: index them by state and end.

-- +goose Up
CREATE INDEX jobs_state_done_at ON jobs (state, done_at);

-- +goose Down
DROP INDEX jobs_state_done_at;
