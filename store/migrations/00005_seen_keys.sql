-- Keys remembered for a while by every replica: signatures of accepted chat
-- requests (replays are refused) and handled submissions (handled once).

-- +goose Up
CREATE TABLE seen_keys (
    key        TEXT   NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX seen_keys_expires_at ON seen_keys (expires_at);

-- +goose Down
DROP TABLE seen_keys;
