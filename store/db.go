// Package store implements bot.Store with sqlx over Postgres (lib/pq) or an
// embedded SQLite file (modernc.org/sqlite, no cgo). One set of SQL, written
// with ? placeholders and rebound per driver, serves both; the few dialect
// differences live in the dialect type below. The schema is created and
// upgraded by Migrate from numbered SQL files embedded in the binary.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/playbooks-bot/playbooks/bot"
)

var _ bot.Store = (*DB)(nil)

// DB is a bot.Store backed by Postgres or SQLite. It is safe for concurrent
// use, also by several processes sharing one Postgres database.
type DB struct {
	db      *sqlx.DB
	dialect dialect
	stmts   preparedStmts // prepared.go

	// Now returns the current time; tests replace it. It stamps what the
	// store itself dates, such as soft-deleted timeline events when the
	// change carries no event to take the time from.
	Now func() time.Time
}

// dialect holds what differs between the two databases; everything else is
// the same SQL.
type dialect struct {
	name      string        // "postgres" or "sqlite"
	goose     goose.Dialect // for migrations
	forUpdate string        // row-lock suffix for a read-modify-write SELECT
	// keyShare is the row-lock suffix of a SELECT of a run whose one item
	// is then changed: shared by such changes, excluded by forUpdate.
	keyShare string
	// skipLocked is the suffix of a SELECT that claims rows no concurrent
	// transaction holds (the jobs queue).
	skipLocked string
	maxConns   int // connection pool size
	// readIsolation makes a read-only transaction see one snapshot, so that
	// a list's count and its page agree. A deferred SQLite transaction does
	// from its first read.
	readIsolation sql.IsolationLevel
}

// Postgres connections are shared by every replica, so each takes a bounded
// share. SQLite needs no row lock: write transactions BEGIN IMMEDIATE (see
// sqliteDSN), so the one that reads a run already holds the database's only
// write lock until it commits; with one writer, more connections would only
// poll for that lock.
var (
	postgresDialect = dialect{
		name:          "postgres",
		goose:         goose.DialectPostgres,
		forUpdate:     " FOR UPDATE",
		keyShare:      " FOR KEY SHARE",
		skipLocked:    " FOR UPDATE SKIP LOCKED",
		maxConns:      16,
		readIsolation: sql.LevelRepeatableRead,
	}
	sqliteDialect = dialect{
		name:     "sqlite",
		goose:    goose.DialectSQLite3,
		maxConns: 4,
	}
)

// Schemes are the URL schemes Open accepts; any other "scheme://" is an
// error, so that a mistyped or foreign URL is not taken for a file name.
var Schemes = []string{"postgres", "postgresql", "sqlite", "file"}

// Target is the database a URL names, as ParseURL reads it.
type Target struct {
	// Driver is "postgres" or "sqlite".
	Driver string
	// Path is the absolute path of the SQLite file; "" for Postgres.
	Path string
	// Display names the database for logs and messages: the absolute
	// SQLite path, or the Postgres URL without its password.
	Display string
}

// schemeRE matches the "scheme://" that starts a URL (RFC 3986 scheme).
var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// ParseURL reads a database URL as Open does, without touching the disk or
// the network: a postgres:// or postgresql:// URL is Postgres; an sqlite://
// or file: URL or a plain path is an SQLite file; any other scheme:// is an
// error naming the accepted schemes.
func ParseURL(raw string) (Target, error) {
	if m := schemeRE.FindStringSubmatch(raw); m != nil {
		switch strings.ToLower(m[1]) {
		case "postgres", "postgresql":
			u, err := url.Parse(raw)
			if err != nil {
				return Target{}, fmt.Errorf("database URL: %w", errors.Unwrap(err))
			}
			if u.User != nil {
				u.User = url.User(u.User.Username())
			}
			if q := u.Query(); q.Has("password") {
				q.Del("password")
				u.RawQuery = q.Encode()
			}
			return Target{Driver: "postgres", Display: u.String()}, nil
		case "sqlite", "file":
		default:
			return Target{}, fmt.Errorf("database URL: unknown scheme %q: use one of %s://, or a plain SQLite file path",
				m[1], strings.Join(Schemes, "://, "))
		}
	}
	file, _, _ := strings.Cut(sqlitePath(raw), "?")
	if file == "" {
		return Target{}, fmt.Errorf("open sqlite database: empty path in %q", raw)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return Target{}, fmt.Errorf("open sqlite database: %w", err)
	}
	return Target{Driver: "sqlite", Path: abs, Display: abs}, nil
}

// sqlitePath is an SQLite URL without its sqlite:// or file: prefix.
func sqlitePath(raw string) string {
	for _, p := range []string{"sqlite://", "file://", "file:"} {
		if len(raw) >= len(p) && strings.EqualFold(raw[:len(p)], p) {
			return raw[len(p):]
		}
	}
	return raw
}

// Open connects to the database named by url (see ParseURL): Postgres, or
// an SQLite file whose folder is created if missing. It does not migrate;
// call Migrate for that.
func Open(ctx context.Context, url string) (*DB, error) {
	target, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	var (
		d      dialect
		driver string
		dsn    string
	)
	if target.Driver == "postgres" {
		if dsn, err = postgresDSN(url); err != nil {
			return nil, err
		}
		d, driver = postgresDialect, "postgres"
	} else {
		if dsn, err = sqliteDSN(url); err != nil {
			return nil, err
		}
		d, driver = sqliteDialect, "sqlite"
	}
	x, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	x.SetMaxOpenConns(d.maxConns)
	x.SetMaxIdleConns(d.maxConns)
	x.SetConnMaxIdleTime(5 * time.Minute)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connect to %s database: %w", d.name, err)
	}
	return &DB{db: x, dialect: d, Now: time.Now, stmts: preparedStmts{closed: make(chan struct{})}}, nil
}

// postgresDSN is url with lib/pq's binary_parameters on, unless url sets
// it: a statement with parameters then costs one round trip to Postgres
// (Parse, Bind and Execute sent together) instead of two (a Parse and
// Describe first, to learn the parameters' types). Every query of the
// store has parameters, so this halves the round trips of a request. The
// parameters are still sent as text, but for []byte (bytea), which the
// store does not use.
func postgresDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", errors.Unwrap(err))
	}
	q := u.Query()
	if !q.Has("binary_parameters") {
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// sqliteDSN turns an SQLite path into a modernc DSN, creating the file's
// folder. Write transactions take the write lock at BEGIN (_txlock=immediate)
// so that concurrent read-modify-write transactions wait for each other
// (busy_timeout) instead of failing with SQLITE_BUSY when upgrading a read
// lock; read-only transactions still begin deferred and run alongside.
func sqliteDSN(url string) (string, error) {
	file, query, _ := strings.Cut(sqlitePath(url), "?")
	if file == "" {
		return "", fmt.Errorf("open sqlite database: empty path in %q", url)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return "", fmt.Errorf("open sqlite database: %w", err)
	}
	params := "_txlock=immediate" +
		"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
	if query != "" {
		params = query + "&" + params
	}
	return "file:" + file + "?" + params, nil
}

// Close closes the database's connections.
func (db *DB) Close() error {
	db.closePrepared()
	return db.db.Close()
}

// now returns the current time in milliseconds since the Unix epoch.
func (db *DB) now() int64 {
	return db.Now().UnixMilli()
}

// write runs fn in a read-write transaction, committing when it returns nil
// and rolling back otherwise; fn's error is returned as it is, but for a
// database outage, marked bot.EUnavailable (unavailable.go).
func (db *DB) write(ctx context.Context, fn func(*sqlx.Tx) error) error {
	return unavailable(db.inTx(ctx, false, fn))
}

// read runs fn in a read-only transaction whose queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(*sqlx.Tx) error) error {
	return unavailable(db.inTx(ctx, true, fn))
}

func (db *DB) inTx(ctx context.Context, readOnly bool, fn func(*sqlx.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: readOnly}
	if readOnly {
		opts.Isolation = db.dialect.readIsolation
	}
	tx, err := db.db.BeginTxx(ctx, opts)
	if err != nil {
		return beginUnavailable(fmt.Errorf("begin: %w", err))
	}
	defer func() {
		// A panicking callback (UpdateRun's fn) must not leave the
		// transaction open, holding its locks and connection.
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// selectIn runs a query whose single "IN (?)" takes ids, rebound for tx's
// driver, and scans all rows into dest.
func selectIn(ctx context.Context, tx *sqlx.Tx, dest any, query string, ids []string) error {
	q, args, err := sqlx.In(query, ids)
	if err != nil {
		return err
	}
	return tx.SelectContext(ctx, dest, tx.Rebind(q), args...)
}

// conflict returns an EConflict *bot.Error with the given message when err
// is a unique or primary key violation, and err otherwise. It is the one
// place that knows how each driver reports those.
func conflict(err error, format string, args ...any) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == pqerror.UniqueViolation {
		return bot.Errorf(bot.EConflict, format, args...)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return bot.Errorf(bot.EConflict, format, args...)
		}
	}
	return err
}

// notFound returns an ENotFound *bot.Error with the given message when err
// is sql.ErrNoRows, and err otherwise.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Errorf(bot.ENotFound, format, args...)
	}
	return err
}

// orderDirection maps a validated sort direction to SQL; "" is ascending.
func orderDirection(dir string) (string, error) {
	switch dir {
	case "", "asc":
		return "ASC", nil
	case "desc":
		return "DESC", nil
	}
	return "", bot.FieldErrorf("direction", "direction must be asc or desc, got %q", dir)
}

// pageCount returns how many pages of perPage hold total items.
func pageCount(total, perPage int) int {
	return (total + perPage - 1) / perPage
}

// checkPage rejects paging the service should already have refused, so that
// a bad filter cannot divide by zero or produce a negative OFFSET.
func checkPage(page, perPage int) error {
	if perPage <= 0 {
		return bot.FieldErrorf("per_page", "per_page must be positive, got %d", perPage)
	}
	if page < 0 {
		return bot.FieldErrorf("page", "page must not be negative, got %d", page)
	}
	return nil
}

// qualify prefixes each column of a comma-separated list with prefix.
func qualify(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// likePattern returns a LIKE pattern matching term anywhere, with LIKE's
// wildcards in term escaped by backslash (the queries say ESCAPE '\').
func likePattern(term string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(term) + "%"
}

// toJSON encodes a list column; nil lists are stored as [].
func toJSON[T any](list []T) (string, error) {
	if list == nil {
		return "[]", nil
	}
	b, err := json.Marshal(list)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// fromJSON decodes a list column, never returning a nil slice.
func fromJSON[T any](s string) ([]T, error) {
	list := []T{}
	if s == "" {
		return list, nil
	}
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, err
	}
	if list == nil { // the column held "null"
		list = []T{}
	}
	return list, nil
}

// checklistsFromJSON decodes a checklists column with every Items non-nil.
func checklistsFromJSON(s string) ([]bot.Checklist, error) {
	cs, err := fromJSON[bot.Checklist](s)
	if err != nil {
		return nil, fmt.Errorf("decode checklists: %w", err)
	}
	for i := range cs {
		if cs[i].Items == nil {
			cs[i].Items = []bot.ChecklistItem{}
		}
	}
	return cs, nil
}
