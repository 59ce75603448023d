-- A run's undeleted timeline events in the order they are read (event time,
-- then the order written): the newest N of a run are one backward range of
-- it, and each page of the timeline export one forward range from its
-- cursor, however many events the run has.

-- +goose Up
CREATE INDEX timeline_events_run_order ON timeline_events (run_id, event_at, create_at, seq, id) WHERE delete_at = 0;

-- +goose Down
DROP INDEX timeline_events_run_order;
