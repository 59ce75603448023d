package api_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// registeredOperations returns "METHOD path" of every route the server
// registers with methods, HEAD left out where GET is there too.
func registeredOperations(t *testing.T) map[string]bool {
	t.Helper()
	routes, err := api.RegisteredRoutes()
	if err != nil {
		t.Fatalf("walk the routes: %v", err)
	}
	ops := map[string]bool{}
	for _, rt := range routes {
		for _, m := range rt.Methods {
			if m == http.MethodHead && slices.Contains(rt.Methods, http.MethodGet) {
				continue
			}
			ops[m+" "+rt.Path] = true
		}
	}
	return ops
}

// htmlPages are the routes the router registers that are pages for a
// browser, not API operations, and so are not in openapi.yaml: the details
// page and the admin page (HTML forms behind a session cookie and CSRF
// token). A prefix ending in "/" also covers what is under it.
var htmlPages = []string{
	"/runs/{id}", "/admin", "/admin/open", "/admin/logout", "/admin/tokens", "/admin/tokens/{id}/revoke",
	"/admin/clients", "/admin/clients/{id}/revoke",
}

// htmlPrefixes are the pages of other branches of issue 14, excluded ahead
// of their merge: the interactive docs page and its assets.
var htmlPrefixes = []string{"/api-docs"}

// TestContractRoutes fails for a route the server registers that the
// document lacks, and for an operation of the document that no route
// serves (but the pending ones, built on another branch).
func TestContractRoutes(t *testing.T) {
	c := loadContract(t)
	inDoc := map[string]bool{}
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			inDoc[method+" "+path] = true
		}
	}
	routes, err := api.RegisteredRoutes()
	if err != nil {
		t.Fatalf("walk the routes: %v", err)
	}
	registered := map[string]bool{}
	pagesSeen := map[string]bool{}
	for _, rt := range routes {
		if slices.Contains(htmlPages, rt.Path) {
			pagesSeen[rt.Path] = true
			continue
		}
		if slices.ContainsFunc(htmlPrefixes, func(p string) bool { return rt.Path == p || strings.HasPrefix(rt.Path, p+"/") }) {
			continue
		}
		if rt.Methods == nil { // every method: the document must have the path
			if c.doc.Paths.Value(rt.Path) == nil {
				t.Errorf("route %s (every method) is registered but api/openapi.yaml lacks the path", rt.Path)
			}
			for method := range c.doc.Paths.Value(rt.Path).Operations() {
				registered[method+" "+rt.Path] = true
			}
			continue
		}
		for _, m := range rt.Methods {
			if m == http.MethodHead && slices.Contains(rt.Methods, http.MethodGet) {
				continue // GET's, which HTTP gives every GET
			}
			registered[m+" "+rt.Path] = true
			if !inDoc[m+" "+rt.Path] {
				t.Errorf("route %s %s is registered but api/openapi.yaml has no operation for it", m, rt.Path)
			}
		}
	}
	for op := range inDoc {
		if registered[op] {
			continue
		}
		method, path, _ := strings.Cut(op, " ")
		id := c.doc.Paths.Value(path).GetOperation(method).OperationID
		if why, ok := pendingOperations[id]; ok {
			t.Logf("%s (%s) is in the document, not yet registered: %s", op, id, why)
			continue
		}
		t.Errorf("api/openapi.yaml has %s (%s) but the server registers no such route", op, id)
	}
	for _, p := range htmlPages {
		if !pagesSeen[p] {
			t.Errorf("HTML page %s is excluded from the document but no longer registered: drop it from htmlPages", p)
		}
	}
	if len(registered) < 40 {
		t.Errorf("got %d registered API operations, want the 40 and more that routes.go registers", len(registered))
	}
}

// contractExtensions drives the operations beyond v0: timeline export,
// details link, tokens, audit, OAuth2 clients and their token endpoint,
// the document itself, idempotency and the 401 of every operation.
func contractExtensions(t *testing.T, c *contract, e *env, pbID string) {
	run := e.createRun(t, pbID, "Extensions")
	rp := "/runs/" + run.ID
	c.do(t, e, step{method: "GET", path: rp + "/timeline", status: http.StatusOK})
	c.do(t, e, step{method: "GET", path: rp + "/timeline?format=markdown", status: http.StatusOK})
	if r := c.do(t, e, step{method: "GET", path: rp + "/timeline", header: http.Header{"Accept": {"text/csv"}}, status: http.StatusOK}); !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Errorf("exportTimeline with Accept text/csv: got Content-Type %q", r.header.Get("Content-Type"))
	}
	c.do(t, e, step{method: "GET", path: rp + "/timeline?format=pdf", status: http.StatusBadRequest, offSpec: true})
	var link bot.DetailsLink
	c.do(t, e, step{method: "GET", path: rp + "/details-link", status: http.StatusOK}).decode(t, &link)
	if !link.Signed || link.ExpiresAt == 0 {
		t.Errorf("getDetailsLink: got %+v, want a signed link", link)
	}
	c.do(t, e, step{method: "GET", path: rp, token: "not-a-token", status: http.StatusUnauthorized})

	admin, _, err := e.svc.CreateToken(context.Background(), bot.NewID(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	contractTokens(t, c, e, admin)
	contractClients(t, c, e, admin, run.ID)
	contractIdempotency(t, c, e, pbID)
	contractDocument(t, c, e)
	if registeredOperations(t)["GET "+api.BasePath+"/tasks"] {
		contractTasks(t, c, e, run.ID)
	}
}

// contractTokens drives the API tokens and the audit log.
func contractTokens(t *testing.T, c *contract, e *env, admin string) {
	body := map[string]any{"user_id": e.userID, "team_ids": []string{e.teamID}, "name": "contract", "expires_in": 3600}
	c.do(t, e, step{method: "POST", path: "/admin/tokens", body: body, status: http.StatusForbidden})
	var issued struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	c.do(t, e, step{method: "POST", path: "/admin/tokens", token: admin, body: body, status: http.StatusCreated}).decode(t, &issued)
	if issued.ID == "" || issued.Token == "" {
		t.Fatalf("issueToken: got %+v, want an ID and a secret", issued)
	}
	var list []bot.Token
	c.do(t, e, step{method: "GET", path: "/admin/tokens?user_id=" + e.userID, token: admin, status: http.StatusOK}).decode(t, &list)
	if len(list) != 2 {
		t.Errorf("listTokens: got %d tokens, want e's and the issued one", len(list))
	}
	c.do(t, e, step{method: "GET", path: "/tokens/me", token: issued.Token, status: http.StatusOK}).decode(t, &list)
	if len(list) != 2 {
		t.Errorf("listMyTokens: got %d tokens, want 2", len(list))
	}
	c.do(t, e, step{method: "DELETE", path: "/tokens/me/" + bot.NewID(), status: http.StatusNotFound})
	wantEmpty(t, c.do(t, e, step{method: "DELETE", path: "/tokens/me/" + issued.ID, status: http.StatusNoContent}))
	wantEmpty(t, c.do(t, e, step{method: "DELETE", path: "/admin/tokens/" + issued.ID, token: admin, status: http.StatusNoContent}))
	var audit struct {
		TotalCount int              `json:"total_count"`
		Items      []bot.AuditEvent `json:"items"`
	}
	c.do(t, e, step{method: "GET", path: "/admin/audit?since=0&subject_id=" + issued.ID + "&page=0&per_page=10", token: admin, status: http.StatusOK}).decode(t, &audit)
	if audit.TotalCount < 2 {
		t.Errorf("listAudit: got %d events of the token, want its issue and revocation", audit.TotalCount)
	}
}

// contractClients drives the OAuth2 clients and POST /oauth/token, and
// reads a run with the access token.
func contractClients(t *testing.T, c *contract, e *env, admin, runID string) {
	var client struct {
		ID     string `json:"id"`
		Secret string `json:"client_secret"`
	}
	c.do(t, e, step{method: "POST", path: "/admin/clients", token: admin, status: http.StatusCreated, body: map[string]any{
		"name": "status page", "scope": "write", "user_id": e.userID, "team_ids": []string{e.teamID},
	}}).decode(t, &client)
	var clients []bot.Client
	c.do(t, e, step{method: "GET", path: "/admin/clients", token: admin, status: http.StatusOK}).decode(t, &clients)
	if len(clients) != 1 || clients[0].ID != client.ID {
		t.Errorf("listClients: got %+v, want %s", clients, client.ID)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(client.ID)+":"+url.QueryEscape(client.Secret)))
	form := "application/x-www-form-urlencoded"
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	c.do(t, e, step{method: "POST", path: api.TokenPath, root: true, token: "-", header: http.Header{"Authorization": {basic}},
		body: "grant_type=client_credentials&scope=read", contentType: form, status: http.StatusOK}).decode(t, &tok)
	if tok.AccessToken == "" || tok.Scope != "read" {
		t.Errorf("oauthToken: got %+v, want a read token", tok)
	}
	c.do(t, e, step{method: "POST", path: api.TokenPath, root: true, token: "-",
		body: "grant_type=client_credentials&client_id=" + client.ID + "&client_secret=wrong", contentType: form, status: http.StatusUnauthorized})
	c.do(t, e, step{method: "POST", path: api.TokenPath, root: true, token: "-", header: http.Header{"Authorization": {basic}},
		body: "grant_type=password", contentType: form, status: http.StatusBadRequest, offSpec: true})
	c.do(t, e, step{method: "GET", path: "/runs/" + runID, token: tok.AccessToken, status: http.StatusOK})
	c.do(t, e, step{method: "PUT", path: "/runs/" + runID + "/end", token: tok.AccessToken, status: http.StatusForbidden})
	wantEmpty(t, c.do(t, e, step{method: "DELETE", path: "/admin/clients/" + client.ID, token: admin, status: http.StatusNoContent}))
	c.do(t, e, step{method: "GET", path: "/runs/" + runID, token: tok.AccessToken, status: http.StatusUnauthorized})
}

// contractIdempotency drives the Idempotency-Key of POST /runs: a replay
// with Idempotent-Replayed, and 422 for the key reused with another body.
func contractIdempotency(t *testing.T, c *contract, e *env, pbID string) {
	key := http.Header{"Idempotency-Key": {"contract-" + e.kind}}
	body := map[string]any{"name": "Once", "owner_user_id": e.userID, "team_id": e.teamID, "playbook_id": pbID}
	first := c.do(t, e, step{method: "POST", path: "/runs", header: key, body: body, status: http.StatusCreated})
	again := c.do(t, e, step{method: "POST", path: "/runs", header: key, body: body, status: http.StatusCreated})
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
		t.Errorf("repeated createPlaybookRunFromPost: got Idempotent-Replayed %q, same body %v; want true, true",
			again.header.Get("Idempotent-Replayed"), string(again.body) == string(first.body))
	}
	body["name"] = "Twice"
	c.do(t, e, step{method: "POST", path: "/runs", header: key, body: body, status: http.StatusUnprocessableEntity})
}

// contractDocument fetches the document in both forms with no token.
func contractDocument(t *testing.T, c *contract, e *env) {
	for _, p := range []string{"/openapi.yaml", "/openapi.json"} {
		r := c.do(t, e, step{method: "GET", path: p, token: "-", status: http.StatusOK})
		c.do(t, e, step{method: "GET", path: p, token: "-", header: http.Header{"If-None-Match": {r.header.Get("ETag")}}, status: http.StatusNotModified})
	}
}

// contractTasks drives GET /tasks once the tasks branch registers it: an
// item assigned to the caller, with a due date, is listed with its run and
// indexes.
func contractTasks(t *testing.T, c *contract, e *env, runID string) {
	const due = int64(1767225600000) // 2026-01-01
	wantEmpty(t, c.do(t, e, step{method: "POST", path: "/runs/" + runID + "/checklists/0/add", status: http.StatusOK,
		body: map[string]any{"title": "Due task", "assignee_id": e.userID, "due_date": due}}))
	var page struct {
		TotalCount int  `json:"total_count"`
		PageCount  int  `json:"page_count"`
		HasMore    bool `json:"has_more"`
		Items      []struct {
			RunID          string         `json:"run_id"`
			ChecklistIndex int            `json:"checklist_index"`
			ItemIndex      int            `json:"item_index"`
			Item           map[string]any `json:"item"`
		} `json:"items"`
	}
	c.do(t, e, step{method: "GET", path: "/tasks?team_id=" + e.teamID + "&assignee_id=me&state=&state=in_progress&run_status=InProgress&due_after=0&sort=due_date&direction=asc&page=0&per_page=10",
		status: http.StatusOK}).decode(t, &page)
	found := false
	for _, it := range page.Items {
		if it.RunID == runID && it.Item["title"] == "Due task" {
			found = true
			if got, _ := it.Item["due_date"].(float64); int64(got) != due || it.ChecklistIndex != 0 {
				t.Errorf("listTasks: got item %+v in checklist %d, want due_date %d in checklist 0", it.Item, it.ChecklistIndex, due)
			}
		}
	}
	if !found {
		t.Errorf("listTasks: got %+v, want the item \"Due task\" of run %s", page, runID)
	}
}

// TestContractErrorAnswers validates the 429 and 503 answers the document
// declares on every operation: an address out of failed authentications
// (the throttle's clock stands still, so it earns nothing back), and a
// database taken away.
func TestContractErrorAnswers(t *testing.T) {
	t.Run("429", func(t *testing.T) {
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		e := newOAuthEnv(t, storetest.SQLite, api.AuthThrottle{Failures: 1, Window: time.Hour, Now: func() time.Time { return now }}).env
		c := loadContract(t)
		path := "/runs/" + bot.NewID()
		c.do(t, e, step{method: "GET", path: path, token: "not-a-token", status: http.StatusUnauthorized})
		r := c.do(t, e, step{method: "GET", path: path, token: "not-a-token", status: http.StatusTooManyRequests})
		if r.header.Get("Retry-After") == "" {
			t.Errorf("429: got no Retry-After")
		}
		c.do(t, e, step{method: "POST", path: api.TokenPath, root: true, token: "-", status: http.StatusTooManyRequests,
			body: "grant_type=client_credentials&client_id=x&client_secret=y", contentType: "application/x-www-form-urlencoded"})
	})
	t.Run("503", func(t *testing.T) {
		db, outage := storetest.OpenPostgresOutage(t)
		svc := bot.NewService(bot.Config{Store: db})
		srv := httptest.NewServer(api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(&syncBuffer{}, nil))}))
		t.Cleanup(srv.Close)
		e := &env{kind: storetest.Postgres, db: db, svc: svc, client: srv.Client(), base: srv.URL + api.BasePath,
			logs: &syncBuffer{}, userID: bot.NewID(), teamID: bot.NewID()}
		e.token = e.newToken(t, e.userID, e.teamID)
		c := loadContract(t)
		outage.Stop()
		c.do(t, e, step{method: "GET", path: "/playbooks?team_id=" + e.teamID, status: http.StatusServiceUnavailable})
		c.do(t, e, step{method: "POST", path: "/playbooks", body: e.playbookBody("During the outage"), status: http.StatusServiceUnavailable})
	})
}
