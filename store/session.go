package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// adminSessionRow is a row of admin_sessions.
type adminSessionRow struct {
	Hash     string `db:"hash"`
	UserID   string `db:"user_id"`
	CSRF     string `db:"csrf"`
	CreateAt int64  `db:"create_at"`
	SeenAt   int64  `db:"seen_at"`
	ExpireAt int64  `db:"expire_at"`
}

const adminSessionColumns = `hash, user_id, csrf, create_at, seen_at, expire_at`

// CreateAdminSession inserts s. EConflict if its hash exists.
func (db *DB) CreateAdminSession(ctx context.Context, s bot.AdminSession) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO admin_sessions (`+adminSessionColumns+`)
			VALUES (:hash, :user_id, :csrf, :create_at, :seen_at, :expire_at)`, adminSessionRow(s))
		return conflict(err, "this admin session already exists")
	})
	if err != nil {
		// The hash is a credential's fingerprint: keep it out of messages.
		return fmt.Errorf("create admin session for %s: %w", s.UserID, err)
	}
	return nil
}

// TouchAdminSession returns the live session with the given hash and sets
// its seen_at to now; sessions no longer live at now are deleted first.
// ENotFound for an unknown or ended one.
func (db *DB) TouchAdminSession(ctx context.Context, hash string, now int64, idle time.Duration) (bot.AdminSession, error) {
	var s bot.AdminSession
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM admin_sessions WHERE expire_at <= ? OR seen_at <= ?`),
			now, now-idle.Milliseconds()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE admin_sessions SET seen_at = ? WHERE hash = ?`), now, hash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return bot.Errorf(bot.ENotFound, "no live admin session has this hash")
		}
		var row adminSessionRow
		if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+adminSessionColumns+` FROM admin_sessions WHERE hash = ?`), hash); err != nil {
			return err
		}
		s = bot.AdminSession(row)
		return nil
	})
	if err != nil {
		return bot.AdminSession{}, fmt.Errorf("get admin session: %w", err)
	}
	return s, nil
}

// DeleteAdminSession deletes the session with the given hash, if any.
func (db *DB) DeleteAdminSession(ctx context.Context, hash string) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM admin_sessions WHERE hash = ?`), hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete admin session: %w", err)
	}
	return nil
}
