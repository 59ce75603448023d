-- The pgbench floor's tables (scripts/bench), created in a throwaway schema
-- that scripts/bench makes the search_path: shaped like the server's runs
-- and timeline_events (text IDs of 26 characters, a run row of a few
-- hundred bytes whose checklists are JSON text, events with a primary key,
-- a foreign key to the run and an index led by run_id), but its own, so
-- that the floor does not change when the server's schema does.
CREATE TABLE runs (
    id            TEXT    PRIMARY KEY,
    name          TEXT    NOT NULL,
    team_id       TEXT    NOT NULL,
    owner_user_id TEXT    NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    create_at     BIGINT  NOT NULL,
    update_at     BIGINT  NOT NULL DEFAULT 0,
    checklists    TEXT    NOT NULL,
    version       BIGINT  NOT NULL DEFAULT 1
);
CREATE INDEX runs_team_create_at ON runs (team_id, create_at, id);

CREATE TABLE timeline_events (
    id              TEXT   PRIMARY KEY,
    run_id          TEXT   NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    create_at       BIGINT NOT NULL,
    event_at        BIGINT NOT NULL,
    event_type      TEXT   NOT NULL,
    summary         TEXT   NOT NULL DEFAULT '',
    creator_user_id TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX timeline_events_run_id ON timeline_events (run_id, event_at);

-- 64 runs, each with two checklists of four items (about 700 bytes).
INSERT INTO runs (id, name, team_id, owner_user_id, create_at, checklists)
SELECT 'run' || lpad(i::text, 23, '0'), 'Incident ' || i, 'benchteam00000000000000001',
       'owner000000000000000000001', 1700000000000 + i,
       '[{"id":"c0","title":"Triage","items":['
       || '{"id":"c0i0","title":"Page the on-call","state":"","state_modified":0,"assignee_id":""},'
       || '{"id":"c0i1","title":"Assess the impact","state":"","state_modified":0,"assignee_id":""},'
       || '{"id":"c0i2","title":"Post an update","state":"","state_modified":0,"assignee_id":""},'
       || '{"id":"c0i3","title":"Open a status page","state":"","state_modified":0,"assignee_id":""}]},'
       || '{"id":"c1","title":"Resolve","items":['
       || '{"id":"c1i0","title":"Roll back","state":"","state_modified":0,"assignee_id":""},'
       || '{"id":"c1i1","title":"Confirm recovery","state":"","state_modified":0,"assignee_id":""},'
       || '{"id":"c1i2","title":"Write the timeline","state":"","state_modified":0,"assignee_id":""},'
       || '{"id":"c1i3","title":"Schedule the review","state":"","state_modified":0,"assignee_id":""}]}]'
FROM generate_series(0, 63) AS i;
ANALYZE runs;
