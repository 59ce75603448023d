package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/playbooks-bot/playbooks/bot"
)

// Ready reports whether the database can serve requests: it answers a
// ping, and no migration embedded in this binary is pending (a replica
// of a newer version waits for `playbooks migrate`, or for the replica
// that applies them). Its errors are *bot.Error with a message safe to
// show anyone (the readiness endpoint has no authentication), wrapping
// the cause: EUnavailable when the database cannot be reached, EConflict
// when migrations are pending.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.db.PingContext(ctx); err != nil {
		return notReady(bot.EUnavailable, "database unreachable", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("ready: %w", err)
	}
	// No session locker: reading goose's version table takes no lock, and
	// a migration in progress on another replica reads as pending.
	p, err := goose.NewProvider(db.dialect.goose, db.db.DB, fsys, gooseOptions(db.dialect)...)
	if err != nil {
		return fmt.Errorf("ready: %w", err)
	}
	pending, err := p.HasPending(ctx)
	switch {
	case err != nil && (isUnavailable(err) || ctx.Err() != nil):
		return notReady(bot.EUnavailable, "database unreachable", err)
	case err != nil: // no version table yet, or one this binary does not know
		return notReady(bot.EConflict, "database schema not migrated", err)
	case pending:
		return bot.Errorf(bot.EConflict, "migrations pending")
	}
	return nil
}

// notReady is the *bot.Error message, with code, wrapping its cause.
func notReady(code, message string, cause error) error {
	return fmt.Errorf("%w: %w", bot.Errorf(code, "%s", message), cause)
}

// Pool returns the database's connection pool, for its statistics (the
// metrics' collectors.NewDBStatsCollector); the store's methods are the
// way to its data.
func (db *DB) Pool() *sql.DB { return db.db.DB }
