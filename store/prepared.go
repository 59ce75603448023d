package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// The few statements of the hottest path, an item update, are prepared on
// Postgres: a prepared statement is planned once per connection and then
// only bound and run, where an unnamed one is parsed and planned at every
// call (about a third of the database's time in an item update, measured
// with log_min_duration_statement). database/sql prepares a *sql.Stmt
// anew on each connection it meets and keeps it there.
//
// A statement is prepared by a goroutine of its own at its first use,
// which runs unprepared meanwhile: preparing inline would take a second
// connection while the transaction holds one, and with every connection
// held by a transaction waiting likewise, none would be freed.

// preparedStmts maps a query (rebound) to its *sqlx.Stmt, or to
// preparing while it is being prepared.
type preparedStmts struct {
	m      sync.Map
	mu     sync.Mutex // orders closing against starting a preparation
	closed chan struct{}
	once   sync.Once
	// preparing counts the goroutines preparing: Close waits for them, so
	// that no session of the store is still parsing once it returns (a
	// schema dropped right after would deadlock with it).
	preparing sync.WaitGroup
}

type preparing struct{}

// prepared returns query prepared for tx, or nil when it is not prepared
// (yet, or on SQLite, where statements are parsed in-process): then the
// caller runs query as it is.
func (db *DB) prepared(ctx context.Context, tx *sqlx.Tx, query string) *sqlx.Stmt {
	if db.dialect.name != postgresDialect.name {
		return nil
	}
	if v, ok := db.stmts.m.Load(query); ok {
		if st, ok := v.(*sqlx.Stmt); ok {
			return tx.StmtxContext(ctx, st)
		}
		return nil
	}
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	select {
	case <-db.stmts.closed:
		return nil
	default:
	}
	if _, loaded := db.stmts.m.LoadOrStore(query, preparing{}); loaded {
		return nil
	}
	db.stmts.preparing.Add(1)
	go func() {
		defer db.stmts.preparing.Done()
		pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := db.db.PreparexContext(pctx, query)
		if err != nil {
			db.stmts.m.Delete(query) // tried again at its next use
			return
		}
		select {
		case <-db.stmts.closed:
			st.Close()
		default:
			db.stmts.m.Store(query, st)
		}
	}()
	return nil
}

// getPrepared is tx.GetContext through the prepared query when there is one.
func (db *DB) getPrepared(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	if st := db.prepared(ctx, tx, query); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return tx.GetContext(ctx, dest, query, args...)
}

// selectPrepared is tx.SelectContext through the prepared query when there
// is one.
func (db *DB) selectPrepared(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	if st := db.prepared(ctx, tx, query); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return tx.SelectContext(ctx, dest, query, args...)
}

// queryPrepared is tx.QueryContext through the prepared query when there
// is one.
func (db *DB) queryPrepared(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// execPrepared is tx.ExecContext through the prepared query when there is
// one.
func (db *DB) execPrepared(ctx context.Context, tx *sqlx.Tx, query string, args ...any) error {
	if st := db.prepared(ctx, tx, query); st != nil {
		_, err := st.ExecContext(ctx, args...)
		return err
	}
	_, err := tx.ExecContext(ctx, query, args...)
	return err
}

// closePrepared closes the prepared statements.
func (db *DB) closePrepared() {
	db.stmts.mu.Lock()
	db.stmts.once.Do(func() { close(db.stmts.closed) })
	db.stmts.mu.Unlock()
	db.stmts.preparing.Wait()
	db.stmts.m.Range(func(k, v any) bool {
		if st, ok := v.(*sqlx.Stmt); ok {
			st.Close()
		}
		db.stmts.m.Delete(k)
		return true
	})
}
