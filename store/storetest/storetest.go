// Package storetest gives tests a fresh, migrated store of either kind: an
// SQLite file in the test's temporary folder, or a schema of its own in the
// Postgres named by PLAYBOOKS_TEST_DATABASE_URL, dropped when the test ends.
//
// When that Postgres cannot be reached, Postgres tests are skipped, unless
// CI is set in the environment: then they fail, so that a broken CI database
// is not mistaken for a passing suite.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq" // the "postgres" driver, for creating schemas

	"github.com/playbooks-bot/playbooks/store"
)

// Kinds of store Open makes.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DefaultPostgresURL is used when PLAYBOOKS_TEST_DATABASE_URL is empty.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Kinds returns the kinds of store a conformance test runs against.
func Kinds() []string {
	return []string{SQLite, Postgres}
}

// PostgresURL returns the test Postgres's URL: PLAYBOOKS_TEST_DATABASE_URL
// or DefaultPostgresURL.
func PostgresURL() string {
	if u := os.Getenv("PLAYBOOKS_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Open returns a migrated store of the given kind ("sqlite" or "postgres")
// that no other test sees, closed and removed when t ends: a copy of a
// template migrated once (see MigratedURL).
func Open(t testing.TB, kind string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), MigratedURL(t, kind))
	if err != nil {
		t.Fatalf("open %s store: %v", kind, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// URL returns the URL of an empty database of the given kind, for tests
// that open (or migrate) it themselves: an SQLite path in t.TempDir(), or
// the test Postgres with search_path set to a new schema, dropped with
// everything in it when t ends.
func URL(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case SQLite:
		return filepath.Join(t.TempDir(), "playbooks.db")
	case Postgres:
		return postgresSchemaURL(t)
	}
	t.Fatalf("unknown store kind %q, want %q or %q", kind, SQLite, Postgres)
	return ""
}

func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	admin := PostgresDB(t)
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		// Cleanups run last-registered first, so stores opened on this
		// schema by the test are closed by now.
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, PostgresURL(), schema)
}

// PostgresDB returns a plain connection to the test Postgres, closed when t
// ends. It skips t when that Postgres cannot be reached, or fails it if CI
// is set.
func PostgresDB(t testing.TB) *sql.DB {
	t.Helper()
	u := PostgresURL()
	db, err := sql.Open("postgres", u)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err != nil {
			db.Close()
		}
	}
	if err != nil {
		msg := "Postgres at " + redact(u) + " (PLAYBOOKS_TEST_DATABASE_URL) cannot be reached: " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI is set, so this fails instead of skipping")
		}
		t.Skip("skipping Postgres test: " + msg)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// WithSearchPath returns the Postgres URL u with its search_path set to
// schema; lib/pq sends unknown URL parameters as run-time parameters.
func WithSearchPath(t testing.TB, u, schema string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("parse Postgres URL: %v", err)
	}
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String()
}

// redact hides a password in u for messages.
func redact(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return pu.Redacted()
}
