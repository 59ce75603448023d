package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/playbooks-bot/playbooks/bot"
)

// migrations holds the schema, one numbered goose file per change. Files are
// append-only: a released migration is never edited, a new one is added.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date, applying each pending migration in
// its own transaction and recording it in goose's version table. It is a
// no-op when nothing is pending. On Postgres, replicas starting together
// take turns through a session advisory lock, keyed by the schema
// (search_path), so each migration is applied once.
func (db *DB) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	opts := gooseOptions(db.dialect)
	if db.dialect.name == postgresDialect.name {
		locker, err := db.migrationLocker(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(db.dialect.goose, db.db.DB, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// gooseOptions are the options of every goose provider of the store: no
// global registry, no logs, and the migrations written in Go.
func gooseOptions(d dialect) []goose.ProviderOption {
	return []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
		goose.WithGoMigrations(itemsMigration(d), eventsMigration(d)),
	}
}

// migrationLocker returns a Postgres advisory lock whose key is derived from
// the current schema: processes migrating the same schema exclude each
// other, those migrating different schemas of one database (tests) do not.
// The lock is polled every second, for up to five minutes.
func (db *DB) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var schema sql.NullString
	if err := db.db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("playbooks migrations " + schema.String))
	return lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64())),
		lock.WithLockTimeout(1, 300),
	)
}

// Migrate opens the database at url, brings its schema up to date and
// closes it.
func Migrate(ctx context.Context, url string) error {
	db, err := Open(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}

// SchemaHash identifies the schema Migrate makes: a hash of the embedded
// migration files and of the statements of the migrations written in Go.
// Tests key templates of a migrated database by it (storetest), so that a
// new migration makes new templates. Migrations are append-only: a
// released one never changes, so neither does what it contributes.
func SchemaHash() string {
	h := sha256.New()
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		panic(fmt.Sprintf("read embedded migrations: %v", err)) // embedded at build time: cannot fail
	}
	for _, e := range entries {
		b, err := fs.ReadFile(migrations, "migrations/"+e.Name())
		if err != nil {
			panic(fmt.Sprintf("read embedded migration %s: %v", e.Name(), err))
		}
		fmt.Fprintf(h, "%s %d\n%s\n", e.Name(), len(b), b)
	}
	fmt.Fprintf(h, "go %d %s\n", itemsMigrationVersion, createRunItems)
	for _, d := range []string{postgresDialect.name, sqliteDialect.name} {
		fmt.Fprintf(h, "%s %q %q\n", d, moveItems[d], eventsIndex[d])
	}
	fmt.Fprintf(h, "go %d\n", eventsMigrationVersion)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// VacuumInto writes a compact copy of the SQLite database to path (VACUUM
// INTO), a consistent single file whatever the journal holds. EInvalid on
// Postgres.
func (db *DB) VacuumInto(ctx context.Context, path string) error {
	if db.dialect.name != sqliteDialect.name {
		return bot.Errorf(bot.EInvalid, "VACUUM INTO is SQLite's")
	}
	if _, err := db.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("vacuum into %s: %w", path, err)
	}
	return nil
}
