package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
)

// Migration 18 indexes timeline events by the time they were recorded, so
// that the dispatcher's sweep (StalePosts) finds the runs changed lately
// without reading every event. Every change writes an event, so the index
// must cost the writes next to nothing: on Postgres it is a BRIN index,
// which keeps one summary per range of pages of an append-only table (and
// scans the ranges not yet summarized, which hold the newest events); on
// SQLite, which has none, a B-tree.
//
// It is a Go migration because the two databases need different
// statements.

// eventsMigrationVersion is migration 18's version.
const eventsMigrationVersion = 18

// eventsIndex is, per dialect, migration 18's statement.
var eventsIndex = map[string]string{
	"postgres": `CREATE INDEX timeline_events_create_at ON timeline_events USING brin (create_at)`,
	"sqlite":   `CREATE INDEX timeline_events_create_at ON timeline_events (create_at)`,
}

// eventsMigration returns migration 18 for dialect d.
func eventsMigration(d dialect) *goose.Migration {
	exec := func(q string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("index timeline events by time recorded: %w", err)
			}
			return nil
		}
	}
	return goose.NewGoMigration(eventsMigrationVersion,
		&goose.GoFunc{RunTx: exec(eventsIndex[d.name])},
		&goose.GoFunc{RunTx: exec(`DROP INDEX timeline_events_create_at`)})
}
