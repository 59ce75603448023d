-- Whether a run's channel is public: private runs are shown to chat users
-- only if they are in the channel (or, in lists, take part in the run).

-- +goose Up
ALTER TABLE runs ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE runs DROP COLUMN public;
