package api_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
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
		res := b.do(t, "POST", "/admin/tokens", url.Values{"csrf": {csrf}, "user_id": {user}, "team_ids": {e.teamID}}).
			want(t, http.StatusOK)
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
		if n := len(activeTokens(t, e, user)); n != 1 {
			t.Errorf("after a refused form: got %d tokens, want 1", n)
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
		for _, tc := range []struct {
			name   string
			csrf   string
			header http.Header
		}{
			{name: "no CSRF token"},
			{name: "wrong CSRF token", csrf: csrf[:len(csrf)-1] + "x"},
			{name: "another session's token", csrf: "0" + csrf[1:]},
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
