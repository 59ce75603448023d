package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// tokenEnv is an API server whose clock the test moves, behind a trusted
// proxy (127.0.0.1) so that X-Forwarded-For names the client address, with
// an admin's token (e.token, user e.userID) and a user's.
type tokenEnv struct {
	*env
	ms        *atomic.Int64
	aliceID   string
	alice     string // alice's token, limited to e.teamID
	adminUser string
}

func newTokenEnv(t *testing.T, kind string) *tokenEnv {
	t.Helper()
	db := storetest.Open(t, kind)
	ms := &atomic.Int64{}
	ms.Store(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	now := func() time.Time { return time.UnixMilli(ms.Load()) }
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	svc := bot.NewService(bot.Config{Store: db, Now: now, Logger: logger})
	srv := httptest.NewServer(api.New(api.Config{
		Service: svc, Logger: logger,
		// Throttling off (Failures 0): the trusted proxies still name the
		// client address the audit log records.
		AuthThrottle: api.AuthThrottle{Now: now, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	}))
	t.Cleanup(srv.Close)
	e := &tokenEnv{
		env: &env{kind: kind, db: db, svc: svc, client: srv.Client(), base: srv.URL + api.BasePath,
			logs: logs, userID: bot.NewID(), teamID: bot.NewID()},
		ms: ms, aliceID: bot.NewID(),
	}
	var err error
	if e.token, _, err = svc.CreateToken(context.Background(), e.userID, nil, true); err != nil {
		t.Fatal(err)
	}
	e.alice = e.newToken(t, e.aliceID, e.teamID)
	return e
}

// from calls as token from the client address addr.
func (e *tokenEnv) from(t *testing.T, token, addr, method, path string, body any) response {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}, "X-Forwarded-For": {addr}}
	return e.send(t, method, path, h, body)
}

// auditRows returns the audit log as the admin reads it over REST.
func (e *tokenEnv) auditRows(t *testing.T, query string) []bot.AuditEvent {
	t.Helper()
	var l struct {
		Items []bot.AuditEvent `json:"items"`
	}
	e.call(t, "GET", "/admin/audit"+query, nil).want(t, 200).decode(t, &l)
	return l.Items
}

// noSecrets fails t if body holds secret, its hash, or a "hash" or
// "secret" key.
func noSecrets(t *testing.T, what string, body []byte, secret string) {
	t.Helper()
	s := string(body)
	for _, bad := range []string{secret, bot.HashToken(secret), `"hash"`, `"secret"`} {
		if strings.Contains(s, bad) {
			t.Errorf("%s holds %q: %s", what, bad, s)
		}
	}
}

func TestTokensOverREST(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, kind)
			team := "?team_id=" + e.teamID

			// Issue: the secret once, in "token".
			e.ms.Add(1000) // after the tokens newTokenEnv made
			r := e.from(t, e.token, "198.51.100.1", "POST", "/admin/tokens", map[string]any{
				"user_id": e.aliceID, "team_ids": []string{e.teamID}, "name": "status page", "expires_in": 3600,
			}).want(t, 201)
			var issued struct {
				Secret string `json:"token"`
				bot.Token
			}
			r.decode(t, &issued)
			if !strings.HasPrefix(issued.Secret, "pbk_") || issued.ID == "" {
				t.Fatalf("issue answered %s, want a secret and an id", r.body)
			}
			if strings.Contains(string(r.body), `"hash"`) {
				t.Errorf("issue answer has a hash: %s", r.body)
			}
			wantTok := bot.Token{
				ID: issued.ID, UserID: e.aliceID, TeamIDs: []string{e.teamID}, Name: "status page", CreatedBy: e.userID,
				CreateAt: e.ms.Load(), ExpireAt: e.ms.Load() + time.Hour.Milliseconds(),
			}
			if diff := cmp.Diff(wantTok, issued.Token); diff != "" {
				t.Errorf("issued token (-want +got):\n%s", diff)
			}
			secret := issued.Secret

			e.ms.Add(1000)
			// Use: three calls from one address and one from another within a
			// minute are two audit lines; a minute later, one more.
			for _, addr := range []string{"203.0.113.5", "203.0.113.5", "203.0.113.6", "203.0.113.5"} {
				e.from(t, secret, addr, "GET", "/playbooks"+team, nil).want(t, 200)
				e.ms.Add(10 * time.Second.Milliseconds())
			}
			e.ms.Add(30 * time.Second.Milliseconds())
			e.from(t, secret, "203.0.113.5", "GET", "/playbooks"+team, nil).want(t, 200)
			usedAt := e.ms.Load()

			// Lists: the admin's (all, and alice's), alice's own.
			var all, alices, mine []bot.Token
			r = e.call(t, "GET", "/admin/tokens", nil).want(t, 200)
			noSecrets(t, "list of all tokens", r.body, secret)
			r.decode(t, &all)
			r = e.call(t, "GET", "/admin/tokens?user_id="+e.aliceID, nil).want(t, 200)
			noSecrets(t, "list of alice's tokens", r.body, secret)
			r.decode(t, &alices)
			r = e.from(t, secret, "203.0.113.5", "GET", "/tokens/me", nil).want(t, 200)
			noSecrets(t, "list of my tokens", r.body, secret)
			r.decode(t, &mine)
			if len(all) != 3 || len(alices) != 2 || len(mine) != 2 {
				t.Fatalf("got %d tokens in all, %d of alice's, %d of mine; want 3, 2, 2", len(all), len(alices), len(mine))
			}
			wantTok.LastUsedAt = usedAt
			if diff := cmp.Diff(wantTok, mine[1], cmpIgnoreHash); diff != "" {
				t.Errorf("listed token (-want +got):\n%s", diff)
			}

			// Expiry, with the test clock: 401 invalid_token, saying so.
			e.ms.Store(wantTok.ExpireAt)
			r = e.callAs(t, secret, "GET", "/playbooks"+team, nil)
			eb := r.wantError(t, 401)
			if !strings.Contains(eb.Error, "expired") {
				t.Errorf("expired token: error %q, want it to say it expired", eb.Error)
			}
			if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) {
				t.Errorf("expired token: WWW-Authenticate %q, want Bearer error=\"invalid_token\"", h)
			}

			// Revoke: 401 at once, by the admin route; revoking again is fine.
			_, other, err := e.svc.CreateToken(context.Background(), e.aliceID, []string{e.teamID}, false)
			if err != nil {
				t.Fatal(err)
			}
			otherSecret, victimTok, err := e.svc.IssueToken(context.Background(), bot.Actor{UserID: e.userID, Admin: true},
				bot.Origin{Via: bot.ViaREST}, bot.TokenSpec{UserID: e.aliceID, TeamIDs: []string{e.teamID}})
			if err != nil {
				t.Fatal(err)
			}
			victim := victimTok.ID
			e.ms.Add(1000)
			e.from(t, e.token, "198.51.100.1", "DELETE", "/admin/tokens/"+victim, nil).want(t, 204)
			e.callAs(t, otherSecret, "GET", "/playbooks"+team, nil).wantError(t, 401)
			e.call(t, "DELETE", "/admin/tokens/"+victim, nil).want(t, 204)

			// A user revokes their own, not another's (404), and nothing as
			// an admin (403).
			bobSecret := e.newToken(t, bot.NewID(), e.teamID)
			var bobs []bot.Token
			e.callAs(t, bobSecret, "GET", "/tokens/me", nil).want(t, 200).decode(t, &bobs)
			e.callAs(t, e.alice, "DELETE", "/tokens/me/"+bobs[0].ID, nil).wantError(t, 404)
			e.callAs(t, bobSecret, "GET", "/playbooks"+team, nil).want(t, 200)
			e.callAs(t, e.alice, "DELETE", "/tokens/me/"+other.ID, nil).want(t, 204)
			for _, c := range []struct{ method, path string }{
				{"GET", "/admin/tokens"}, {"GET", "/admin/tokens?user_id=" + e.aliceID}, {"POST", "/admin/tokens"},
				{"DELETE", "/admin/tokens/" + bobs[0].ID}, {"GET", "/admin/audit"},
			} {
				e.callAs(t, e.alice, c.method, c.path, map[string]any{"user_id": e.aliceID, "admin": true}).wantError(t, 403)
			}
			e.callAs(t, bobSecret, "GET", "/playbooks"+team, nil).want(t, 200)

			// The audit log: who, what, when, from where.
			rows := e.auditRows(t, "?subject_id="+issued.ID)
			type line struct{ Action, Actor, Address string }
			var got []line
			for i := len(rows) - 1; i >= 0; i-- {
				got = append(got, line{rows[i].Action, rows[i].ActorUserID, rows[i].Address})
			}
			want := []line{
				{bot.AuditTokenCreate, e.userID, "198.51.100.1"},
				{bot.AuditTokenUse, e.aliceID, "203.0.113.5"},
				{bot.AuditTokenUse, e.aliceID, "203.0.113.6"},
				{bot.AuditTokenUse, e.aliceID, "203.0.113.5"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("audit of the token (-want +got):\n%s", diff)
			}
			if rows[0].At != usedAt || rows[len(rows)-1].Via != bot.ViaREST {
				t.Errorf("audit rows %+v: want the last use at %d, via rest", rows, usedAt)
			}
			revokes := e.auditRows(t, "?subject_id="+victim)
			if len(revokes) != 2 || revokes[0].Action != bot.AuditTokenRevoke || revokes[0].Address != "198.51.100.1" ||
				revokes[0].ActorUserID != e.userID {
				t.Errorf("audit of the revoked token: %+v; want its revoke by %s from 198.51.100.1 once, then its issue", revokes, e.userID)
			}
			own := e.auditRows(t, "?subject_id="+other.ID)
			if len(own) != 2 || own[0].Action != bot.AuditTokenRevoke || own[0].ActorUserID != e.aliceID || own[1].Via != bot.ViaCLI {
				t.Errorf("audit of alice's own revoked token: %+v; want her revoke, then its issue via cli", own)
			}

			// Paging and since.
			var page struct {
				TotalCount int              `json:"total_count"`
				PageCount  int              `json:"page_count"`
				HasMore    bool             `json:"has_more"`
				Items      []bot.AuditEvent `json:"items"`
			}
			r = e.call(t, "GET", "/admin/audit?per_page=2&page=1", nil).want(t, 200)
			r.decode(t, &page)
			total := len(e.auditRows(t, ""))
			if page.TotalCount != total || page.PageCount != (total+1)/2 || !page.HasMore || len(page.Items) != 2 {
				t.Errorf("page 1 of 2 per page of %d events: %+v", total, page)
			}
			if rows := e.auditRows(t, fmt.Sprintf("?since=%d&subject_id=%s", usedAt, issued.ID)); len(rows) != 1 {
				t.Errorf("since the last use: %d rows, want 1", len(rows))
			}
			r = e.call(t, "GET", "/admin/audit", nil)
			noSecrets(t, "audit log", r.body, secret)
			noSecrets(t, "audit log", r.body, otherSecret)
			e.logs.mu.Lock()
			logged := e.logs.buf.String()
			e.logs.mu.Unlock()
			if len(e.logs.lines(t)) == 0 {
				t.Error("nothing logged: the check for secrets in the logs checks nothing")
			}
			noSecrets(t, "logs", []byte(logged), secret)
			noSecrets(t, "logs", []byte(logged), otherSecret)
		})
	}
}

func TestTokensBadInput(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, kind)
			later := e.ms.Load() + 1000
			count := func() (int, int) {
				t.Helper()
				var ts []bot.Token
				e.call(t, "GET", "/admin/tokens", nil).want(t, 200).decode(t, &ts)
				return len(ts), len(e.auditRows(t, ""))
			}
			tokens, events := count()
			for _, tt := range []struct {
				name  string
				body  any
				field string
			}{
				{"no user", map[string]any{"admin": true}, "user_id"},
				{"bad user", map[string]any{"user_id": "a b", "admin": true}, "user_id"},
				{"no team nor admin", map[string]any{"user_id": "u1"}, "team_ids"},
				{"team_ids not a list", map[string]any{"user_id": "u1", "team_ids": "t1"}, "team_ids"},
				{"expires_in zero", map[string]any{"user_id": "u1", "admin": true, "expires_in": 0}, "expires_in"},
				{"expires_in negative", map[string]any{"user_id": "u1", "admin": true, "expires_in": -5}, "expires_in"},
				{"expires_in over a year", map[string]any{"user_id": "u1", "admin": true, "expires_in": 366 * 24 * 3600}, "expires_in"},
				{"expires_in huge", map[string]any{"user_id": "u1", "admin": true, "expires_in": int64(1) << 62}, "expires_in"},
				{"expires_in text", map[string]any{"user_id": "u1", "admin": true, "expires_in": "1h"}, "expires_in"},
				{"both", map[string]any{"user_id": "u1", "admin": true, "expires_in": 60, "expires_at": later}, "expires_in"},
				{"expires_at past", map[string]any{"user_id": "u1", "admin": true, "expires_at": 1}, "expires_at"},
				{"name too long", map[string]any{"user_id": "u1", "admin": true, "name": strings.Repeat("x", bot.MaxTitleLen+1)}, "name"},
				{"not an object", `[1]`, ""},
			} {
				t.Run(tt.name, func(t *testing.T) {
					eb := e.call(t, "POST", "/admin/tokens", tt.body).wantError(t, 400)
					if tt.field != "" && !strings.Contains(eb.Details, "field "+tt.field) {
						t.Errorf("details %q, want them to name field %s", eb.Details, tt.field)
					}
				})
			}
			for _, q := range []string{"?per_page=-1", "?page=x", "?since=soon", "?since=-1", "?subject_id=a%20b"} {
				e.call(t, "GET", "/admin/audit"+q, nil).wantError(t, 400)
			}
			e.call(t, "DELETE", "/admin/tokens/nosuchtoken", nil).wantError(t, 404)
			if gotT, gotE := count(); gotT != tokens || gotE != events {
				t.Errorf("after bad input: %d tokens and %d audit events, want %d and %d", gotT, gotE, tokens, events)
			}
		})
	}
}

var cmpIgnoreHash = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Hash" }, cmp.Ignore())
