-- The pgbench floor (scripts/bench): the database work of one item state
-- update, on one of 64 runs at random: lock the run row, rewrite it (its
-- checklist text, same size), append a timeline event, commit.
\set id random(0, 63)
BEGIN;
SELECT id, name, team_id, owner_user_id, is_active, create_at, checklists, version FROM runs WHERE id = 'run' || lpad(:id::text, 23, '0') FOR UPDATE;
UPDATE runs SET checklists = md5(random()::text) || substr(checklists, 33), update_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint, version = version + 1 WHERE id = 'run' || lpad(:id::text, 23, '0');
INSERT INTO timeline_events (id, run_id, create_at, event_at, event_type, summary, creator_user_id) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 26), 'run' || lpad(:id::text, 23, '0'), (extract(epoch FROM clock_timestamp()) * 1000)::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, 'task_state_modified', 'checked off Page the on-call', 'owner000000000000000000001');
COMMIT;
