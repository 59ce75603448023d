package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// Migration 16 moves the checklist items of runs out of the JSON column
// runs.checklists into rows of run_items, one per item, so that updates of
// distinct items of one run neither wait on each other nor rewrite the
// whole checklist. runs.checklists keeps the checklists' IDs and titles
// (they change only with the run's structure, under the run's lock). On
// Postgres, timeline events are numbered by a sequence from then on: item
// updates of one run no longer hold its row lock, which the per-run
// MAX(seq) + 1 relied on.
//
// It is a Go migration because the SQL moving the data differs between the
// two databases (jsonb_array_elements and json_each); the data moves in
// one INSERT ... SELECT per table, in the migration's transaction, so a
// large database migrates in seconds and a failure changes nothing.

// itemsMigrationVersion is migration 16's version.
const itemsMigrationVersion = 16

const createRunItems = `CREATE TABLE run_items (
    run_id            TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    checklist         INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    id                TEXT    NOT NULL DEFAULT '',
    title             TEXT    NOT NULL DEFAULT '',
    state             TEXT    NOT NULL DEFAULT '',
    state_modified    BIGINT  NOT NULL DEFAULT 0,
    assignee_id       TEXT    NOT NULL DEFAULT '',
    assignee_modified BIGINT  NOT NULL DEFAULT 0,
    command           TEXT    NOT NULL DEFAULT '',
    command_last_run  BIGINT  NOT NULL DEFAULT 0,
    description       TEXT    NOT NULL DEFAULT '',
    due_date          BIGINT  NOT NULL DEFAULT 0,
    version           BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, checklist, position)
);
CREATE INDEX run_items_id ON run_items (run_id, id);
CREATE INDEX run_items_assignee ON run_items (assignee_id, run_id) WHERE assignee_id <> '';
CREATE INDEX run_items_due_date ON run_items (due_date) WHERE due_date > 0`

// moveItems is, per dialect, the SQL that copies every item of
// runs.checklists into run_items and then leaves only the checklists'
// IDs and titles in runs.checklists. A missing or null list reads as
// empty; a missing field as its zero value.
var moveItems = map[string][]string{
	"postgres": {
		`INSERT INTO run_items (run_id, checklist, position, id, title, state, state_modified,
			assignee_id, assignee_modified, command, command_last_run, description, due_date)
		SELECT r.id, (c.ci - 1)::int, (i.ii - 1)::int,
			COALESCE(i.it->>'id', ''), COALESCE(i.it->>'title', ''), COALESCE(i.it->>'state', ''),
			COALESCE((i.it->>'state_modified')::bigint, 0), COALESCE(i.it->>'assignee_id', ''),
			COALESCE((i.it->>'assignee_modified')::bigint, 0), COALESCE(i.it->>'command', ''),
			COALESCE((i.it->>'command_last_run')::bigint, 0), COALESCE(i.it->>'description', ''),
			COALESCE((i.it->>'due_date')::bigint, 0)
		FROM runs r
		CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.checklists::jsonb) = 'array'
			THEN r.checklists::jsonb ELSE '[]'::jsonb END) WITH ORDINALITY AS c(cl, ci)
		CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.cl->'items') = 'array'
			THEN c.cl->'items' ELSE '[]'::jsonb END) WITH ORDINALITY AS i(it, ii)`,
		`UPDATE runs SET checklists = COALESCE((
			SELECT jsonb_agg(jsonb_build_object('id', COALESCE(c.cl->>'id', ''), 'title', COALESCE(c.cl->>'title', '')) ORDER BY c.ci)
			FROM jsonb_array_elements(CASE WHEN jsonb_typeof(runs.checklists::jsonb) = 'array'
				THEN runs.checklists::jsonb ELSE '[]'::jsonb END) WITH ORDINALITY AS c(cl, ci)
		), '[]'::jsonb)::text`,
		`CREATE SEQUENCE timeline_events_seq`,
		`SELECT setval('timeline_events_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM timeline_events), false)`,
	},
	"sqlite": {
		`INSERT INTO run_items (run_id, checklist, position, id, title, state, state_modified,
			assignee_id, assignee_modified, command, command_last_run, description, due_date)
		SELECT r.id, c.key, i.key,
			COALESCE(json_extract(i.value, '$.id'), ''), COALESCE(json_extract(i.value, '$.title'), ''),
			COALESCE(json_extract(i.value, '$.state'), ''), COALESCE(json_extract(i.value, '$.state_modified'), 0),
			COALESCE(json_extract(i.value, '$.assignee_id'), ''), COALESCE(json_extract(i.value, '$.assignee_modified'), 0),
			COALESCE(json_extract(i.value, '$.command'), ''), COALESCE(json_extract(i.value, '$.command_last_run'), 0),
			COALESCE(json_extract(i.value, '$.description'), ''), COALESCE(json_extract(i.value, '$.due_date'), 0)
		FROM runs r,
			json_each(CASE WHEN json_valid(r.checklists) AND json_type(r.checklists) = 'array' THEN r.checklists ELSE '[]' END) c,
			json_each(CASE WHEN json_type(c.value, '$.items') = 'array' THEN json_extract(c.value, '$.items') ELSE '[]' END) i`,
		`UPDATE runs SET checklists = COALESCE((
			SELECT json_group_array(json_object('id', COALESCE(json_extract(c.value, '$.id'), ''), 'title', COALESCE(json_extract(c.value, '$.title'), '')))
			FROM (SELECT value FROM json_each(CASE WHEN json_valid(runs.checklists) AND json_type(runs.checklists) = 'array'
				THEN runs.checklists ELSE '[]' END) ORDER BY key) c
		), '[]')`,
	},
}

// itemsMigration returns migration 16 for dialect d.
func itemsMigration(d dialect) *goose.Migration {
	up := func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range append([]string{createRunItems}, moveItems[d.name]...) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("move checklist items to rows: %w", err)
			}
		}
		return nil
	}
	down := func(ctx context.Context, tx *sql.Tx) error {
		return itemsDown(ctx, tx, d)
	}
	return goose.NewGoMigration(itemsMigrationVersion, &goose.GoFunc{RunTx: up}, &goose.GoFunc{RunTx: down})
}

// itemsDown puts every run's items back into runs.checklists, as JSON of
// []bot.Checklist, and drops run_items. It runs in Go, one run at a time:
// a downgrade is rare and this way the JSON is exactly what the older
// binary wrote.
func itemsDown(ctx context.Context, tx *sql.Tx, d dialect) error {
	bind := sqlx.QUESTION
	if d.name == postgresDialect.name {
		bind = sqlx.DOLLAR
	}
	type head struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Items []any  `json:"items"`
	}
	runs := map[string][]head{}
	var order []string
	rows, err := tx.QueryContext(ctx, `SELECT id, checklists FROM runs`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			rows.Close()
			return err
		}
		hs := []head{}
		if err := json.Unmarshal([]byte(text), &hs); err != nil || hs == nil {
			hs = []head{}
		}
		for i := range hs {
			hs[i].Items = []any{}
		}
		runs[id] = hs
		order = append(order, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	items, err := tx.QueryContext(ctx, `SELECT run_id, checklist, `+itemColumns+` FROM run_items ORDER BY run_id, checklist, position`)
	if err != nil {
		return err
	}
	for items.Next() {
		var (
			runID string
			cl    int
			row   itemRow
		)
		if err := items.Scan(&runID, &cl, &row.ID, &row.Title, &row.State, &row.StateModified, &row.AssigneeID,
			&row.AssigneeModified, &row.Command, &row.CommandLastRun, &row.Description, &row.DueDate); err != nil {
			items.Close()
			return err
		}
		if hs := runs[runID]; cl >= 0 && cl < len(hs) {
			hs[cl].Items = append(hs[cl].Items, row.item())
		}
	}
	items.Close()
	if err := items.Err(); err != nil {
		return err
	}
	update := sqlx.Rebind(bind, `UPDATE runs SET checklists = ? WHERE id = ?`)
	for _, id := range order {
		b, err := json.Marshal(runs[id])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, update, string(b), id); err != nil {
			return err
		}
	}
	drops := []string{`DROP TABLE run_items`}
	if d.name == postgresDialect.name {
		drops = append(drops, `DROP SEQUENCE timeline_events_seq`)
	}
	for _, q := range drops {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
