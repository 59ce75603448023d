-- The chat post that shows a run's checklists, rewritten on every change.

-- +goose Up
ALTER TABLE runs ADD COLUMN checklist_post_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE runs DROP COLUMN checklist_post_id;
