-- Sessions of the admin page (issue 13): opened by a signed, single-use
-- link, kept here so that every replica knows them. hash is the SHA-256 of
-- the secret the browser holds in its cookie (never the secret itself);
-- csrf the token every form of the page carries. A session ends after
-- 8 h without a request (seen_at) or at expire_at (12 h after it began).

-- +goose Up
CREATE TABLE admin_sessions (
    hash      TEXT   PRIMARY KEY,
    user_id   TEXT   NOT NULL,
    csrf      TEXT   NOT NULL,
    create_at BIGINT NOT NULL,
    seen_at   BIGINT NOT NULL,
    expire_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expire_at ON admin_sessions (expire_at);

-- +goose Down
DROP TABLE admin_sessions;
