-- Idempotency keys of creating REST requests (Idempotency-Key): inserted
-- in the transaction of what the request creates, so that the key is
-- recorded exactly when the creation is, and the primary key settles two
-- concurrent requests with one key. scope is who sent the key, for which
-- operation and path; fingerprint the hex SHA-256 of the request;
-- resource_id what it created. The answer (status, header as JSON, body)
-- is recorded after the commit: status 0 means not yet, and a repeat then
-- renders the answer from resource_id. Keys are ignored from expires_at
-- and purged in batches, oldest first (the expires_at index).

-- +goose Up
CREATE TABLE idempotency_keys (
    scope       TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    resource_id TEXT    NOT NULL,
    status      INTEGER NOT NULL DEFAULT 0,
    header      TEXT    NOT NULL DEFAULT '{}',
    body        TEXT    NOT NULL DEFAULT '',
    create_at   BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
