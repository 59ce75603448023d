package store

import (
	"context"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// provider returns a goose provider of db's migrations, as Migrate has.
func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(db.dialect.goose, db.db.DB, fsys, gooseOptions(db.dialect)...)
}

// MigrateTo applies the migrations up to version, for tests of a migration
// on data written by the schema before it.
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// MigrateDownTo rolls the migrations back to version.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// ExplainTimelines returns Postgres's EXPLAIN (ANALYZE, FORMAT JSON) of the
// query that reads the newest timeline events of a page of runs, ids (two
// or more), as a list page with include reads them.
func (db *DB) ExplainTimelines(ctx context.Context, ids []string) ([]byte, error) {
	q, args, err := newestOfMany(ids, timelineColumns, "timeline_events", undeleted, eventOrder)
	if err != nil {
		return nil, err
	}
	var plan []byte
	err = db.db.QueryRowxContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+db.db.Rebind(q), args...).Scan(&plan)
	return plan, err
}
