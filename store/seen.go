package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Remember records key until expiresAt and reports whether it is new. Keys
// expired at now are forgotten first, so the table holds only live keys.
// Two replicas remembering one key at once: the primary key lets exactly
// one of them insert it.
func (db *DB) Remember(ctx context.Context, key string, now, expiresAt int64) (bool, error) {
	var fresh bool
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM seen_keys WHERE expires_at <= ?`), now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO seen_keys (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO NOTHING`), key, expiresAt)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("remember key: %w", err)
	}
	return fresh, nil
}

// Forget removes key; forgetting an unknown key does nothing.
func (db *DB) Forget(ctx context.Context, key string) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM seen_keys WHERE key = ?`), key)
		return err
	})
	if err != nil {
		return fmt.Errorf("forget key: %w", err)
	}
	return nil
}
