-- The first schema of playbooks. One SQL text for Postgres and SQLite: only
-- TEXT, BIGINT, INTEGER and BOOLEAN columns; lists and checklists are JSON in
-- TEXT columns; times are milliseconds since the Unix epoch.

-- +goose Up
CREATE TABLE playbooks (
    id                               TEXT    PRIMARY KEY,
    title                            TEXT    NOT NULL,
    description                      TEXT    NOT NULL DEFAULT '',
    team_id                          TEXT    NOT NULL,
    create_public_playbook_run       BOOLEAN NOT NULL DEFAULT FALSE,
    is_public                        BOOLEAN NOT NULL DEFAULT FALSE,
    create_at                        BIGINT  NOT NULL,
    update_at                        BIGINT  NOT NULL,
    delete_at                        BIGINT  NOT NULL DEFAULT 0,
    num_stages                       BIGINT  NOT NULL DEFAULT 0,
    num_steps                        BIGINT  NOT NULL DEFAULT 0,
    checklists                       TEXT    NOT NULL DEFAULT '[]',
    member_ids                       TEXT    NOT NULL DEFAULT '[]',
    broadcast_channel_ids            TEXT    NOT NULL DEFAULT '[]',
    invited_user_ids                 TEXT    NOT NULL DEFAULT '[]',
    invite_users_enabled             BOOLEAN NOT NULL DEFAULT FALSE,
    default_owner_id                 TEXT    NOT NULL DEFAULT '',
    default_owner_enabled            BOOLEAN NOT NULL DEFAULT FALSE,
    announcement_channel_id          TEXT    NOT NULL DEFAULT '',
    announcement_channel_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    webhook_on_creation_url          TEXT    NOT NULL DEFAULT '',
    webhook_on_creation_enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    webhook_on_status_update_url     TEXT    NOT NULL DEFAULT '',
    webhook_on_status_update_enabled BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX playbooks_team_id ON playbooks (team_id, delete_at);

CREATE TABLE playbook_autofollows (
    playbook_id TEXT NOT NULL REFERENCES playbooks (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (playbook_id, user_id)
);

CREATE TABLE runs (
    id                    TEXT    PRIMARY KEY,
    name                  TEXT    NOT NULL,
    description           TEXT    NOT NULL DEFAULT '',
    is_active             BOOLEAN NOT NULL,
    owner_user_id         TEXT    NOT NULL DEFAULT '',
    reporter_user_id      TEXT    NOT NULL DEFAULT '',
    team_id               TEXT    NOT NULL,
    channel_id            TEXT    NOT NULL DEFAULT '',
    create_at             BIGINT  NOT NULL,
    end_at                BIGINT  NOT NULL DEFAULT 0,
    delete_at             BIGINT  NOT NULL DEFAULT 0,
    active_stage          INTEGER NOT NULL DEFAULT 0,
    active_stage_title    TEXT    NOT NULL DEFAULT '',
    post_id               TEXT    NOT NULL DEFAULT '',
    playbook_id           TEXT    NOT NULL DEFAULT '',
    checklists            TEXT    NOT NULL DEFAULT '[]',
    broadcast_channel_ids TEXT    NOT NULL DEFAULT '[]',
    last_status_update_at BIGINT  NOT NULL DEFAULT 0,
    previous_reminder     BIGINT  NOT NULL DEFAULT 0
);
-- One index per sort field of ListRuns, each led by team_id (every list is
-- of one team) and ended by id (the tie-break), so a page is an index range.
CREATE INDEX runs_team_create_at ON runs (team_id, create_at, id);
CREATE INDEX runs_team_is_active ON runs (team_id, is_active, id);
CREATE INDEX runs_team_name ON runs (team_id, name, id);
CREATE INDEX runs_team_end_at ON runs (team_id, end_at, id);
CREATE INDEX runs_team_owner ON runs (team_id, owner_user_id, id);
CREATE INDEX runs_team_id ON runs (team_id, id);
-- A channel belongs to at most one run; runs without a channel yet have ''.
CREATE UNIQUE INDEX runs_channel_id ON runs (channel_id) WHERE channel_id <> '';

CREATE TABLE run_participants (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    PRIMARY KEY (run_id, user_id)
);
CREATE INDEX run_participants_user_id ON run_participants (user_id, run_id);

CREATE TABLE status_updates (
    id        TEXT   PRIMARY KEY,
    run_id    TEXT   NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    user_id   TEXT   NOT NULL DEFAULT '',
    message   TEXT   NOT NULL DEFAULT '',
    reminder  BIGINT NOT NULL DEFAULT 0,
    create_at BIGINT NOT NULL
);
CREATE INDEX status_updates_run_id ON status_updates (run_id, create_at);

CREATE TABLE timeline_events (
    id              TEXT   PRIMARY KEY,
    run_id          TEXT   NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    create_at       BIGINT NOT NULL,
    delete_at       BIGINT NOT NULL DEFAULT 0,
    event_at        BIGINT NOT NULL,
    event_type      TEXT   NOT NULL,
    summary         TEXT   NOT NULL DEFAULT '',
    details         TEXT   NOT NULL DEFAULT '',
    post_id         TEXT   NOT NULL DEFAULT '',
    subject_user_id TEXT   NOT NULL DEFAULT '',
    creator_user_id TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX timeline_events_run_id ON timeline_events (run_id, event_at);

CREATE TABLE tokens (
    id        TEXT    PRIMARY KEY,
    hash      TEXT    NOT NULL UNIQUE,
    user_id   TEXT    NOT NULL,
    team_ids  TEXT    NOT NULL DEFAULT '[]',
    admin     BOOLEAN NOT NULL DEFAULT FALSE,
    create_at BIGINT  NOT NULL,
    revoke_at BIGINT  NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE tokens;
DROP TABLE timeline_events;
DROP TABLE status_updates;
DROP TABLE run_participants;
DROP TABLE runs;
DROP TABLE playbook_autofollows;
DROP TABLE playbooks;
