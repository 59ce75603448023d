-- A run's version counts the writes of its row (CreateRun, UpdateRun);
-- rendered_version is the version its checklist post last showed, so that
-- a refresh of an older state than the post shows is skipped, whichever
-- replica makes it. Existing runs start at version 1, not yet rendered:
-- their next refresh draws them.
-- Refresh jobs are coalesced per run: looked up by run, kind and state
-- (jobs_run_id).

-- +goose Up
ALTER TABLE runs ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN rendered_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE runs DROP COLUMN rendered_version;
ALTER TABLE runs DROP COLUMN version;
