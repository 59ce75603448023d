-- The chat platform a run's channel lives on, when the server serves more
-- than one ("mattermost", "slack"; "" for none).

-- +goose Up
ALTER TABLE runs ADD COLUMN platform TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE runs DROP COLUMN platform;
