package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// oauthEnv is an API server whose service clock a test moves (now), with
// an admin token and the root URL of the server.
type oauthEnv struct {
	*env
	now   *atomic.Int64 // Unix ms of the service's clock
	root  string        // server URL, where /oauth/token is
	admin string        // an admin token's secret
}

// forEachOAuthKind runs fn, in parallel, against every kind of store.
func forEachOAuthKind(t *testing.T, throttle api.AuthThrottle, fn func(t *testing.T, e *oauthEnv)) {
	t.Helper()
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newOAuthEnv(t, kind, throttle))
		})
	}
}

func newOAuthEnv(t *testing.T, kind string, throttle api.AuthThrottle) *oauthEnv {
	t.Helper()
	db := storetest.Open(t, kind)
	now := &atomic.Int64{}
	now.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	svc := bot.NewService(bot.Config{Store: db, Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	logs := &syncBuffer{}
	srv := httptest.NewServer(api.New(api.Config{
		Service: svc, Logger: slog.New(slog.NewJSONHandler(logs, nil)), AuthThrottle: throttle,
	}))
	t.Cleanup(srv.Close)
	e := &env{
		kind: kind, db: db, svc: svc, client: srv.Client(), base: srv.URL + api.BasePath,
		logs: logs, userID: bot.NewID(), teamID: bot.NewID(),
	}
	e.token = e.newToken(t, e.userID, e.teamID)
	admin, _, err := svc.CreateToken(context.Background(), bot.NewID(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	return &oauthEnv{env: e, now: now, root: srv.URL, admin: admin}
}

// createClient registers a client of scope for e's user and team over the
// admin REST route and returns its ID and secret.
func (e *oauthEnv) createClient(t *testing.T, scope string) (string, string) {
	t.Helper()
	var c struct {
		ID     string `json:"id"`
		Secret string `json:"client_secret"`
		Scope  string `json:"scope"`
	}
	r := e.callAs(t, e.admin, "POST", "/admin/clients", map[string]any{
		"name": "status page", "scope": scope, "user_id": e.userID, "team_ids": []string{e.teamID},
	}).want(t, http.StatusCreated)
	r.decode(t, &c)
	if !strings.HasPrefix(c.Secret, bot.ClientSecretPrefix) || c.ID == "" || c.Scope != scope {
		t.Fatalf("created client %s: want an id, scope %s and a secret starting %s", r.body, scope, bot.ClientSecretPrefix)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("created client: got Cache-Control %q, want no-store", cc)
	}
	return c.ID, c.Secret
}

// oauthClient is the standard Go client of the grant, unchanged.
func (e *oauthEnv) oauthClient(id, secret string, style oauth2.AuthStyle, scopes ...string) (*http.Client, *clientcredentials.Config) {
	cfg := &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.root + api.TokenPath, AuthStyle: style, Scopes: scopes}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.client)
	return cfg.Client(ctx), cfg
}

// do sends a request through c to the REST API.
func (e *oauthEnv) do(t *testing.T, c *http.Client, method, path string, body any) response {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(string(encodeBody(t, body))))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return doRequest(t, c, req)
}

// doRequest sends req through c and reads the answer.
func doRequest(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// wantChallenge checks r's WWW-Authenticate.
func wantChallenge(t *testing.T, r response, want string) {
	t.Helper()
	if got := r.header.Get("WWW-Authenticate"); got != want {
		t.Errorf("got WWW-Authenticate %q, want %q", got, want)
	}
}

const (
	invalidTokenChallenge      = `Bearer realm="playbooks", error="invalid_token", error_description="the access token expired or its client was revoked"`
	insufficientScopeChallenge = `Bearer realm="playbooks", error="insufficient_scope", scope="write"`
)

// TestClientCredentials is issue 13's acceptance: the standard Go client
// gets a token and calls the API; the token is refused after it expires
// and after its client is revoked.
func TestClientCredentials(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
			id, secret := e.createClient(t, bot.ScopeWrite)
			c, cfg := e.oauthClient(id, secret, style)
			e.do(t, c, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusOK)
			e.do(t, c, "POST", "/playbooks", e.playbookBody("by a client")).want(t, http.StatusCreated)
			tok, err := cfg.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || !strings.HasPrefix(tok.AccessToken, bot.AccessTokenPrefix) || tok.Extra("scope") != "write" {
				t.Errorf("token: got type %q, scope %v, want Bearer, write and a %s secret", tok.TokenType, tok.Extra("scope"), bot.AccessTokenPrefix)
			}
			if got, want := tok.Extra("expires_in"), float64(600); got != want {
				t.Errorf("got expires_in %v, want %v", got, want)
			}

			// Ten minutes later on the server's clock the cached token is refused.
			e.now.Add((10 * time.Minute).Milliseconds())
			r := e.do(t, c, "GET", "/playbooks?team_id="+e.teamID, nil)
			r.wantError(t, http.StatusUnauthorized)
			wantChallenge(t, r, invalidTokenChallenge)

			// A new token works until the client is revoked.
			c, _ = e.oauthClient(id, secret, style)
			e.do(t, c, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusOK)
			e.callAs(t, e.admin, "DELETE", "/admin/clients/"+id, nil).want(t, http.StatusNoContent)
			r = e.do(t, c, "GET", "/playbooks?team_id="+e.teamID, nil)
			r.wantError(t, http.StatusUnauthorized)
			wantChallenge(t, r, invalidTokenChallenge)
			_, err = cfg.Token(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
				t.Errorf("token of a revoked client: got %v, want invalid_client", err)
			}
		}
	})
}

// TestClientCredentialsReadScope: a read client, or a write client asking
// for read, reads but changes nothing (403 insufficient_scope).
func TestClientCredentialsReadScope(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		pb := e.createPlaybook(t, e.playbookBody("kept"))
		run := e.createRun(t, pb, "kept")
		readID, readSecret := e.createClient(t, bot.ScopeRead)
		writeID, writeSecret := e.createClient(t, bot.ScopeWrite)
		for _, tc := range []struct {
			name   string
			client *http.Client
		}{
			{"read client", first(e.oauthClient(readID, readSecret, oauth2.AuthStyleInHeader))},
			{"write client asking read", first(e.oauthClient(writeID, writeSecret, oauth2.AuthStyleInHeader, "read"))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.do(t, tc.client, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusOK)
				for _, c := range []struct {
					method, path string
					body         any
				}{
					{"POST", "/playbooks", e.playbookBody("refused")},
					{"PUT", "/playbooks/" + pb, e.playbookBody("renamed")},
					{"DELETE", "/playbooks/" + pb, nil},
					{"PATCH", "/runs/" + run.ID, map[string]any{"active_stage": 1}},
					{"POST", "/admin/clients", map[string]any{"name": "x", "scope": "write", "user_id": e.userID, "admin": true}},
				} {
					r := e.do(t, tc.client, c.method, c.path, c.body)
					r.wantError(t, http.StatusForbidden)
					wantChallenge(t, r, insufficientScopeChallenge)
				}
			})
		}
		var pl struct {
			TotalCount int `json:"total_count"`
		}
		e.call(t, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusOK).decode(t, &pl)
		if pl.TotalCount != 1 {
			t.Errorf("got %d playbooks after refused writes, want the 1 kept", pl.TotalCount)
		}
	})
}

func first[A, B any](a A, _ B) A { return a }

// TestPlainUnauthorizedChallenge: no token gets the bare realm (RFC 6750
// section 3: no error code when the request has no credentials); a token
// nobody issued, of either kind, is "invalid for other reasons" (section
// 3.1): invalid_token.
func TestPlainUnauthorizedChallenge(t *testing.T) {
	e := newOAuthEnv(t, storetest.Kinds()[0], api.AuthThrottle{})
	for token, want := range map[string]string{
		"":                             `Bearer realm="playbooks"`,
		bot.AccessTokenPrefix + "0123": `Bearer realm="playbooks", error="invalid_token"`,
		"pbk_nobody":                   `Bearer realm="playbooks", error="invalid_token"`,
	} {
		r := e.callAs(t, token, "GET", "/playbooks?team_id="+e.teamID, nil)
		r.wantError(t, http.StatusUnauthorized)
		wantChallenge(t, r, want)
	}
}

// tokenRequest is a raw request to the token endpoint.
type tokenRequest struct {
	name     string
	method   string
	query    string
	ctype    string // application/x-www-form-urlencoded when ""
	basic    [2]string
	authz    string // a raw Authorization header
	form     string
	status   int
	code     string
	basicWWW bool // WWW-Authenticate: Basic realm="playbooks"
}

// TestTokenEndpointErrors checks every error answer of /oauth/token against
// RFC 6749 5.2: status, error code, a JSON object of error and
// error_description, Cache-Control: no-store and Pragma: no-cache, and the
// Basic challenge of each 401.
func TestTokenEndpointErrors(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		id, secret := e.createClient(t, bot.ScopeRead)
		revokedID, revokedSecret := e.createClient(t, bot.ScopeWrite)
		e.callAs(t, e.admin, "DELETE", "/admin/clients/"+revokedID, nil).want(t, http.StatusNoContent)
		creds := "&client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)
		grant := "grant_type=client_credentials"
		for _, tc := range []tokenRequest{
			{name: "GET", method: "GET", status: 405, code: "invalid_request"},
			{name: "PUT", method: "PUT", form: grant + creds, status: 405, code: "invalid_request"},
			{name: "JSON body", ctype: "application/json", form: `{"grant_type":"client_credentials"}`, status: 400, code: "invalid_request"},
			{name: "parameters in URL", query: grant + creds, form: grant + creds, status: 400, code: "invalid_request"},
			{name: "no grant_type", form: strings.TrimPrefix(creds, "&"), status: 400, code: "invalid_request"},
			{name: "grant_type twice", form: grant + "&" + grant + creds, status: 400, code: "invalid_request"},
			{name: "client_id twice", form: grant + creds + "&client_id=x", status: 400, code: "invalid_request"},
			{name: "password grant", form: "grant_type=password&username=u&password=p" + creds, status: 400, code: "unsupported_grant_type"},
			{name: "authorization_code grant", form: "grant_type=authorization_code&code=x" + creds, status: 400, code: "unsupported_grant_type"},
			{name: "Basic and form both", basic: [2]string{id, secret}, form: grant + creds, status: 400, code: "invalid_request"},
			{name: "Basic and form client_id", basic: [2]string{id, secret}, form: grant + "&client_id=" + id, status: 400, code: "invalid_request"},
			{name: "client_id without secret", form: grant + "&client_id=" + id, status: 400, code: "invalid_request"},
			{name: "secret without client_id", form: grant + "&client_secret=" + secret, status: 400, code: "invalid_request"},
			{name: "no client authentication", form: grant, status: 401, code: "invalid_client", basicWWW: true},
			{name: "Bearer instead of Basic", authz: "Bearer " + secret, form: grant, status: 401, code: "invalid_client", basicWWW: true},
			{name: "Basic not urlencoded", authz: "Basic Zm9vJXp6OmJhcg==", form: grant, status: 401, code: "invalid_client", basicWWW: true}, // foo%zz:bar
			{name: "wrong secret by Basic", basic: [2]string{id, secret + "x"}, form: grant, status: 401, code: "invalid_client", basicWWW: true},
			{name: "wrong secret by form", form: grant + "&client_id=" + id + "&client_secret=" + secret + "x", status: 401, code: "invalid_client", basicWWW: true},
			{name: "unknown client", basic: [2]string{bot.NewID(), secret}, form: grant, status: 401, code: "invalid_client", basicWWW: true},
			{name: "malformed client id", basic: [2]string{"../x", secret}, form: grant, status: 401, code: "invalid_client", basicWWW: true},
			{name: "revoked client", basic: [2]string{revokedID, revokedSecret}, form: grant, status: 401, code: "invalid_client", basicWWW: true},
			{name: "write asked by read client", basic: [2]string{id, secret}, form: grant + "&scope=write", status: 400, code: "invalid_scope"},
			{name: "read write asked by read client", basic: [2]string{id, secret}, form: grant + "&scope=read+write", status: 400, code: "invalid_scope"},
			{name: "unknown scope", basic: [2]string{id, secret}, form: grant + "&scope=admin", status: 400, code: "invalid_scope"},
			{name: "empty scope item", basic: [2]string{id, secret}, form: grant + "&scope=read++read", status: 400, code: "invalid_scope"},
			{name: "granted", basic: [2]string{id, secret}, form: grant + "&scope=read", status: 200},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.tokenCall(t, tc)
				r.want(t, tc.status)
				for k, want := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"} {
					if got := r.header.Get(k); got != want {
						t.Errorf("got %s %q, want %q", k, got, want)
					}
				}
				var wantWWW string
				if tc.basicWWW {
					wantWWW = `Basic realm="playbooks"`
				}
				wantChallenge(t, r, wantWWW)
				var body map[string]any
				r.decode(t, &body)
				if tc.status == 200 {
					if body["token_type"] != "Bearer" || body["scope"] != "read" || body["expires_in"] != float64(600) {
						t.Errorf("got %s, want a Bearer token of scope read for 600 s", r.body)
					}
					return
				}
				if tc.status == 405 && r.header.Get("Allow") != "POST" {
					t.Errorf("got Allow %q, want POST", r.header.Get("Allow"))
				}
				desc, _ := body["error_description"].(string)
				if body["error"] != tc.code || desc == "" || len(body) != 2 {
					t.Errorf("got body %s, want exactly error %q and an error_description", r.body, tc.code)
				}
			})
		}
	})
}

// tokenCall sends tc to the token endpoint.
func (e *oauthEnv) tokenCall(t *testing.T, tc tokenRequest) response {
	t.Helper()
	method := tc.method
	if method == "" {
		method = "POST"
	}
	u := e.root + api.TokenPath
	if tc.query != "" {
		u += "?" + tc.query
	}
	req, err := http.NewRequest(method, u, strings.NewReader(tc.form))
	if err != nil {
		t.Fatal(err)
	}
	ct := tc.ctype
	if ct == "" {
		ct = "application/x-www-form-urlencoded"
	}
	req.Header.Set("Content-Type", ct)
	if tc.basic[0] != "" {
		req.SetBasicAuth(url.QueryEscape(tc.basic[0]), url.QueryEscape(tc.basic[1]))
	}
	if tc.authz != "" {
		req.Header.Set("Authorization", tc.authz)
	}
	return doRequest(t, e.client, req)
}

// TestClientSecretsNeverShown: after a whole life of a client (created,
// a token issued and used, revoked), neither its secret nor its access
// token's, nor their hashes, are in any list, the log or the audit log;
// the audit log has each change once and a use once a minute per token
// and address.
func TestClientSecretsNeverShown(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		id, secret := e.createClient(t, bot.ScopeWrite)
		_, cfg := e.oauthClient(id, secret, oauth2.AuthStyleInHeader)
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.client)
		ts := cfg.TokenSource(ctx)
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		c := oauth2.NewClient(ctx, ts)
		for range 3 {
			e.do(t, c, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusOK)
		}
		e.now.Add(time.Minute.Milliseconds())
		e.do(t, c, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusOK)
		list := e.callAs(t, e.admin, "GET", "/admin/clients", nil).want(t, http.StatusOK)
		var clients []bot.Client
		list.decode(t, &clients)
		if len(clients) != 1 || clients[0].ID != id || clients[0].LastUsedAt == 0 {
			t.Errorf("got clients %s, want the one client, used", list.body)
		}
		e.callAs(t, e.admin, "DELETE", "/admin/clients/"+id, nil).want(t, http.StatusNoContent)

		events, _, err := e.db.ListAudit(context.Background(), bot.AuditFilter{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for i := len(events) - 1; i >= 0; i-- {
			ev := events[i]
			if ev.SubjectKind == bot.AuditSubjectToken {
				continue // the API tokens the test set up, and their uses: not this test's
			}
			actions = append(actions, ev.Action)
			if ev.Address != "127.0.0.1" || ev.SubjectKind == "" || ev.SubjectID == "" {
				t.Errorf("audit event %+v: want the address 127.0.0.1 and a subject", ev)
			}
		}
		want := []string{bot.AuditClientCreate, bot.AuditClientToken, bot.AuditAccessTokenUse, bot.AuditAccessTokenUse, bot.AuditClientRevoke}
		slices.Sort(actions) // the clock stands still: events of one millisecond
		slices.Sort(want)
		if strings.Join(actions, " ") != strings.Join(want, " ") {
			t.Errorf("got audit actions %v, want %v", actions, want)
		}
		auditJSON, _ := json.Marshal(events)
		for name, s := range map[string]string{
			"client secret": secret, "client secret hash": bot.HashToken(secret),
			"access token": tok.AccessToken, "access token hash": bot.HashToken(tok.AccessToken),
		} {
			for where, text := range map[string]string{"client list": string(list.body), "log": e.logs.String(), "audit log": string(auditJSON)} {
				if strings.Contains(text, s) {
					t.Errorf("the %s is in the %s", name, where)
				}
			}
		}
	})
}

// TestFailedClientAuthenticationThrottled: failed client authentications
// spend the address's failures like failed bearer tokens; then even the
// right secret gets 429 until the address has earned one back.
func TestFailedClientAuthenticationThrottled(t *testing.T) {
	e := newOAuthEnv(t, storetest.Kinds()[0], api.AuthThrottle{Failures: 2, Window: time.Hour})
	id, secret := e.createClient(t, bot.ScopeRead)
	form := "grant_type=client_credentials"
	for range 2 {
		e.tokenCall(t, tokenRequest{basic: [2]string{id, "wrong"}, form: form}).want(t, http.StatusUnauthorized)
	}
	r := e.tokenCall(t, tokenRequest{basic: [2]string{id, secret}, form: form}).want(t, http.StatusTooManyRequests)
	var body map[string]string
	r.decode(t, &body)
	if body["error"] != "temporarily_unavailable" || r.header.Get("Retry-After") == "" {
		t.Errorf("got %s with Retry-After %q, want temporarily_unavailable and a Retry-After", r.body, r.header.Get("Retry-After"))
	}
	// The bearer routes share the count.
	e.call(t, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusTooManyRequests)
}

// TestClientAdminRoutes: only admins manage clients; bad input is refused
// with nothing created.
func TestClientAdminRoutes(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		id, _ := e.createClient(t, bot.ScopeRead)
		spec := map[string]any{"name": "n", "scope": "read", "user_id": e.userID, "team_ids": []string{e.teamID}}
		e.call(t, "POST", "/admin/clients", spec).wantError(t, http.StatusForbidden)
		e.call(t, "GET", "/admin/clients", nil).wantError(t, http.StatusForbidden)
		e.call(t, "DELETE", "/admin/clients/"+id, nil).wantError(t, http.StatusForbidden)
		for _, bad := range []map[string]any{
			{"name": "", "scope": "read", "user_id": e.userID, "team_ids": []string{e.teamID}},
			{"name": "n", "scope": "admin", "user_id": e.userID, "team_ids": []string{e.teamID}},
			{"name": "n", "scope": "read", "user_id": "", "team_ids": []string{e.teamID}},
			{"name": "n", "scope": "read", "user_id": e.userID},
			{"name": "n", "scope": "read", "user_id": e.userID, "team_ids": "t"},
		} {
			e.callAs(t, e.admin, "POST", "/admin/clients", bad).wantError(t, http.StatusBadRequest)
		}
		e.callAs(t, e.admin, "DELETE", "/admin/clients/"+bot.NewID(), nil).wantError(t, http.StatusNotFound)
		var clients []bot.Client
		e.callAs(t, e.admin, "GET", "/admin/clients", nil).want(t, http.StatusOK).decode(t, &clients)
		if len(clients) != 1 || clients[0].RevokeAt != 0 {
			t.Errorf("got %d clients, want the 1 created, not revoked", len(clients))
		}
	})
}

// TestClientRevokedOnEveryReplica: two replicas, each with its own
// connections to one database; a token used on one (which has seen it
// valid) is refused there from the request after the client is revoked
// on the other: nothing is cached.
func TestClientRevokedOnEveryReplica(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dbURL := storetest.MigratedURL(t, kind)
			var replicas [2]string
			var svcs [2]*bot.Service
			for i := range replicas {
				db, err := store.Open(ctx, dbURL)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				svcs[i] = bot.NewService(bot.Config{Store: db})
				srv := httptest.NewServer(api.New(api.Config{Service: svcs[i], Logger: slog.New(slog.DiscardHandler)}))
				t.Cleanup(srv.Close)
				replicas[i] = srv.URL
			}
			team, admin := bot.NewID(), bot.Actor{UserID: bot.NewID(), Admin: true}
			secret, c, err := svcs[0].CreateClient(ctx, admin, bot.Origin{Via: bot.ViaCLI},
				bot.ClientSpec{Name: "n", Scope: bot.ScopeRead, UserID: bot.NewID(), TeamIDs: []string{team}})
			if err != nil {
				t.Fatal(err)
			}
			cfg := clientcredentials.Config{ClientID: c.ID, ClientSecret: secret, TokenURL: replicas[0] + api.TokenPath}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			get := func() response {
				req, _ := http.NewRequest("GET", replicas[1]+api.BasePath+"/playbooks?team_id="+team, nil)
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				return doRequest(t, http.DefaultClient, req)
			}
			get().want(t, http.StatusOK)
			if err := svcs[0].RevokeClient(ctx, admin, bot.Origin{Via: bot.ViaCLI}, c.ID); err != nil {
				t.Fatal(err)
			}
			r := get()
			r.wantError(t, http.StatusUnauthorized)
			wantChallenge(t, r, invalidTokenChallenge)
		})
	}
}
