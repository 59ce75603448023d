package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// idempotencyPurgeBatch is how many expired keys RecordIdempotentAnswer
// deletes at most: each keyed request adds one key and may purge this
// many, so the table keeps up with any rate of requests while no
// transaction grows with a backlog.
const idempotencyPurgeBatch = 100

// idempotencyRow is a row of idempotency_keys.
type idempotencyRow struct {
	Scope       string `db:"scope"`
	Key         string `db:"key"`
	Fingerprint string `db:"fingerprint"`
	ResourceID  string `db:"resource_id"`
	Status      int    `db:"status"`
	Header      string `db:"header"`
	Body        string `db:"body"`
	CreateAt    int64  `db:"create_at"`
	ExpiresAt   int64  `db:"expires_at"`
}

func (row idempotencyRow) request() (bot.IdempotentRequest, error) {
	rec := bot.IdempotentRequest{
		IdempotencyKey: bot.IdempotencyKey{Scope: row.Scope, Key: row.Key, Fingerprint: row.Fingerprint},
		ResourceID:     row.ResourceID, CreateAt: row.CreateAt, ExpiresAt: row.ExpiresAt,
	}
	if row.Status == 0 {
		return rec, nil
	}
	a := &bot.IdempotentAnswer{Status: row.Status, Body: []byte(row.Body)}
	if err := json.Unmarshal([]byte(row.Header), &a.Header); err != nil {
		return rec, fmt.Errorf("decode header of idempotency key %q: %w", row.Key, err)
	}
	rec.Answer = a
	return rec, nil
}

// insertIdempotencyKey records k in tx, first dropping an expired record of
// the same key, which would otherwise hold its primary key.
// ErrIdempotencyKeyTaken when the scope holds the key unexpired: on
// Postgres a concurrent transaction inserting it makes this one wait for
// its end, on SQLite write transactions run one at a time, so the loser
// always sees the winner's committed key.
func insertIdempotencyKey(ctx context.Context, tx *sqlx.Tx, k bot.IdempotentRequest) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM idempotency_keys
		WHERE scope = ? AND key = ? AND expires_at <= ?`), k.Scope, k.Key, k.CreateAt); err != nil {
		return fmt.Errorf("drop expired idempotency key: %w", err)
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO idempotency_keys
		(scope, key, fingerprint, resource_id, create_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		k.Scope, k.Key, k.Fingerprint, k.ResourceID, k.CreateAt, k.ExpiresAt)
	if bot.ErrorCode(conflict(err, "")) == bot.EConflict {
		return bot.ErrIdempotencyKeyTaken
	}
	if err != nil {
		return fmt.Errorf("insert idempotency key: %w", err)
	}
	return nil
}

// CreateRunOnce is CreateRun that first inserts key in the transaction.
// ErrIdempotencyKeyTaken, EConflict as CreateRun.
func (db *DB) CreateRunOnce(ctx context.Context, key bot.IdempotentRequest, r bot.Run, events []bot.TimelineEvent, jobs ...bot.Job) error {
	return db.createRun(ctx, &key, r, events, jobs)
}

// CreatePlaybookOnce is CreatePlaybook that first inserts key in the
// transaction. ErrIdempotencyKeyTaken, EConflict as CreatePlaybook.
func (db *DB) CreatePlaybookOnce(ctx context.Context, key bot.IdempotentRequest, p bot.Playbook) error {
	return db.createPlaybook(ctx, &key, p)
}

// IdempotentRequest returns the record of key in scope unless it expired
// at now. ENotFound.
func (db *DB) IdempotentRequest(ctx context.Context, scope, key string, now int64) (bot.IdempotentRequest, error) {
	var row idempotencyRow
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT scope, key, fingerprint, resource_id,
			status, header, body, create_at, expires_at FROM idempotency_keys
			WHERE scope = ? AND key = ? AND expires_at > ?`), scope, key, now)
		return notFound(err, "idempotency key %q is not recorded", key)
	})
	if err != nil {
		return bot.IdempotentRequest{}, fmt.Errorf("get idempotency key: %w", err)
	}
	return row.request()
}

// RecordIdempotentAnswer records the answer of the key's request and
// purges up to idempotencyPurgeBatch keys expired at now, oldest first;
// on Postgres it skips the expired keys another replica is purging, so
// that two purges neither wait for nor deadlock with each other.
// ENotFound.
func (db *DB) RecordIdempotentAnswer(ctx context.Context, scope, key string, a bot.IdempotentAnswer, now int64) error {
	if a.Status <= 0 {
		return fmt.Errorf("record idempotency key %q: status %d is not an HTTP status", key, a.Status)
	}
	header := a.Header
	if header == nil {
		header = map[string]string{}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("record idempotency key %q: %w", key, err)
	}
	err = db.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE idempotency_keys SET status = ?, header = ?, body = ?
			WHERE scope = ? AND key = ?`), a.Status, string(h), string(a.Body), scope, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return bot.Errorf(bot.ENotFound, "idempotency key %q is not recorded", key)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM idempotency_keys WHERE (scope, key) IN (
			SELECT scope, key FROM idempotency_keys WHERE expires_at <= ?
			ORDER BY expires_at LIMIT ?`+db.dialect.skipLocked+`)`), now, idempotencyPurgeBatch)
		return err
	})
	if err != nil {
		return fmt.Errorf("record idempotency key %q: %w", key, err)
	}
	return nil
}
