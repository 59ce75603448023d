-- The order in which a run's timeline events were written, so that events
-- of one millisecond read in that order.

-- +goose Up
ALTER TABLE timeline_events ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX timeline_events_run_seq ON timeline_events (run_id, seq);

-- +goose Down
DROP INDEX timeline_events_run_seq;
ALTER TABLE timeline_events DROP COLUMN seq;
