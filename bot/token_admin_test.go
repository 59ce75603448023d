package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// tokenEnv is a Service over a fresh store with a clock the test moves.
type tokenEnv struct {
	db  *store.DB
	svc *bot.Service
	ms  *atomic.Int64
}

var (
	tokenAdmin = bot.Actor{UserID: "admin1", Admin: true}
	alice      = bot.Actor{UserID: "alice", TeamIDs: []string{"t1"}}
	rest       = bot.Origin{Via: bot.ViaREST, Address: "192.0.2.7"}
)

// forEachTokenEnv runs fn against a tokenEnv of every kind of store.
func forEachTokenEnv(t *testing.T, fn func(t *testing.T, e tokenEnv)) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ms := &atomic.Int64{}
			ms.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
			db := storetest.Open(t, kind)
			svc := bot.NewService(bot.Config{Store: db, Now: func() time.Time { return time.UnixMilli(ms.Load()) }})
			fn(t, tokenEnv{db: db, svc: svc, ms: ms})
		})
	}
}

func (e tokenEnv) advance(d time.Duration) { e.ms.Add(d.Milliseconds()) }

// audit returns every audit event, newest first.
func (e tokenEnv) audit(t *testing.T) []bot.AuditEvent {
	t.Helper()
	events, _, err := e.svc.ListAudit(context.Background(), tokenAdmin, bot.AuditFilter{PerPage: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// actions returns the actions of events, oldest first.
func actions(events []bot.AuditEvent) []string {
	var out []string
	for i := len(events) - 1; i >= 0; i-- {
		out = append(out, events[i].Action+" "+events[i].Address)
	}
	return out
}

func TestIssueTokenRefusesBadInput(t *testing.T) {
	forEachTokenEnv(t, func(t *testing.T, e tokenEnv) {
		ctx := context.Background()
		now := e.ms.Load()
		ok := bot.TokenSpec{UserID: "alice", TeamIDs: []string{"t1"}}
		for _, tt := range []struct {
			name  string
			actor bot.Actor
			spec  func(s *bot.TokenSpec)
			code  string
			field string
		}{
			{name: "not an admin", actor: alice, spec: func(*bot.TokenSpec) {}, code: bot.EForbidden},
			{name: "read-only admin", actor: bot.Actor{UserID: "x", Admin: true, ReadOnly: true}, spec: func(*bot.TokenSpec) {}, code: bot.EForbidden},
			{name: "no user", spec: func(s *bot.TokenSpec) { s.UserID = "" }, code: bot.EInvalid, field: "user_id"},
			{name: "bad user", spec: func(s *bot.TokenSpec) { s.UserID = "a b" }, code: bot.EInvalid, field: "user_id"},
			{name: "bad team", spec: func(s *bot.TokenSpec) { s.TeamIDs = []string{"../x"} }, code: bot.EInvalid, field: "team_ids"},
			{name: "no team nor admin", spec: func(s *bot.TokenSpec) { s.TeamIDs = nil }, code: bot.EInvalid, field: "team_ids"},
			{name: "long name", spec: func(s *bot.TokenSpec) { s.Name = strings.Repeat("n", bot.MaxTitleLen+1) }, code: bot.EInvalid, field: "name"},
			{name: "both expiries", spec: func(s *bot.TokenSpec) { s.ExpiresIn, s.ExpireAt = time.Hour, now+1000 }, code: bot.EInvalid, field: "expires_in"},
			{name: "negative expires_in", spec: func(s *bot.TokenSpec) { s.ExpiresIn = -time.Second }, code: bot.EInvalid, field: "expires_in"},
			{name: "expires_in over a year", spec: func(s *bot.TokenSpec) { s.ExpiresIn = bot.MaxTokenLifetime + time.Second }, code: bot.EInvalid, field: "expires_in"},
			{name: "expires_at past", spec: func(s *bot.TokenSpec) { s.ExpireAt = now - 1 }, code: bot.EInvalid, field: "expires_at"},
			{name: "expires_at now", spec: func(s *bot.TokenSpec) { s.ExpireAt = now }, code: bot.EInvalid, field: "expires_at"},
			{name: "expires_at over a year", spec: func(s *bot.TokenSpec) { s.ExpireAt = now + bot.MaxTokenLifetime.Milliseconds() + 1 }, code: bot.EInvalid, field: "expires_at"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				spec := ok
				tt.spec(&spec)
				a := tt.actor
				if a.UserID == "" {
					a = tokenAdmin
				}
				secret, _, err := e.svc.IssueToken(ctx, a, rest, spec)
				if code := bot.ErrorCode(err); code != tt.code {
					t.Fatalf("got code %q (%v), want %q", code, err, tt.code)
				}
				if secret != "" {
					t.Errorf("got a secret with an error")
				}
				var be *bot.Error
				if tt.field != "" && (!errors.As(err, &be) || be.Field != tt.field) {
					t.Errorf("got error %v, want it about field %s", err, tt.field)
				}
			})
		}
		ts, err := e.svc.ListUserTokens(ctx, tokenAdmin, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 0 || len(e.audit(t)) != 0 {
			t.Errorf("refused tokens left %d tokens and %d audit lines, want none", len(ts), len(e.audit(t)))
		}
		// The limits themselves are accepted.
		for _, spec := range []bot.TokenSpec{
			{UserID: "alice", Admin: true, ExpiresIn: bot.MaxTokenLifetime},
			{UserID: "alice", Admin: true, ExpireAt: now + bot.MaxTokenLifetime.Milliseconds()},
			{UserID: "alice", Admin: true, ExpireAt: now + 1},
		} {
			if _, _, err := e.svc.IssueToken(ctx, tokenAdmin, rest, spec); err != nil {
				t.Errorf("IssueToken(%+v): %v", spec, err)
			}
		}
	})
}

func TestTokenExpiryAndUse(t *testing.T) {
	forEachTokenEnv(t, func(t *testing.T, e tokenEnv) {
		ctx := context.Background()
		issued := e.ms.Load()
		secret, tok, err := e.svc.IssueToken(ctx, tokenAdmin, rest, bot.TokenSpec{
			UserID: "alice", TeamIDs: []string{"t2", "t1", "t2"}, Name: "pager", ExpiresIn: time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := bot.Token{
			ID: tok.ID, UserID: "alice", TeamIDs: []string{"t1", "t2"}, Name: "pager", CreatedBy: "admin1",
			CreateAt: issued, ExpireAt: issued + time.Hour.Milliseconds(),
		}
		if diff := cmp.Diff(want, tok, cmpIgnoreHash()); diff != "" {
			t.Errorf("issued token (-want +got):\n%s", diff)
		}

		from := func(addr string) context.Context {
			return bot.WithOrigin(ctx, bot.Origin{Via: bot.ViaREST, Address: addr})
		}
		use := func(addr string) {
			t.Helper()
			a, err := e.svc.Authenticate(from(addr), secret)
			if err != nil {
				t.Fatalf("authenticate from %s: %v", addr, err)
			}
			if diff := cmp.Diff(bot.Actor{UserID: "alice", TeamIDs: []string{"t1", "t2"}}, a); diff != "" {
				t.Errorf("actor (-want +got):\n%s", diff)
			}
		}
		lastUsed := func() int64 {
			t.Helper()
			ts, err := e.svc.ListUserTokens(ctx, alice, "alice")
			if err != nil || len(ts) != 1 {
				t.Fatalf("list own tokens: %v, %v", ts, err)
			}
			return ts[0].LastUsedAt
		}

		e.advance(time.Second)
		first := e.ms.Load()
		use("192.0.2.1")
		e.advance(30 * time.Second)
		use("192.0.2.1")
		use("192.0.2.2")
		use("192.0.2.1")
		if got := lastUsed(); got != first {
			t.Errorf("last_used_at %d after uses within a minute, want the first use's %d", got, first)
		}
		e.advance(31 * time.Second) // a minute and a second after the first use
		use("192.0.2.1")
		if got := lastUsed(); got != e.ms.Load() {
			t.Errorf("last_used_at %d a minute later, want %d", got, e.ms.Load())
		}
		wantActions := []string{
			"token.create 192.0.2.7", "token.use 192.0.2.1", "token.use 192.0.2.2", "token.use 192.0.2.1",
		}
		events := e.audit(t)
		if diff := cmp.Diff(wantActions, actions(events)); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
		for _, ev := range events {
			if ev.SubjectID != tok.ID || ev.SubjectUserID != "alice" || ev.Via != bot.ViaREST {
				t.Errorf("audit event %+v: want subject %s of alice, via rest", ev, tok.ID)
			}
			b, _ := json.Marshal(ev)
			if strings.Contains(string(b), secret) || strings.Contains(string(b), bot.HashToken(secret)) {
				t.Errorf("audit event %s holds the secret or its hash", b)
			}
		}
		if events[len(events)-1].ActorUserID != "admin1" || events[0].ActorUserID != "alice" {
			t.Errorf("actors: issue by %q, use by %q; want admin1, alice", events[len(events)-1].ActorUserID, events[0].ActorUserID)
		}

		// One millisecond before the expiry it works; at it, it does not.
		e.ms.Store(want.ExpireAt - 1)
		use("192.0.2.1")
		e.advance(time.Millisecond)
		_, err = e.svc.Authenticate(from("192.0.2.1"), secret)
		if bot.ErrorCode(err) != bot.EUnauthenticated || !bot.IsInvalidToken(err) || !strings.Contains(bot.ErrorMessage(err), "expired") {
			t.Errorf("expired token: %v, want an invalid token saying it expired", err)
		}
	})
}

func TestRevokeUserToken(t *testing.T) {
	forEachTokenEnv(t, func(t *testing.T, e tokenEnv) {
		ctx := context.Background()
		secret, mine, err := e.svc.IssueToken(ctx, tokenAdmin, rest, bot.TokenSpec{UserID: "alice", TeamIDs: []string{"t1"}})
		if err != nil {
			t.Fatal(err)
		}
		_, bobs, err := e.svc.IssueToken(ctx, tokenAdmin, rest, bot.TokenSpec{UserID: "bob", TeamIDs: []string{"t1"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ListUserTokens(ctx, alice, "bob"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("alice lists bob's: %v, want forbidden", err)
		}
		if _, err := e.svc.ListUserTokens(ctx, alice, ""); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("alice lists all: %v, want forbidden", err)
		}
		if _, _, err := e.svc.ListAudit(ctx, alice, bot.AuditFilter{}); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("alice reads the audit log: %v, want forbidden", err)
		}
		if err := e.svc.RevokeUserToken(ctx, alice, rest, bobs.ID); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("alice revokes bob's: %v, want not found", err)
		}
		if err := e.svc.RevokeUserToken(ctx, alice, rest, "nosuchtoken"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("alice revokes an unknown ID: %v, want not found", err)
		}
		e.advance(time.Second)
		if err := e.svc.RevokeUserToken(ctx, alice, rest, mine.ID); err != nil {
			t.Fatalf("alice revokes her own: %v", err)
		}
		revokedAt := e.ms.Load()
		e.advance(time.Second)
		if err := e.svc.RevokeUserToken(ctx, tokenAdmin, rest, mine.ID); err != nil {
			t.Errorf("revoking again: %v, want nil", err)
		}
		if _, err := e.svc.Authenticate(ctx, secret); !bot.IsInvalidToken(err) {
			t.Errorf("revoked token authenticates: %v", err)
		}
		ts, err := e.svc.ListUserTokens(ctx, alice, "alice")
		if err != nil || len(ts) != 1 || ts[0].RevokeAt != revokedAt {
			t.Errorf("alice's tokens %+v (%v), want one revoked at %d", ts, err, revokedAt)
		}
		revokes := 0
		for _, ev := range e.audit(t) {
			if ev.Action == bot.AuditTokenRevoke {
				revokes++
				if ev.ActorUserID != "alice" || ev.SubjectID != mine.ID || ev.Address != rest.Address || ev.At != revokedAt {
					t.Errorf("revoke event %+v: want alice revoking %s from %s at %d", ev, mine.ID, rest.Address, revokedAt)
				}
			}
		}
		if revokes != 1 {
			t.Errorf("%d revoke events after revoking twice, want 1", revokes)
		}
	})
}

func cmpIgnoreHash() cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Hash" }, cmp.Ignore())
}

// writeCounting counts the writes a token's use may cost.
type writeCounting struct {
	bot.Store
	writes atomic.Int64
}

func (s *writeCounting) TouchToken(ctx context.Context, id string, at, staleBefore int64) (bool, error) {
	s.writes.Add(1)
	return s.Store.TouchToken(ctx, id, at, staleBefore)
}

func (s *writeCounting) Remember(ctx context.Context, key string, now, expiresAt int64) (bool, error) {
	s.writes.Add(1)
	return s.Store.Remember(ctx, key, now, expiresAt)
}

func (s *writeCounting) AppendAudit(ctx context.Context, e bot.AuditEvent) error {
	s.writes.Add(1)
	return s.Store.AppendAudit(ctx, e)
}

// TestTokenUseWrites: a busy token costs no write per request, and two
// replicas seeing one token used from one address within a minute audit
// it once.
func TestTokenUseWrites(t *testing.T) {
	forEachTokenEnv(t, func(t *testing.T, e tokenEnv) {
		ctx := bot.WithOrigin(context.Background(), rest)
		now := func() time.Time { return time.UnixMilli(e.ms.Load()) }
		counted := &writeCounting{Store: e.db}
		replica1 := bot.NewService(bot.Config{Store: counted, Now: now})
		replica2 := bot.NewService(bot.Config{Store: e.db, Now: now})
		secret, _, err := replica1.IssueToken(ctx, tokenAdmin, rest, bot.TokenSpec{UserID: "alice", Admin: true})
		if err != nil {
			t.Fatal(err)
		}
		e.advance(time.Second)
		counted.writes.Store(0)
		for i := range 10 {
			if _, err := replica1.Authenticate(ctx, secret); err != nil {
				t.Fatal(err)
			}
			if _, err := replica2.Authenticate(ctx, secret); err != nil {
				t.Fatal(err)
			}
			if got := counted.writes.Load(); got != 3 {
				t.Fatalf("after %d uses: %d writes, want 3 (last use, seen key, audit line) for the first only", i+1, got)
			}
			e.advance(time.Second)
		}
		if got := actions(e.audit(t)); !cmp.Equal(got, []string{"token.create 192.0.2.7", "token.use 192.0.2.7"}) {
			t.Errorf("audit after 20 uses on two replicas within a minute: %q, want one use", got)
		}
	})
}
