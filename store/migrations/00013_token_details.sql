-- What issue 13 shows of an API token besides its teams: a name (a note of
-- what it is for), who issued it ('' from the command line and for tokens
-- made before), when it expires (0: never) and when it was last used (0:
-- never; written at most once a minute, see bot.TokenUseEvery). Tokens are
-- listed by user.

-- +goose Up
ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expire_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tokens_user ON tokens (user_id, create_at);

-- +goose Down
DROP INDEX tokens_user;
ALTER TABLE tokens DROP COLUMN last_used_at;
ALTER TABLE tokens DROP COLUMN expire_at;
ALTER TABLE tokens DROP COLUMN created_by;
ALTER TABLE tokens DROP COLUMN name;
