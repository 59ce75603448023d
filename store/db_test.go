package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// forEachStore runs f as a subtest against each kind of store, each time on
// a fresh, migrated database of its own.
func forEachStore(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			f(t, storetest.Open(t, kind))
		})
	}
}

// wantCode fails t unless err is a *bot.Error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *bot.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a *bot.Error with code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got error code %s (%v), want %s", e.Code, err, code)
	}
}

// rawOpen opens the database behind url with database/sql, to look at what
// the store API does not show.
func rawOpen(t *testing.T, kind, url string) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if kind == storetest.Postgres {
		driver = "postgres"
	}
	db, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// appliedVersions counts the rows of goose's version table.
func appliedVersions(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM goose_db_version").Scan(&n); err != nil {
		t.Fatalf("count applied migrations: %v", err)
	}
	return n
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := storetest.URL(t, kind)
			if err := store.Migrate(ctx, url); err != nil {
				t.Fatalf("first migrate: %v", err)
			}
			raw := rawOpen(t, kind, url)
			before := appliedVersions(t, raw)
			if before < 2 { // goose's version 0 row and at least one migration
				t.Fatalf("got %d rows in goose_db_version after migrating, want at least 2", before)
			}

			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tok := bot.Token{ID: "tok1", Hash: "h1", UserID: "u1", TeamIDs: []string{"t1"}, CreateAt: 1}
			if err := db.CreateToken(ctx, tok, bot.AuditEvent{ID: "a1", Action: bot.AuditTokenCreate, SubjectKind: bot.AuditSubjectToken, SubjectID: "tok1"}); err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("second migrate: %v", err)
			}
			if after := appliedVersions(t, raw); after != before {
				t.Errorf("got %d rows in goose_db_version after migrating again, want %d", after, before)
			}
			if _, err := db.TokenByHash(ctx, "h1"); err != nil {
				t.Errorf("token lost by migrating again: %v", err)
			}
		})
	}
}

// TestMigrateConcurrently starts several migrations of one empty Postgres
// schema at once, as replicas starting together do: the advisory lock must
// let exactly one apply each migration.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := storetest.URL(t, storetest.Postgres)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = store.Migrate(ctx, url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migration %d: %v", i, err)
		}
	}
	raw := rawOpen(t, storetest.Postgres, url)
	var dup int
	err := raw.QueryRow(`SELECT COUNT(*) FROM (SELECT version_id FROM goose_db_version
		GROUP BY version_id HAVING COUNT(*) > 1) d`).Scan(&dup)
	if err != nil {
		t.Fatal(err)
	}
	if dup != 0 {
		t.Errorf("got %d migrations recorded more than once, want 0", dup)
	}
}

func TestOpenSQLitePaths(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		url  string
	}{
		{"plain path in a new folder", filepath.Join(dir, "a", "b", "plain.db")},
		{"sqlite:// prefix", "sqlite://" + filepath.Join(dir, "c", "prefixed.db")},
		{"file: prefix", "file:" + filepath.Join(dir, "d", "file.db")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, tt.url)
			if err != nil {
				t.Fatalf("open %s: %v", tt.url, err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate %s: %v", tt.url, err)
			}
			if _, err := db.ListTokens(ctx, ""); err != nil {
				t.Fatalf("list tokens: %v", err)
			}
		})
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	ctx := context.Background()
	// Port 1 on localhost refuses connections at once.
	_, err := store.Open(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("got no error opening a Postgres that is not there")
	}
}
