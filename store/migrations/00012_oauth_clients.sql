-- OAuth2 clients (client credentials grant, RFC 6749 4.4) and the access
-- tokens issued to them. Secrets are kept only as their SHA-256 (hash).
-- A client acts for user_id, within team_ids (JSON text) unless admin;
-- scope is 'read' or 'write'. An access token is read together with its
-- client (one join), so that revoking the client refuses its live tokens
-- at once on every replica. Expired access tokens are deleted when new
-- ones are issued (oauth_access_tokens_expire). used_at and used_from are
-- when and from which address the token's use was last noted: a use from
-- the same address within a minute writes nothing.

-- +goose Up
CREATE TABLE oauth_clients (
    id           TEXT    PRIMARY KEY,
    hash         TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    team_ids     TEXT    NOT NULL DEFAULT '[]',
    admin        BOOLEAN NOT NULL DEFAULT FALSE,
    created_by   TEXT    NOT NULL DEFAULT '',
    create_at    BIGINT  NOT NULL,
    last_used_at BIGINT  NOT NULL DEFAULT 0,
    revoke_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE TABLE oauth_access_tokens (
    id        TEXT   PRIMARY KEY,
    hash      TEXT   NOT NULL UNIQUE,
    client_id TEXT   NOT NULL REFERENCES oauth_clients (id),
    scope     TEXT   NOT NULL,
    create_at BIGINT NOT NULL,
    expire_at BIGINT NOT NULL,
    used_at   BIGINT NOT NULL DEFAULT 0,
    used_from TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX oauth_access_tokens_expire ON oauth_access_tokens (expire_at);

-- +goose Down
DROP TABLE oauth_access_tokens;
DROP TABLE oauth_clients;
