package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/browsertest"
)

// TestAdminPageInChromium drives the admin page in headless Chromium, the
// whole server running: `playbooks admin link` prints a link; the browser
// opens it, generates a token for a user, sees it listed without its
// secret; the token works once over REST; the browser revokes it, through
// the confirmation step; REST refuses it. A screenshot of the page is kept
// in artifacts/, as the details page's browser test does.
func TestAdminPageInChromium(t *testing.T) {
	bin := browsertest.Chromium(t, "the admin page")
	ctx := context.Background()

	// The public URL must be the server's own address: pick a free port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"PLAYBOOKS_DATABASE_URL": testDatabaseURLs(t)["sqlite"],
		"PLAYBOOKS_LISTEN":       addr,
		"PLAYBOOKS_PUBLIC_URL":   "http://" + addr,
		"PLAYBOOKS_SECRET":       "browser-test-secret-0123456789abcdef",
	}
	srv := startServer(t, env)
	getenv := func(k string) string { return env[k] }

	adminID, user, team := bot.NewID(), bot.NewID(), bot.NewID()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"admin", "link", "--user", adminID}, getenv, &out, &errOut); err != nil {
		t.Fatalf("admin link: %v\n%s", err, errOut.String())
	}
	link, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(link, srv.URL+bot.AdminLinkPath+"?") {
		t.Fatalf("admin link printed %q, want a link to %s%s", out.String(), srv.URL, bot.AdminLinkPath)
	}

	b := startChromium(t, bin)
	b.navigate(link)
	if got := b.eval(`location.pathname + location.search`); got != "/admin" {
		t.Errorf("after the link the browser is at %q, want /admin without the signature", got)
	}
	if got := b.eval(`document.cookie`); got != "" {
		t.Errorf("page scripts read the cookie %q: want it HttpOnly", got)
	}

	// Generate a token for user.
	b.act(fmt.Sprintf(`document.getElementById('token_user_id').value = %q;
		document.getElementById('token_team_ids').value = %q;
		document.querySelector('#create-token button[type=submit]').click()`, user, team))
	secret := b.eval(`(document.getElementById('secret') || {}).textContent || location.href + ' ' + document.body.innerText`)
	if !strings.HasPrefix(secret, "pbk_") {
		t.Fatalf("the result page shows secret %q, want a pbk_ token:\n%s", secret, b.eval(`document.body.innerText`))
	}
	b.act(`document.getElementById('back').click()`)
	page := b.eval(`document.body.innerText`)
	tokenID := strings.TrimPrefix(b.eval(`document.querySelector('#user-`+user+` tr.token').id`), "token-")
	if !strings.Contains(page, user) || tokenID == "" || !strings.Contains(page, team) {
		t.Fatalf("the admin page does not list the token of %s for team %s:\n%s", user, team, page)
	}
	if html := b.eval(`document.documentElement.outerHTML`); strings.Contains(html, secret) {
		t.Errorf("the admin page shows the token's secret")
	}

	// The token works over REST.
	api := srv.URL + "/plugins/playbooks/api/v0/playbooks?team_id=" + team
	if code := call(t, "GET", api, secret, nil, nil); code != 200 {
		t.Fatalf("REST with the new token: got %d, want 200", code)
	}

	// Revoke it: the link leads to a confirmation, the button revokes.
	b.act(`document.querySelector('#token-` + tokenID + ` a.revoke').click()`)
	if got := b.eval(`document.querySelector('h1').textContent`); !strings.Contains(got, "Revoke") || !strings.Contains(got, tokenID) {
		t.Fatalf("the confirmation page says %q, want it to ask to revoke %s", got, tokenID)
	}
	if code := call(t, "GET", api, secret, nil, nil); code != 200 {
		t.Fatalf("the confirmation page alone revoked the token: got %d, want 200", code)
	}
	b.act(`document.getElementById('confirm-revoke').click()`)
	if got := b.eval(`location.pathname`); got != "/admin" {
		t.Errorf("after revoking the browser is at %q, want /admin", got)
	}
	if got := b.eval(`document.querySelector('#token-` + tokenID + `').className`); !strings.Contains(got, "ended") {
		t.Errorf("the revoked token's row has class %q, want ended", got)
	}
	if code := call(t, "GET", api, secret, nil, nil); code != 401 {
		t.Errorf("REST with the revoked token: got %d, want 401", code)
	}

	t.Logf("screenshot of the admin page: %s", browsertest.SaveArtifact(t, "admin-page.png", b.screenshot()))
}

// browser is headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: commands in on fd 3, answers out on fd 4, each
// a JSON message ended by a NUL byte), so the test needs no websocket
// library and no port.
type browser struct {
	t       *testing.T
	in      io.Writer
	out     *bufio.Reader
	next    int
	session string
	events  []cdpMessage // events read while waiting for an answer
}

// cdpMessage is a DevTools message: an answer (ID) or an event (Method).
type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"` // an event's
	Result    json.RawMessage `json:"result"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId"`
}

// startChromium starts headless Chromium on about:blank and attaches to its
// page. It is killed when the test ends, or after two minutes, which ends
// any wait on it with an error rather than a hang.
func startChromium(t *testing.T, bin string) *browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmdIn, toChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChrome, cmdOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append(browsertest.Flags(t.TempDir(), "1000,1200"), "--remote-debugging-pipe", "about:blank")...)
	cmd.ExtraFiles = []*os.File{cmdIn, cmdOut} // fd 3 and fd 4
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	cmdIn.Close()
	cmdOut.Close()
	t.Cleanup(func() {
		toChrome.Close()
		cancel()
		_ = cmd.Wait()
		fromChrome.Close()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})
	b := &browser{t: t, in: toChrome, out: bufio.NewReader(fromChrome)}
	var targets struct {
		TargetInfos []struct{ TargetID, Type string } `json:"targetInfos"`
	}
	b.call("Target.getTargets", nil, &targets)
	var page string
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			page = ti.TargetID
		}
	}
	if page == "" {
		t.Fatalf("chromium has no page: %+v", targets)
	}
	var attached struct{ SessionID string }
	b.call("Target.attachToTarget", map[string]any{"targetId": page, "flatten": true}, &attached)
	b.session = attached.SessionID
	b.call("Page.enable", nil, nil)
	b.call("Runtime.enable", nil, nil)
	return b
}

// call sends a command to the page (to the browser before attaching) and
// decodes its answer into result, keeping the events read meanwhile.
func (b *browser) call(method string, params, result any) {
	b.t.Helper()
	b.next++
	msg := map[string]any{"id": b.next, "method": method, "params": params}
	if params == nil {
		msg["params"] = map[string]any{}
	}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	for {
		m := b.read(method)
		if m.ID != b.next {
			if m.Method != "" {
				b.events = append(b.events, m)
			}
			continue
		}
		if m.Error != nil {
			b.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				b.t.Fatalf("%s: decode %s: %v", method, m.Result, err)
			}
		}
		return
	}
}

// read reads one message; Chromium gone is fatal.
func (b *browser) read(waitingFor string) cdpMessage {
	b.t.Helper()
	data, err := b.out.ReadBytes(0)
	if err != nil {
		b.t.Fatalf("waiting for %s: chromium is gone: %v", waitingFor, err)
	}
	var m cdpMessage
	if err := json.Unmarshal(data[:len(data)-1], &m); err != nil {
		b.t.Fatalf("waiting for %s: decode %q: %v", waitingFor, data, err)
	}
	return m
}

// waitLoad waits for the page's next load event since the events were
// last cleared.
func (b *browser) waitLoad() {
	b.t.Helper()
	for {
		for i, e := range b.events {
			if e.Method == "Page.loadEventFired" && e.SessionID == b.session {
				b.events = b.events[i+1:]
				return
			}
		}
		b.events = nil
		if m := b.read("Page.loadEventFired"); m.Method != "" {
			b.events = append(b.events, m)
		}
	}
}

// navigate opens url and waits until it has loaded.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.events = nil
	var nav struct{ ErrorText string }
	b.call("Page.navigate", map[string]any{"url": url}, &nav)
	if nav.ErrorText != "" {
		b.t.Fatalf("navigate to %s: %s", url, nav.ErrorText)
	}
	b.waitLoad()
}

// act runs a script that leads to another page (a click, a form sent) and
// waits until that page has loaded.
func (b *browser) act(script string) {
	b.t.Helper()
	b.events = nil
	b.eval(script + `; ""`)
	b.waitLoad()
}

// eval evaluates a JavaScript expression in the page and returns its value
// as a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
	if e := res.ExceptionDetails; e != nil {
		b.t.Fatalf("evaluate %s: %s %s", expr, e.Text, e.Exception.Description)
	}
	if res.Result.Value == nil {
		return ""
	}
	return fmt.Sprint(res.Result.Value)
}

// screenshot returns a PNG of the whole page.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	var shot struct{ Data string }
	b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		b.t.Fatalf("screenshot is not a PNG (%d bytes): %v", len(png), err)
	}
	return png
}
