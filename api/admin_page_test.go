package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// adminBrowser is a client of the admin page that keeps its session
// cookie, as a browser does, and does not follow redirects.
type adminBrowser struct {
	e      *linkEnv
	cookie *http.Cookie
	// header is added to every request (Origin, Sec-Fetch-Site).
	header http.Header
}

// do sends a request to the admin page with the session cookie.
func (b *adminBrowser) do(t *testing.T, method, path string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.e.root + path
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	client := *b.e.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// openAdmin opens a fresh admin link and returns the signed-in browser and
// the session's CSRF token.
func openAdmin(t *testing.T, e *linkEnv) (*adminBrowser, string) {
	t.Helper()
	link, err := e.svc.AdminLink(e.userID, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := &adminBrowser{e: e}
	res := b.do(t, "GET", link, nil).want(t, http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/admin" {
		t.Errorf("got Location %q, want /admin (without the signature)", loc)
	}
	cookies := (&http.Response{Header: res.header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got cookies %v, want the session cookie", cookies)
	}
	b.cookie = &http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value}
	page := b.do(t, "GET", "/admin", nil).want(t, http.StatusOK)
	m := csrfField.FindSubmatch(page.body)
	if m == nil {
		t.Fatalf("the admin page has no CSRF field:\n%s", page.body)
	}
	return b, string(m[1])
}

// activeTokens counts the unrevoked tokens of userID.
func activeTokens(t *testing.T, e *linkEnv, userID string) []bot.Token {
	t.Helper()
	all, err := e.svc.ListTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []bot.Token
	for _, tok := range all {
		if tok.UserID == userID && tok.RevokeAt == 0 {
			out = append(out, tok)
		}
	}
	return out
}

func TestAdminPageSessionCookie(t *testing.T) {
	e := newLinkEnv(t, "sqlite")
	link, err := e.svc.AdminLink(e.userID, 0)
	if err != nil {
		t.Fatal(err)
	}
	res := (&adminBrowser{e: e}).do(t, "GET", link, nil).want(t, http.StatusSeeOther)
	raw := res.header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/admin"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on a plain-HTTP server: the browser would never send it back", raw)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", cc)
	}
}

func TestAdminPageTokens(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		b, csrf := openAdmin(t, e)
		user := bot.NewID()

		// Generate: the secret is shown once and works.
		res := b.do(t, "POST", "/admin/tokens", url.Values{"csrf": {csrf}, "user_id": {user}, "team_ids": {e.teamID},
			"name": {"status page"}, "expires_in": {"604800"}}).want(t, http.StatusOK)
		m := regexp.MustCompile(`pbk_[0-9a-f]+`).Find(res.body)
		if m == nil {
			t.Fatalf("the result page shows no secret:\n%s", res.body)
		}
		secret := string(m)
		if a, err := e.svc.Authenticate(context.Background(), secret); err != nil || a.UserID != user {
			t.Fatalf("the new token authenticates as %+v, %v; want user %s", a, err, user)
		}
		toks := activeTokens(t, e, user)
		if len(toks) != 1 {
			t.Fatalf("got %d tokens of %s, want 1", len(toks), user)
		}
		id := toks[0].ID
		if got := toks[0]; got.Name != "status page" || got.CreatedBy != e.userID || got.ExpireAt != got.CreateAt+(7*24*time.Hour).Milliseconds() {
			t.Errorf("issued token %+v: want name \"status page\", created by %s, expiring 7 days after its creation", got, e.userID)
		}
		wantAudit(t, e, id, bot.AuditTokenCreate)

		// Listed, without its secret.
		page := b.do(t, "GET", "/admin", nil).want(t, http.StatusOK)
		if !strings.Contains(string(page.body), id) || !strings.Contains(string(page.body), user) {
			t.Errorf("the admin page does not list token %s of %s:\n%s", id, user, page.body)
		}
		if strings.Contains(string(page.body), secret) {
			t.Errorf("the admin page shows the token's secret")
		}

		// Bad input: a clear error, nothing made.
		res = b.do(t, "POST", "/admin/tokens", url.Values{"csrf": {csrf}, "user_id": {user}}).want(t, http.StatusBadRequest)
		if !strings.Contains(string(res.body), "--team") && !strings.Contains(string(res.body), "team") {
			t.Errorf("the refusal does not say a team is needed:\n%s", res.body)
		}
		b.do(t, "POST", "/admin/tokens", url.Values{"csrf": {csrf}, "user_id": {user}, "team_ids": {e.teamID}, "expires_in": {"-5"}}).
			want(t, http.StatusBadRequest)
		if n := len(activeTokens(t, e, user)); n != 1 {
			t.Errorf("after refused forms: got %d tokens, want 1", n)
		}

		// Revoke: a confirmation page, then the confirmed form.
		confirm := b.do(t, "GET", "/admin/tokens/"+id+"/revoke", nil).want(t, http.StatusOK)
		if !strings.Contains(string(confirm.body), `action="/admin/tokens/`+id+`/revoke"`) {
			t.Fatalf("the confirmation page has no form to revoke %s:\n%s", id, confirm.body)
		}
		if n := len(activeTokens(t, e, user)); n != 1 {
			t.Fatalf("the confirmation page revoked the token")
		}
		b.do(t, "POST", "/admin/tokens/"+id+"/revoke", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther)
		wantAudit(t, e, id, bot.AuditTokenRevoke)
		if _, err := e.svc.Authenticate(context.Background(), secret); bot.ErrorCode(err) != bot.EUnauthenticated {
			t.Errorf("a revoked token authenticates: %v", err)
		}
		b.do(t, "POST", "/admin/tokens/"+bot.NewID()+"/revoke", url.Values{"csrf": {csrf}}).want(t, http.StatusNotFound)
	})
}

func TestAdminPageRefusesForgedForms(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		b, csrf := openAdmin(t, e)
		user := bot.NewID()
		secret, tok, err := e.svc.CreateToken(context.Background(), user, []string{e.teamID}, false)
		if err != nil {
			t.Fatal(err)
		}
		create := url.Values{"user_id": {user}, "team_ids": {e.teamID}}
		_, otherSession := openAdmin(t, e) // a second session, of the same admin
		// other differs from csrf in its first character only.
		other := "1" + csrf[1:]
		if csrf[0] == '1' {
			other = "0" + csrf[1:]
		}
		for _, tc := range []struct {
			name   string
			csrf   string
			header http.Header
		}{
			{name: "no CSRF token"},
			{name: "wrong CSRF token", csrf: csrf[:len(csrf)-1] + "x"},
			{name: "a token one character off", csrf: other},
			{name: "another session's token", csrf: otherSession},
			{name: "from another origin", csrf: csrf, header: http.Header{"Origin": {"https://evil.example"}}},
			{name: "from an opaque origin", csrf: csrf, header: http.Header{"Origin": {"null"}}},
			{name: "from another site", csrf: csrf, header: http.Header{"Sec-Fetch-Site": {"cross-site"}}},
			{name: "from a sibling site", csrf: csrf, header: http.Header{"Sec-Fetch-Site": {"same-site"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.header = tc.header
				defer func() { b.header = nil }()
				form := url.Values{}
				if tc.csrf != "" {
					form.Set("csrf", tc.csrf)
				}
				for k, v := range create {
					form[k] = v
				}
				b.do(t, "POST", "/admin/tokens", form).want(t, http.StatusForbidden)
				b.do(t, "POST", "/admin/tokens/"+tok.ID+"/revoke", url.Values{"csrf": form["csrf"]}).want(t, http.StatusForbidden)
				b.do(t, "POST", "/admin/logout", url.Values{"csrf": form["csrf"]}).want(t, http.StatusForbidden)
				if got := activeTokens(t, e, user); len(got) != 1 || got[0].ID != tok.ID {
					t.Errorf("after a forged form: got tokens %+v, want only %s, unrevoked", got, tok.ID)
				}
				if _, err := e.svc.Authenticate(context.Background(), secret); err != nil {
					t.Errorf("after a forged revoke the token no longer works: %v", err)
				}
			})
		}
		// The page's own origin passes.
		b.header = http.Header{"Origin": {e.root}, "Sec-Fetch-Site": {"same-origin"}}
		b.do(t, "POST", "/admin/tokens/"+tok.ID+"/revoke", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther)
	})
}

func TestAdminLinkSingleUseAndExpiry(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		link, err := e.svc.AdminLink(e.userID, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := &adminBrowser{e: e}
		b.do(t, "GET", link, nil).want(t, http.StatusSeeOther)
		replay := b.do(t, "GET", link, nil).want(t, http.StatusUnauthorized)
		if !strings.Contains(string(replay.body), "new link") {
			t.Errorf("the refusal of a replayed link does not say to get a new one:\n%s", replay.body)
		}
		if c := replay.header.Get("Set-Cookie"); c != "" {
			t.Errorf("a replayed link set a cookie: %s", c)
		}

		// Tampered: another user, another expiry, another signature.
		fresh, err := e.svc.AdminLink(e.userID, 0)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(fresh)
		for _, tc := range []struct{ key, value string }{
			{"user", bot.NewID()}, {"exp", "9999999999"}, {"n", "x"}, {"sig", "AAAA"}, {"sig", ""},
		} {
			q := u.Query()
			q.Set(tc.key, tc.value)
			b.do(t, "GET", e.root+u.Path+"?"+q.Encode(), nil).want(t, http.StatusUnauthorized)
		}
		b.do(t, "GET", fresh, nil).want(t, http.StatusSeeOther) // tampering did not use it up

		// Expired: 15 minutes on.
		late, err := e.svc.AdminLink(e.userID, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.ms.Add(bot.AdminLinkTTL.Milliseconds())
		b.do(t, "GET", late, nil).want(t, http.StatusUnauthorized)
	})
}

func TestAdminSessionEnds(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		// Logout ends the session on the server, not only in the browser.
		b, csrf := openAdmin(t, e)
		res := b.do(t, "POST", "/admin/logout", url.Values{"csrf": {csrf}}).want(t, http.StatusOK)
		if c := res.header.Get("Set-Cookie"); !strings.Contains(c, "Max-Age=0") {
			t.Errorf("logout Set-Cookie %q, want the cookie cleared", c)
		}
		b.do(t, "GET", "/admin", nil).want(t, http.StatusUnauthorized)

		// Idle for AdminSessionIdle: ended.
		b, _ = openAdmin(t, e)
		e.ms.Add((bot.AdminSessionIdle - time.Minute).Milliseconds())
		b.do(t, "GET", "/admin", nil).want(t, http.StatusOK)
		e.ms.Add(bot.AdminSessionIdle.Milliseconds())
		b.do(t, "GET", "/admin", nil).want(t, http.StatusUnauthorized)

		// Used all along: ended at AdminSessionMax all the same.
		b, _ = openAdmin(t, e)
		for elapsed := time.Duration(0); elapsed+4*time.Hour < bot.AdminSessionMax; elapsed += 4 * time.Hour {
			e.ms.Add((4 * time.Hour).Milliseconds())
			b.do(t, "GET", "/admin", nil).want(t, http.StatusOK)
		}
		e.ms.Add((4 * time.Hour).Milliseconds())
		res = b.do(t, "GET", "/admin", nil).want(t, http.StatusUnauthorized)
		if !strings.Contains(string(res.body), "new link") {
			t.Errorf("the page of an ended session does not say to get a new link:\n%s", res.body)
		}

		// No cookie, or an unknown one.
		(&adminBrowser{e: e}).do(t, "GET", "/admin", nil).want(t, http.StatusUnauthorized)
		(&adminBrowser{e: e, cookie: &http.Cookie{Name: "playbooks_admin", Value: "pbs_forged"}}).do(t, "GET", "/admin", nil).
			want(t, http.StatusUnauthorized)
	})
}

// wantAudit fails t unless the audit log of subject id has an event of
// action made on the admin page, by the signed-in admin, from the test's
// address.
func wantAudit(t *testing.T, e *linkEnv, id, action string) {
	t.Helper()
	events, _, err := e.svc.ListAudit(context.Background(), bot.Actor{Admin: true}, bot.AuditFilter{SubjectID: id, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Action == action {
			if ev.Via != bot.ViaAdminPage || ev.Address != "127.0.0.1" || ev.ActorUserID != e.userID {
				t.Errorf("audit %s of %s: got %+v, want via %s from 127.0.0.1 by %s", action, id, ev, bot.ViaAdminPage, e.userID)
			}
			return
		}
	}
	t.Errorf("no audit event %s of %s in %+v", action, id, events)
}

func TestAdminPageClients(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		b, csrf := openAdmin(t, e)
		user := bot.NewID()
		res := b.do(t, "POST", "/admin/clients", url.Values{"csrf": {csrf}, "name": {"pager"}, "scope": {"read"},
			"user_id": {user}, "team_ids": {e.teamID}}).want(t, http.StatusOK)
		m := regexp.MustCompile(`pbc_[0-9a-f]+`).Find(res.body)
		if m == nil {
			t.Fatalf("the result page shows no client secret:\n%s", res.body)
		}
		secret := string(m)
		clients, err := e.svc.ListClients(context.Background(), bot.Actor{Admin: true})
		if err != nil || len(clients) != 1 {
			t.Fatalf("got clients %+v, %v; want the one made", clients, err)
		}
		c := clients[0]
		if c.Name != "pager" || c.Scope != bot.ScopeRead || c.UserID != user || c.CreatedBy != e.userID {
			t.Errorf("client %+v: want pager, read, for %s, created by %s", c, user, e.userID)
		}
		if !strings.Contains(string(res.body), c.ID) {
			t.Errorf("the result page does not name the client ID %s", c.ID)
		}
		wantAudit(t, e, c.ID, bot.AuditClientCreate)

		page := b.do(t, "GET", "/admin", nil).want(t, http.StatusOK)
		if !strings.Contains(string(page.body), `id="client-`+c.ID+`"`) || strings.Contains(string(page.body), secret) {
			t.Errorf("the admin page should list client %s without its secret:\n%s", c.ID, page.body)
		}

		// Bad input: the form comes back with a message, nothing made.
		res = b.do(t, "POST", "/admin/clients", url.Values{"csrf": {csrf}, "name": {"x"}, "scope": {"admin"},
			"user_id": {user}, "team_ids": {e.teamID}}).want(t, http.StatusBadRequest)
		if !strings.Contains(string(res.body), `id="form-error"`) {
			t.Errorf("a refused client form shows no error:\n%s", res.body)
		}
		// Forged: refused.
		b.do(t, "POST", "/admin/clients/"+c.ID+"/revoke", url.Values{"csrf": {"nope"}}).want(t, http.StatusForbidden)
		if clients, _ := e.svc.ListClients(context.Background(), bot.Actor{Admin: true}); len(clients) != 1 || clients[0].RevokeAt != 0 {
			t.Fatalf("after a refused and a forged form: got clients %+v, want the one, unrevoked", clients)
		}

		confirm := b.do(t, "GET", "/admin/clients/"+c.ID+"/revoke", nil).want(t, http.StatusOK)
		if !strings.Contains(string(confirm.body), `action="/admin/clients/`+c.ID+`/revoke"`) {
			t.Fatalf("the confirmation page has no form to revoke client %s:\n%s", c.ID, confirm.body)
		}
		b.do(t, "POST", "/admin/clients/"+c.ID+"/revoke", url.Values{"csrf": {csrf}}).want(t, http.StatusSeeOther)
		if clients, _ := e.svc.ListClients(context.Background(), bot.Actor{Admin: true}); len(clients) != 1 || clients[0].RevokeAt == 0 {
			t.Errorf("after revoking: got clients %+v, want it revoked", clients)
		}
		wantAudit(t, e, c.ID, bot.AuditClientRevoke)
		b.do(t, "GET", "/admin/clients/"+bot.NewID()+"/revoke", nil).want(t, http.StatusNotFound)

		// The page's audit log shows what was done.
		page = b.do(t, "GET", "/admin", nil).want(t, http.StatusOK)
		for _, want := range []string{bot.AuditClientCreate, bot.AuditClientRevoke, bot.ViaAdminPage} {
			if !strings.Contains(string(page.body), want) {
				t.Errorf("the page's audit log lacks %q", want)
			}
		}
	})
}

// TestAdminPageThrottled: bad links and unknown sessions count as failed
// authentications of the address, which then gets 429 before anything is
// checked, as on the REST API.
func TestAdminPageThrottled(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	srv := httptest.NewUnstartedServer(nil)
	root := "http://" + srv.Listener.Addr().String()
	svc := bot.NewService(bot.Config{Store: db, PublicURL: root, LinkSecret: []byte("0123456789abcdef0123456789abcdef")})
	srv.Config.Handler = api.New(api.Config{Service: svc, Logger: slog.New(slog.DiscardHandler), AuthThrottle: api.AuthThrottle{Failures: 2, Window: time.Hour}})
	srv.Start()
	t.Cleanup(srv.Close)
	b := &adminBrowser{e: &linkEnv{env: &env{client: srv.Client()}, root: root}}

	b.do(t, "GET", bot.AdminLinkPath+"?user=x&exp=1&n=x&sig=AAAA", nil).want(t, http.StatusUnauthorized)
	b.cookie = &http.Cookie{Name: "playbooks_admin", Value: "pbs_guess"}
	b.do(t, "GET", "/admin", nil).want(t, http.StatusUnauthorized)
	b.cookie = nil
	link, err := svc.AdminLink(bot.NewID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	res := b.do(t, "GET", link, nil).want(t, http.StatusTooManyRequests)
	if res.header.Get("Retry-After") == "" || res.header.Get("Set-Cookie") != "" {
		t.Errorf("429: got headers %v, want Retry-After and no cookie", res.header)
	}
}
