package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/browsertest"
)

// TestAPIDocsInChromium opens GET /api-docs, the whole server running, in
// headless Chromium with the Network domain on, and checks what a reader
// gets: every request the page makes stays on the server's origin (no
// CDN, font or telemetry) and breaks no rule of its Content-Security-
// Policy; the page lists every operation of the served OpenAPI document,
// by method, path and operationId; and "try it out" of GET /playbooks,
// driven through the UI (Authorize with a bearer token, Try it out, the
// team_id field, Execute), gets 200 from the server, with the token sent;
// and again with the OAuth2 client credentials flow (client id, secret and
// scope typed in Authorize: the page posts to /oauth/token and sends the
// access token it gets). A screenshot is kept in artifacts/api-docs.png.
func TestAPIDocsInChromium(t *testing.T) {
	bin := browsertest.Chromium(t, "the API docs page")
	admin := "docs-admin-secret-0123456789"
	srv := startServer(t, map[string]string{
		"PLAYBOOKS_DATABASE_URL": testDatabaseURLs(t)["sqlite"],
		"PLAYBOOKS_ADMIN_TOKEN":  admin,
	})
	base := srv.URL + api.BasePath
	team, user := bot.NewID(), bot.NewID()
	if code := call(t, "POST", base+"/playbooks", admin, map[string]any{
		"title": "Docs playbook", "team_id": team, "create_public_playbook_run": false, "member_ids": []string{user},
		"checklists": []any{map[string]any{"title": "Triage", "items": []any{map[string]any{"title": "Page the on-call"}}}},
	}, nil); code != 201 {
		t.Fatalf("create playbook: %d", code)
	}

	var client struct {
		ID     string `json:"id"`
		Secret string `json:"client_secret"`
	}
	if code := call(t, "POST", base+"/admin/clients", admin, map[string]any{
		"name": "docs reader", "scope": "read", "user_id": user, "team_ids": []string{team},
	}, &client); code != 201 {
		t.Fatalf("create OAuth2 client: %d", code)
	}

	// The operations of the document the server serves.
	want := documentOperations(t, base+"/openapi.json")
	if len(want) == 0 {
		t.Fatal("the served document has no operation")
	}

	b := startChromium(t, bin)
	b.call("Network.enable", nil, nil)
	b.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `window.__csp = [];
		document.addEventListener('securitypolicyviolation',
			e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))`}, nil)
	var nav struct{ ErrorText string }
	b.call("Page.navigate", map[string]any{"url": srv.URL + api.DocsPath}, &nav)
	if nav.ErrorText != "" {
		t.Fatalf("navigate to %s: %s", api.DocsPath, nav.ErrorText)
	}
	// Rendered when the operations of the last tag are: the document
	// loads asynchronously. No deadline but the browser's own.
	b.await(`/Failed to load API definition/.test(document.body.innerText) ||
		(document.querySelectorAll('.opblock').length >= ` + fmt.Sprint(len(want)) + ` && document.querySelector('.btn.authorize'))`)
	if e := b.eval(`document.body.innerText`); strings.Contains(e, "Failed to load API definition") {
		t.Fatalf("the page says:\n%s", e)
	}

	// Every operation of the document is listed, and nothing else.
	var got []string
	if err := json.Unmarshal([]byte(b.eval(`JSON.stringify([...document.querySelectorAll('.opblock')].map(o =>
		o.querySelector('.opblock-summary-method').textContent.trim().toUpperCase() + ' ' +
		o.querySelector('.opblock-summary-path').getAttribute('data-path') + ' ' +
		(o.querySelector('.opblock-summary-operation-id') || {textContent: ''}).textContent.trim()))`)), &got); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	got = slices.Compact(got) // an operation of two tags is listed under each
	if !slices.Equal(got, want) {
		t.Errorf("the page lists %d operations, the document has %d:\nonly on the page: %v\nonly in the document: %v",
			len(got), len(want), minus(got, want), minus(want, got))
	}

	// Authorize with the bearer token, through the dialog's field.
	b.eval(`document.querySelector('.btn.authorize').click()`)
	b.await(`[...document.querySelectorAll('.auth-container')].find(c => /BearerAuth/.test(c.textContent) && c.querySelector('input'))`)
	b.eval(`(() => {
		const c = [...document.querySelectorAll('.auth-container')].find(c => /BearerAuth/.test(c.textContent));
		setField(c.querySelector('input'), ` + jsString(admin) + `);
		c.querySelector('button.authorize').click();
	})()`)
	b.await(`[...document.querySelectorAll('.auth-container')].some(c => /BearerAuth/.test(c.textContent) && /Logout/.test(c.textContent))`)
	b.eval(`document.querySelector('.btn-done, .modal-ux .close-modal').click()`)

	// Try GET /playbooks out: open it, Try it out, team_id, Execute.
	op := `document.querySelector('.opblock[id$="-getPlaybooks"]')`
	b.eval(op + `.querySelector('.opblock-summary-control').click()`)
	b.await(op + `.querySelector('.try-out__btn')`)
	b.eval(op + `.querySelector('.try-out__btn').click()`)
	b.await(op + `.querySelector('tr[data-param-name="team_id"] input') && ` + op + `.querySelector('.execute')`)
	// The fields start with the document's examples: page 3 would be
	// empty.
	b.eval(`setField(` + op + `.querySelector('tr[data-param-name="team_id"] input'), ` + jsString(team) + `);
		setField(` + op + `.querySelector('tr[data-param-name="page"] input'), '0')`)
	// The fields hand their value on debounced: Execute once Swagger UI
	// holds both.
	b.await(`(vs => vs.includes(` + jsString(team) + `) && vs.includes('0'))(ui.specSelectors.parameterValues(['` +
		api.BasePath + `/playbooks', 'get']).valueSeq().toArray())`)
	b.eval(op + `.querySelector('.execute').click()`)
	b.await(op + `.querySelector('.live-responses-table tr.response .response-col_status')`)
	status := b.eval(op + `.querySelector('.live-responses-table tr.response .response-col_status').textContent.trim()`)
	body := b.eval(op + `.querySelector('.live-responses-table tr.response .response-col_description').textContent`)
	if status != "200" || !strings.Contains(body, "Docs playbook") {
		t.Errorf("try it out of GET /playbooks: status %q, body %.300q; want 200 and the playbook", status, body)
	}

	// Again with the OAuth2 client credentials flow: log the bearer token
	// out, authorize the client (its id, secret and the read scope) and
	// The request just tried, as code to copy: curl, Go and Python, each
	// naming the method and the URL it called.
	for _, sample := range []struct{ tab, want string }{
		{"curl", "curl -X 'GET'"},
		{"Go", `http.NewRequest("GET", "` + srv.URL + api.BasePath + `/playbooks?`},
		{"Python", `urllib.request.Request(`},
	} {
		b.eval(`[...` + op + `.querySelectorAll('.request-snippets .btn, .request-snippets [class*=tab]')].find(e => e.textContent.trim() == ` + jsString(sample.tab) + `)?.click()`)
		b.await(`(` + op + `.querySelector('.request-snippets .curl, .request-snippets pre')?.textContent || '').includes(` + jsString(sample.want) + `)`)
		code := b.eval(op + `.querySelector('.request-snippets .curl, .request-snippets pre').textContent`)
		if !strings.Contains(code, "team_id="+team) {
			t.Errorf("the %s sample does not call GET /playbooks for team %s:\n%s", sample.tab, team, code)
		}
	}

	// Execute: Swagger UI gets a token from /oauth/token and sends it.
	b.eval(`document.querySelector('.btn.authorize').click()`)
	b.await(`[...document.querySelectorAll('.auth-container')].find(c => /OAuth2ClientCredentials/.test(c.textContent) && c.querySelector('#client_secret_clientCredentials'))`)
	b.eval(`(() => {
		const cs = [...document.querySelectorAll('.auth-container')];
		[...cs.find(c => /BearerAuth/.test(c.textContent)).querySelectorAll('button')].find(b => b.textContent == 'Logout').click();
		const c = cs.find(c => /OAuth2ClientCredentials/.test(c.textContent));
		setField(c.querySelector('#client_id_clientCredentials'), ` + jsString(client.ID) + `);
		setField(c.querySelector('#client_secret_clientCredentials'), ` + jsString(client.Secret) + `);
		const read = [...c.querySelectorAll('input[type=checkbox]')].find(i => i.dataset.value == 'read');
		if (!read.checked) read.click();
		c.querySelector('button.authorize').click();
	})()`)
	b.await(`[...document.querySelectorAll('.auth-container')].some(c => /OAuth2ClientCredentials/.test(c.textContent) &&
		(/Logout/.test(c.textContent) || c.querySelector('.errors')))`)
	if e := b.eval(`[...document.querySelectorAll('.auth-container')].find(c => /OAuth2ClientCredentials/.test(c.textContent)).querySelector('.errors')?.textContent`); e != "" {
		t.Fatalf("OAuth2 client credentials in Authorize: %s", e)
	}
	b.eval(`document.querySelector('.btn-done, .modal-ux .close-modal').click()`)
	before := b.eval(op + `.querySelector('.live-responses-table tr.response .response-col_description').textContent`)
	b.eval(op + `.querySelector('.execute').click()`)
	b.await(op + `.querySelector('.live-responses-table tr.response .response-col_description')?.textContent != ` + jsString(before))
	status = b.eval(op + `.querySelector('.live-responses-table tr.response .response-col_status').textContent.trim()`)
	body = b.eval(op + `.querySelector('.live-responses-table tr.response .response-col_description').textContent`)
	if status != "200" || !strings.Contains(body, "Docs playbook") {
		t.Errorf("try it out of GET /playbooks with the OAuth2 client: status %q, body %.300q; want 200 and the playbook", status, body)
	}

	// The requests the page made, as the Network domain saw them.
	sentToken, sentOAuth, askedToken := false, false, false
	for _, r := range b.requests() {
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "data" && u.Scheme+"://"+u.Host != srv.URL) {
			t.Errorf("the page requested %s, off the server's origin %s", r.URL, srv.URL)
		}
		if strings.HasPrefix(r.URL, base+"/playbooks?") && strings.Contains(r.URL, "team_id="+team) {
			auth := r.Headers["Authorization"]
			sentToken = sentToken || auth == "Bearer "+admin
			sentOAuth = sentOAuth || strings.HasPrefix(auth, "Bearer ") && auth != "Bearer "+admin
		}
		askedToken = askedToken || r.URL == srv.URL+api.TokenPath && r.Method == "POST"
	}
	if !sentToken || !askedToken || !sentOAuth {
		t.Errorf("requests of GET /playbooks with the bearer token typed in Authorize: %v; POST %s: %v; GET /playbooks with another bearer token (the OAuth2 one): %v",
			sentToken, api.TokenPath, askedToken, sentOAuth)
	}
	if v := b.eval(`window.__csp.join('\n')`); v != "" {
		t.Errorf("the page broke its Content-Security-Policy:\n%s", v)
	}
	t.Logf("screenshot of the API docs page: %s", browsertest.SaveArtifact(t, "api-docs.png", b.screenshot()))
}

// documentOperations returns "METHOD path operationId" of every operation
// of the OpenAPI document at u, sorted.
func documentOperations(t *testing.T, u string) []string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	var ops []string
	for path, item := range doc.Paths {
		for method, raw := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
			default:
				continue // parameters, summary, servers...
			}
			var op struct{ OperationID string }
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			ops = append(ops, strings.ToUpper(method)+" "+path+" "+op.OperationID)
		}
	}
	slices.Sort(ops)
	return ops
}

// minus returns the elements of a not in b.
func minus(a, b []string) []string {
	var d []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			d = append(d, s)
		}
	}
	return d
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// await waits until the JavaScript expression cond is truthy in the page,
// checking every 20ms (a poll, not a deadline). There is no deadline of its own:
// the browser is killed after two minutes, which fails the wait. It also
// defines setField(input, value), which types into a React input as a
// person would (React ignores a bare .value =).
func (b *browser) await(cond string) {
	b.t.Helper()
	expr := `window.setField = (el, v) => {
		Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, v);
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
	};
	new Promise(ok => { const check = () => { try { if (` + cond + `) return ok(true) } catch (e) {} setTimeout(check, 20) }; check() })`
	var res struct {
		ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		b.t.Fatalf("waiting for %s: %s", cond, res.ExceptionDetails.Text)
	}
}

// request is one request the page made, from Network.requestWillBeSent.
type request struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
}

// requests returns the requests of the Network events read so far.
func (b *browser) requests() []request {
	b.t.Helper()
	b.eval(`""`) // read what came before
	var rs []request
	for _, e := range b.events {
		if e.Method != "Network.requestWillBeSent" {
			continue
		}
		var p struct{ Request request }
		if err := json.Unmarshal(e.Params, &p); err != nil {
			b.t.Fatal(err)
		}
		rs = append(rs, p.Request)
	}
	return rs
}
