package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lib/pq"

	"github.com/playbooks-bot/playbooks/store"
)

// Migrating a store takes most of what a test's store costs (half a
// second for SQLite under the race detector, a quarter for Postgres), and
// nearly every test wants a fresh, migrated one. So a store is migrated
// once per schema (store.SchemaHash) into a template, and each test gets a
// copy of it: of an SQLite file (a file copy), or of a Postgres database
// (CREATE DATABASE ... TEMPLATE, a copy of its files made by Postgres).

// templates holds this process's templates by kind, made once each.
var templates = struct {
	mu   sync.Mutex
	made map[string]string // kind → the SQLite file, or the Postgres database name
}{made: map[string]string{}}

// MigratedURL returns the URL of a database of the given kind that no
// other test sees, with the schema migrated already: a copy of a template,
// dropped (Postgres) or removed (SQLite, in t.TempDir()) when t ends. For
// tests that open one database several times (replicas).
func MigratedURL(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case SQLite:
		return sqliteCopy(t)
	case Postgres:
		return postgresCopy(t)
	}
	t.Fatalf("unknown store kind %q, want %q or %q", kind, SQLite, Postgres)
	return ""
}

// sqliteCopy copies the SQLite template into t.TempDir() and returns its
// path.
func sqliteCopy(t testing.TB) string {
	t.Helper()
	tmpl, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("SQLite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "playbooks.db")
	if err := copyFile(tmpl, path); err != nil {
		t.Fatalf("copy the SQLite template: %v", err)
	}
	return path
}

// sqliteTemplate returns the path of the migrated SQLite template, made
// if need be: in a folder of the temporary directory named after the
// schema, shared by the test processes that make the same schema (it is
// written under another name and renamed into place, so none reads half
// of one).
func sqliteTemplate() (string, error) {
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if p, ok := templates.made[SQLite]; ok {
		return p, nil
	}
	dir := filepath.Join(os.TempDir(), "playbooks-storetest")
	path := filepath.Join(dir, "template-"+store.SchemaHash()+".db")
	if _, err := os.Stat(path); err == nil {
		templates.made[SQLite] = path
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	work, err := os.MkdirTemp(dir, "making-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(work, "migrating.db"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return "", err
	}
	made := filepath.Join(work, "template.db")
	if err := db.VacuumInto(ctx, made); err != nil {
		return "", err
	}
	if err := os.Rename(made, path); err != nil {
		return "", err
	}
	templates.made[SQLite] = path
	return path, nil
}

// copyFile copies the file src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// postgresCopy creates a database from the Postgres template, dropped when
// t ends, and returns its URL.
func postgresCopy(t testing.TB) string {
	t.Helper()
	admin := PostgresDB(t)
	tmpl, err := postgresTemplate(admin)
	if err != nil {
		t.Fatalf("Postgres template: %v", err)
	}
	name := tmpl + "_" + randomHex(5)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)+" TEMPLATE "+pq.QuoteIdentifier(tmpl)); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// Cleanups run last-registered first: the stores opened on it by
		// the test are closed by now; WITH (FORCE) ends any connection
		// left.
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+pq.QuoteIdentifier(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := withDatabase(PostgresURL(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// postgresTemplate returns the name of the migrated template database,
// made if need be: named after the test database (each run of the test
// command has its own, see scripts/test, which drops the databases named
// after it with it) and the schema, so test processes share it. It is made under another
// name and renamed into place, under an advisory lock: no process copies
// half of one.
func postgresTemplate(admin *sql.DB) (string, error) {
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if n, ok := templates.made[Postgres]; ok {
		return n, nil
	}
	base, err := databaseOf(PostgresURL())
	if err != nil {
		return "", err
	}
	// Postgres cuts identifiers at 63 bytes: the template's name and its
	// copies' (11 more) must fit.
	name := base + "_t" + store.SchemaHash()[:12]
	if len(name)+11 > 63 {
		name = "pbt_" + store.SchemaHash()[:12]
	}
	ctx := context.Background()
	conn, err := admin.Conn(ctx) // the advisory lock is the session's
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(hashtext($1))", name); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(hashtext($1))", name)
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if err := makePostgresTemplate(ctx, conn, name); err != nil {
			return "", err
		}
	}
	templates.made[Postgres] = name
	return name, nil
}

// makePostgresTemplate migrates a new database and renames it name.
func makePostgresTemplate(ctx context.Context, conn *sql.Conn, name string) error {
	making := name + "_making"
	if len(making) > 63 {
		making = making[len(making)-63:]
	}
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(making)+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(making)); err != nil {
		return err
	}
	u, err := withDatabase(PostgresURL(), making)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, u)
	if err != nil {
		return err
	}
	err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate the template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(making)+" RENAME TO "+pq.QuoteIdentifier(name)); err != nil {
		return err
	}
	return nil
}

// databaseOf returns the database a Postgres URL names.
func databaseOf(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("parse Postgres URL: %w", err)
	}
	name := strings.TrimPrefix(pu.Path, "/")
	if name == "" {
		return "", errors.New("the Postgres URL names no database")
	}
	return name, nil
}

// withDatabase returns the Postgres URL u naming database name instead.
func withDatabase(u, name string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("parse Postgres URL: %w", err)
	}
	pu.Path = "/" + name
	return pu.String(), nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
