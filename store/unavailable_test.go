package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/lib/pq"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestUnavailableErrors checks which errors mean "the database is not
// serving now" (EUnavailable) and which stay what they were.
func TestUnavailableErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "connect: connection refused"}}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"connection refused", fmt.Errorf("begin: %w", refused), bot.EUnavailable},
		{"ECONNRESET", fmt.Errorf("read: %w", syscall.ECONNRESET), bot.EUnavailable},
		{"bad connection", fmt.Errorf("begin: %w", driver.ErrBadConn), bot.EUnavailable},
		{"connection done", sql.ErrConnDone, bot.EUnavailable},
		{"admin shutdown", &pq.Error{Code: "57P01", Severity: "FATAL"}, bot.EUnavailable},
		{"crash shutdown", &pq.Error{Code: "57P02"}, bot.EUnavailable},
		{"cannot connect now", &pq.Error{Code: "57P03", Severity: "FATAL"}, bot.EUnavailable},
		{"connection failure", &pq.Error{Code: "08006"}, bot.EUnavailable},
		{"too many connections", &pq.Error{Code: "53300"}, bot.EUnavailable},
		{"unique violation", &pq.Error{Code: "23505"}, bot.EInternal},
		{"syntax error", &pq.Error{Code: "42601"}, bot.EInternal},
		{"no rows", sql.ErrNoRows, bot.EInternal},
		{"a use case's refusal", bot.Errorf(bot.EConflict, "taken"), bot.EConflict},
		{"a chat platform's HTTP error", &url.Error{Op: "Post", URL: "http://chat", Err: refused}, bot.EInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := unavailable(tc.err)
			if code := bot.ErrorCode(got); code != tc.want {
				t.Errorf("code %q, want %q (%v)", code, tc.want, got)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("%v lost its cause %v", got, tc.err)
			}
		})
	}
}

// TestSQLiteBusyUnavailable holds SQLite's write lock from another
// connection: a write that cannot get it is EUnavailable, not internal.
func TestSQLiteBusyUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := Open(ctx, path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	holder, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	id := bot.NewID()
	err = db.CreateToken(ctx, bot.Token{ID: id, Hash: "h", UserID: bot.NewID(), TeamIDs: []string{}, Admin: true},
		bot.AuditEvent{ID: bot.NewID(), Action: bot.AuditTokenCreate, SubjectKind: bot.AuditSubjectToken, SubjectID: id})
	if code := bot.ErrorCode(err); code != bot.EUnavailable {
		t.Fatalf("write while another holds the lock: code %q (%v), want %q", code, err, bot.EUnavailable)
	}
}
