package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/playbooks-bot/playbooks/bot"
)

// errUnavailable is what a caller is told when the database cannot serve a
// request right now: worth retrying shortly, unlike an internal error.
var errUnavailable = bot.Errorf(bot.EUnavailable, "the database is unavailable; try again shortly")

// unavailable returns err marked bot.EUnavailable, its cause kept for the
// log, when err says the database cannot be reached or is not serving right
// now; any other err is returned as it is. It is the one place that knows
// how each driver reports an outage:
//   - the connection: refused, reset or dropped (a *net.OpError, ECONNREFUSED,
//     ECONNRESET, EPIPE, an unexpected EOF), or given up by database/sql
//     (driver.ErrBadConn, sql.ErrConnDone);
//   - Postgres: class 08 (connection exception), 57P01 admin shutdown, 57P02
//     crash shutdown, 57P03 cannot connect now (starting or stopping), 53300
//     too many connections;
//   - SQLite: busy or locked beyond the busy timeout.
//
// An error that is already a *bot.Error (a use case's own refusal inside a
// transaction) is never re-marked, nor is an HTTP client's error.
func unavailable(err error) error {
	if err == nil || bot.ErrorCode(err) != bot.EInternal || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", errUnavailable, err)
}

// isUnavailable reports whether err is one of the outages unavailable names.
func isUnavailable(err error) bool {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return false // an HTTP call's (a chat platform's), never the database's
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow, pqerror.TooManyConnections:
			return true
		}
		return pqErr.Code.Class() == pqerror.ClassConnectionException
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff { // the primary code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}
	var opErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.As(err, &opErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// beginUnavailable is unavailable for the error of starting a transaction,
// which also counts a deadline reached while waiting for a connection: the
// pool is exhausted or the database does not answer.
func beginUnavailable(err error) error {
	if errors.Is(err, context.DeadlineExceeded) && bot.ErrorCode(err) == bot.EInternal {
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	return unavailable(err)
}
