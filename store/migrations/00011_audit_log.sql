-- The audit log of credentials: every issue, use and revocation of an API
-- token, an OAuth2 client or an access token, written in the transaction
-- of the change it records (uses: at most once per credential and address
-- per minute, see bot/audit.go). Never a secret or a hash: the subject is
-- named by its ID. actor_user_id is who acted (the admin who issued, the
-- user who revoked their own, the user a token acts for when it is used);
-- actor_client_id the OAuth2 client when one acted; via how the change
-- came in (rest, cli, admin-page, chat, oauth); address the client address
-- as the API saw it ('' from the command line).

-- +goose Up
CREATE TABLE audit_log (
    id              TEXT    PRIMARY KEY,
    at              BIGINT  NOT NULL,
    action          TEXT    NOT NULL,
    actor_user_id   TEXT    NOT NULL DEFAULT '',
    actor_client_id TEXT    NOT NULL DEFAULT '',
    via             TEXT    NOT NULL DEFAULT '',
    address         TEXT    NOT NULL DEFAULT '',
    subject_kind    TEXT    NOT NULL,
    subject_id      TEXT    NOT NULL,
    subject_user_id TEXT    NOT NULL DEFAULT '',
    details         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_subject ON audit_log (subject_id, at);

-- +goose Down
DROP TABLE audit_log;
