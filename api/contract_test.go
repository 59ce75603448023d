package api_test

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// contract validates requests and responses against the in-repo OpenAPI
// document (api/openapi.yaml, as the server embeds and serves it) and
// records which operations it has seen.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool
}

// init registers the one body decoder the validator lacks, once, before
// the parallel tests: exportTimeline's Markdown is text, read as
// text/plain is.
func init() {
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
}

// loadContract loads the document. v0 types default_owner_enabled as a
// string, a typo: the plugin sends and reads a boolean, so both are
// allowed here while the document keeps v0's text. Its paths carry the
// full prefix, so its server is dropped to match any host.
func loadContract(t *testing.T) *contract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	create := doc.Paths.Value(api.BasePath + "/playbooks").Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	create.Properties["default_owner_enabled"] = openapi3.NewSchemaRef("", &openapi3.Schema{OneOf: openapi3.SchemaRefs{
		openapi3.NewSchemaRef("", openapi3.NewBoolSchema()),
		openapi3.NewSchemaRef("", openapi3.NewStringSchema().WithEnum("true", "false")),
	}})
	doc.Servers = nil
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("validate api/openapi.yaml: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router for api/openapi.yaml: %v", err)
	}
	return &contract{doc: doc, router: router, seen: map[string]bool{}}
}

// step is one call of the contract test.
type step struct {
	method, path string // path under api.BasePath (from the host's root when root), query included
	root         bool
	body         any
	// contentType is the body's; application/json when empty.
	contentType string
	// token is the bearer token sent: e's when empty, none when "-".
	token  string
	header http.Header // more request headers
	status int
	// offSpec marks a request that breaks the document on purpose (a bad
	// input): only the response is validated.
	offSpec bool
}

// do makes the call of s, checks its status, and validates it against the
// document: the request unless offSpec, and the response when the
// operation declares its status; an undeclared error status must still
// carry the error body.
func (c *contract) do(t *testing.T, e *env, s step) response {
	t.Helper()
	name := s.method + " " + s.path
	url := e.base + s.path
	if s.root {
		url = strings.TrimSuffix(e.base, api.BasePath) + s.path
	}
	req, err := http.NewRequest(s.method, url, bytes.NewReader(encodeBody(t, s.body)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	switch s.token {
	case "":
		req.Header.Set("Authorization", "Bearer "+e.token)
	case "-":
	default:
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	if s.body != nil {
		req.Header.Set("Content-Type", cmp.Or(s.contentType, "application/json"))
	}
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("%s: read body: %v", name, err)
	}
	r := response{status: res.StatusCode, header: res.Header, body: b}
	if r.status != s.status {
		t.Fatalf("%s: got status %d, want %d; body: %s", name, r.status, s.status, r.body)
	}
	if r.status >= 400 && !s.root {
		r.wantError(t, r.status)
	}
	// The validator reads the request's body again.
	req.Body = io.NopCloser(bytes.NewReader(encodeBody(t, s.body)))
	req.URL.Scheme, req.URL.Host, req.Host = "http", "localhost", "localhost"
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: no operation in the document for it: %v", name, err)
	}
	c.seen[route.Operation.OperationID] = true
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if !s.offSpec {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s (%s): request breaks the document: %v", name, route.Operation.OperationID, err)
		}
	}
	if route.Operation.Responses.Status(r.status) == nil && route.Operation.Responses.Default() == nil {
		return r // checked above when an error; the caller checks a success
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header, Options: opts}
	out.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s (%s): response breaks the document: %v\nbody: %s", name, route.Operation.OperationID, err, r.body)
	}
	return r
}

// check validates a request and the response it got against the spec and
// returns what the validator said.
func (c *contract) check(req *http.Request, status int, body []byte) (reqErr, resErr error) {
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return err, nil
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr = openapi3filter.ValidateRequest(context.Background(), in)
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Options: opts,
		Header: http.Header{"Content-Type": {"application/json"}},
	}
	out.SetBodyBytes(body)
	return reqErr, openapi3filter.ValidateResponse(context.Background(), out)
}

// TestContractValidator checks the validator TestContract relies on is not
// vacuous: it rejects what breaks the spec.
func TestContractValidator(t *testing.T) {
	c := loadContract(t)
	id := bot.NewID()
	for _, tt := range []struct {
		name             string
		method, path     string
		reqBody          string
		status           int
		resBody          string
		wantReq, wantRes bool
	}{
		{name: "valid run", method: "GET", path: "/runs/" + id, status: 200, resBody: `{"id":"` + id + `","is_active":true}`},
		{name: "wrong type in response", method: "GET", path: "/runs/" + id, status: 200, resBody: `{"is_active":"yes"}`, wantRes: true},
		{name: "bad item state in response", method: "GET", path: "/runs/" + id, status: 200, resBody: `{"checklists":[{"items":[{"state":"done"}]}]}`, wantRes: true},
		{name: "undeclared status", method: "GET", path: "/runs/" + id, status: 418, resBody: `{"error":"x","details":"y"}`, wantRes: true},
		{name: "error body without details", method: "GET", path: "/runs/" + id, status: 403, resBody: `{"error":"x"}`, wantRes: true},
		{name: "missing required query", method: "GET", path: "/runs", status: 200, resBody: `{}`, wantReq: true},
		{name: "bad enum in query", method: "GET", path: "/playbooks?team_id=" + id + "&sort=bogus", status: 200, resBody: `{}`, wantReq: true},
		{name: "missing required body field", method: "POST", path: "/runs/" + id + "/owner", reqBody: `{}`, status: 200, wantReq: true},
		{name: "string default_owner_enabled", method: "POST", path: "/playbooks", status: 201, resBody: `{"id":"` + id + `"}`,
			reqBody: `{"title":"t","team_id":"` + id + `","create_public_playbook_run":true,"checklists":[],"member_ids":[],"default_owner_enabled":"true"}`},
		{name: "bool default_owner_enabled", method: "POST", path: "/playbooks", status: 201, resBody: `{"id":"` + id + `"}`,
			reqBody: `{"title":"t","team_id":"` + id + `","create_public_playbook_run":true,"checklists":[],"member_ids":[],"default_owner_enabled":false}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://localhost"+api.BasePath+tt.path, strings.NewReader(tt.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			if tt.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			reqErr, resErr := c.check(req, tt.status, []byte(tt.resBody))
			if got := reqErr != nil; got != tt.wantReq {
				t.Errorf("got request error %v, want an error: %v", reqErr, tt.wantReq)
			}
			if got := resErr != nil; got != tt.wantRes {
				t.Errorf("got response error %v, want an error: %v", resErr, tt.wantRes)
			}
		})
	}
}

// pendingOperations are the operations of the document whose routes are
// built on another branch: until the server registers them, they are
// expected and not driven; once it does, they must be driven like any
// other (TestContractRoutes checks the rest of the correspondence).
var pendingOperations = map[string]string{
	"listTasks": "GET /tasks, branch tasks (issue 14)",
}

// wantAllSeen fails t unless every operation of the document was
// validated, but the pending ones the server does not register yet.
func (c *contract) wantAllSeen(t *testing.T) {
	t.Helper()
	registered := registeredOperations(t)
	var missing []string
	n := 0
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			if c.seen[op.OperationID] {
				continue
			}
			if why, ok := pendingOperations[op.OperationID]; ok && !registered[method+" "+path] {
				t.Logf("operation %s not driven: the server does not register it yet (%s)", op.OperationID, why)
				continue
			}
			missing = append(missing, op.OperationID)
		}
	}
	if n < 31 {
		t.Errorf("got %d operations in the document, want v0's 31 and ours", n)
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("operations never driven: %v", missing)
	}
}

// wantEmpty fails t unless r has no body, as the spec's bodiless responses.
func wantEmpty(t *testing.T, r response) {
	t.Helper()
	if len(r.body) != 0 {
		t.Errorf("got body %q, want none", r.body)
	}
}

// wantLocation fails t unless r's Location is path under api.BasePath.
func wantLocation(t *testing.T, r response, path string) {
	t.Helper()
	if got, want := r.header.Get("Location"), api.BasePath+path; got != want {
		t.Errorf("got Location %q, want %q", got, want)
	}
}

// ignoreGenerated ignores what the server generates when comparing a
// playbook with what was sent.
var ignoreGenerated = gocmp.Options{
	cmpopts.IgnoreFields(bot.Playbook{}, "ID", "CreateAt", "UpdateAt"),
	cmpopts.IgnoreFields(bot.Checklist{}, "ID"),
	cmpopts.IgnoreFields(bot.ChecklistItem{}, "ID"),
}

// TestContract drives every operation of the in-repo document against a
// server over each kind of store, validating each request and response.
// The server knows its public URL and has a link secret, so that
// getDetailsLink answers its 200.
func TestContract(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newLinkEnv(t, kind).env
			c := loadContract(t)
			pbID := contractPlaybooks(t, c, e)
			contractRuns(t, c, e, pbID)
			contractExtensions(t, c, e, pbID)
			contractArchive(t, c, e, pbID)
			c.wantAllSeen(t)
		})
	}
}

// contractPlaybooks drives the playbook operations and returns the ID of a
// playbook whose default owner is enabled.
func contractPlaybooks(t *testing.T, c *contract, e *env) string {
	owner, invited := bot.NewID(), bot.NewID()
	body := e.playbookBody("Cloud outage")
	for k, v := range map[string]any{
		"public": true, "broadcast_channel_ids": []string{bot.NewID()},
		"invited_user_ids": []string{invited}, "invite_users_enabled": true,
		"default_owner_id": owner, "default_owner_enabled": "true", // the spec's string form
		"announcement_channel_id": bot.NewID(), "announcement_channel_enabled": true,
		"webhook_on_creation_url": "https://example.com/created", "webhook_on_creation_enabled": true,
		"webhook_on_status_update_url": "http://example.com/status", "webhook_on_status_update_enabled": true,
	} {
		body[k] = v
	}
	r := c.do(t, e, step{method: "POST", path: "/playbooks", body: body, status: http.StatusCreated})
	var created struct{ ID string }
	r.decode(t, &created)
	wantLocation(t, r, "/playbooks/"+created.ID)

	want := bot.Playbook{
		Title: "Cloud outage", Description: "what to do", TeamID: e.teamID,
		CreatePublicPlaybookRun: true, Public: true, NumStages: 2, NumSteps: 5,
		Checklists: []bot.Checklist{
			{Title: "Triage", Items: []bot.ChecklistItem{
				{Title: "Gather logs", Command: "/logs", Description: "all of them"},
				{Title: "Page on-call"}, {Title: "Open ticket"},
			}},
			{Title: "Resolve", Items: []bot.ChecklistItem{{Title: "Fix"}, {Title: "Write postmortem"}}},
		},
		MemberIDs: []string{e.userID}, BroadcastChannelIDs: body["broadcast_channel_ids"].([]string),
		InvitedUserIDs: []string{invited}, InviteUsersEnabled: true,
		DefaultOwnerID: owner, DefaultOwnerEnabled: true,
		AnnouncementChannelID: body["announcement_channel_id"].(string), AnnouncementChannelEnabled: true,
		WebhookOnCreationURL: "https://example.com/created", WebhookOnCreationEnabled: true,
		WebhookOnStatusUpdateURL: "http://example.com/status", WebhookOnStatusUpdateEnabled: true,
	}
	var got bot.Playbook
	c.do(t, e, step{method: "GET", path: "/playbooks/" + created.ID, status: http.StatusOK}).decode(t, &got)
	if diff := gocmp.Diff(want, got, ignoreGenerated); diff != "" {
		t.Errorf("getPlaybook mismatch (-want +got):\n%s", diff)
	}

	// default_owner_enabled as the boolean the plugin sends.
	plain := e.playbookBody("Zebra")
	plain["default_owner_enabled"] = false
	zebra := e.createPlaybook(t, plain)

	var list bot.PlaybookList
	c.do(t, e, step{method: "GET", path: "/playbooks?team_id=" + e.teamID + "&page=0&per_page=10&sort=title&direction=asc&with_archived=false", status: http.StatusOK}).decode(t, &list)
	if list.TotalCount != 2 || len(list.Items) != 2 || list.Items[0].ID != created.ID || list.Items[1].ID != zebra {
		t.Errorf("getPlaybooks: got %d of %d, want [%s %s]", len(list.Items), list.TotalCount, created.ID, zebra)
	}

	// A whole playbook as GET returns it goes back with PUT.
	wantEmpty(t, c.do(t, e, step{method: "PUT", path: "/playbooks/" + zebra, body: func() bot.Playbook {
		p := e.getPlaybook(t, zebra)
		p.Title = "Zebra v2"
		return p
	}(), status: http.StatusOK}))
	if p := e.getPlaybook(t, zebra); p.Title != "Zebra v2" {
		t.Errorf("after updatePlaybook: got title %q, want %q", p.Title, "Zebra v2")
	}

	follower := bot.NewID()
	var af bot.Autofollows
	c.do(t, e, step{method: "GET", path: "/playbooks/" + created.ID + "/autofollows", status: http.StatusOK}).decode(t, &af)
	if diff := gocmp.Diff(bot.Autofollows{Items: []string{}}, af); diff != "" {
		t.Errorf("getAutoFollows mismatch (-want +got):\n%s", diff)
	}
	c.do(t, e, step{method: "PUT", path: "/playbooks/" + created.ID + "/autofollows/" + follower, status: http.StatusOK})
	c.do(t, e, step{method: "GET", path: "/playbooks/" + created.ID + "/autofollows", status: http.StatusOK}).decode(t, &af)
	if diff := gocmp.Diff(bot.Autofollows{TotalCount: 1, Items: []string{follower}}, af); diff != "" {
		t.Errorf("getAutoFollows after follow mismatch (-want +got):\n%s", diff)
	}
	c.do(t, e, step{method: "DELETE", path: "/playbooks/" + created.ID + "/autofollows/" + follower, status: http.StatusOK})
	return created.ID
}

// contractRuns drives the run, checklist and timeline operations.
func contractRuns(t *testing.T, c *contract, e *env, pbID string) {
	pb := e.getPlaybook(t, pbID)
	postID := bot.NewID()
	r := c.do(t, e, step{method: "POST", path: "/runs", status: http.StatusCreated, body: map[string]any{
		"name": "EU down", "description": "since noon", "owner_user_id": e.userID,
		"team_id": e.teamID, "post_id": postID, "playbook_id": pbID,
	}})
	var run bot.Run
	r.decode(t, &run)
	wantLocation(t, r, "/runs/"+run.ID)
	if run.Name != "EU down" || run.OwnerUserID != e.userID || run.PostID != postID || !run.IsActive ||
		run.CurrentStatus != bot.StatusInProgress || run.ChannelID == "" || len(run.TimelineEvents) != 1 {
		t.Errorf("createPlaybookRunFromPost: got %+v", run)
	}
	if diff := gocmp.Diff(pb.Checklists, run.Checklists, cmpopts.IgnoreFields(bot.Checklist{}, "ID"), cmpopts.IgnoreFields(bot.ChecklistItem{}, "ID")); diff != "" {
		t.Errorf("run checklists mismatch (-want +got):\n%s", diff)
	}

	dialog := func(cancelled bool) map[string]any {
		return map[string]any{
			"type": "dialog_submission", "url": "", "callback_id": "playbookRun", "state": `{"post_id":"","client_id":"c1"}`,
			"user_id": bot.NewID(), "channel_id": bot.NewID(), "team_id": e.teamID, "cancelled": cancelled,
			"submission": map[string]any{"playbookID": pbID, "playbookRunName": "From dialog", "playbookRunDescription": "d"},
		}
	}
	r = c.do(t, e, step{method: "POST", path: "/runs/dialog", body: dialog(false), status: http.StatusCreated})
	var fromDialog bot.Run
	r.decode(t, &fromDialog)
	wantLocation(t, r, "/runs/"+fromDialog.ID)
	if fromDialog.OwnerUserID != pb.DefaultOwnerID || fromDialog.ReporterUserID != e.userID || fromDialog.Name != "From dialog" {
		t.Errorf("createPlaybookRunFromDialog: got owner %s reporter %s name %q, want the default owner %s, the caller %s, %q",
			fromDialog.OwnerUserID, fromDialog.ReporterUserID, fromDialog.Name, pb.DefaultOwnerID, e.userID, "From dialog")
	}
	if r := c.do(t, e, step{method: "POST", path: "/runs/dialog", body: dialog(true), status: http.StatusOK}); string(bytes.TrimSpace(r.body)) != "{}" {
		t.Errorf("cancelled dialog: got body %q, want {}", r.body)
	}

	var runs bot.RunList
	c.do(t, e, step{method: "GET", path: "/runs?team_id=" + e.teamID + "&page=0&per_page=10&sort=create_at&direction=asc&statuses=InProgress&statuses=Finished&owner_user_id=me&participant_id=me&search_term=eu", status: http.StatusOK}).decode(t, &runs)
	if runs.TotalCount != 1 || len(runs.Items) != 1 || runs.Items[0].ID != run.ID {
		t.Errorf("listPlaybookRuns: got %+v, want only %s", runs, run.ID)
	}
	var owners []bot.OwnerInfo
	c.do(t, e, step{method: "GET", path: "/runs/owners?team_id=" + e.teamID, status: http.StatusOK}).decode(t, &owners)
	if len(owners) != 2 {
		t.Errorf("getOwners: got %+v, want 2 owners", owners)
	}
	var channels []string
	c.do(t, e, step{method: "GET", path: "/runs/channels?team_id=" + e.teamID + "&sort=create_at&direction=asc&status=all&owner_user_id=" + e.userID + "&search_term=EU&participant_id=" + e.userID, status: http.StatusOK}).decode(t, &channels)
	if diff := gocmp.Diff([]string{run.ChannelID}, channels); diff != "" {
		t.Errorf("getChannels mismatch (-want +got):\n%s", diff)
	}
	for _, s := range []step{
		{method: "GET", path: "/runs/checklist-autocomplete?channel_ID=" + run.ChannelID, status: http.StatusOK},
		{method: "GET", path: "/runs/checklist-autocomplete?channel_id=" + run.ChannelID, status: http.StatusOK, offSpec: true},
	} {
		var items []bot.AutocompleteItem
		c.do(t, e, s).decode(t, &items)
		if len(items) != 5 || items[0] != (bot.AutocompleteItem{Item: "0 0", Hint: "Gather logs", HelpText: "Check/uncheck this item"}) {
			t.Errorf("getChecklistAutocomplete: got %+v", items)
		}
	}
	var byChannel, byID bot.Run
	c.do(t, e, step{method: "GET", path: "/runs/channel/" + run.ChannelID, status: http.StatusOK}).decode(t, &byChannel)
	c.do(t, e, step{method: "GET", path: "/runs/" + run.ID, status: http.StatusOK}).decode(t, &byID)
	// The store returns participants sorted, CreateRun in the order it added them.
	if diff := gocmp.Diff(run, byID, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("getPlaybookRun mismatch with the created run (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(byID, byChannel); diff != "" {
		t.Errorf("getPlaybookRunByChannelId mismatch (-want +got):\n%s", diff)
	}
	var md bot.RunMetadata
	c.do(t, e, step{method: "GET", path: "/runs/" + run.ID + "/metadata", status: http.StatusOK}).decode(t, &md)
	if md.NumMembers != 2 || md.TotalPosts != 7 {
		t.Errorf("getPlaybookRunMetadata: got %+v", md)
	}
	contractRunChanges(t, c, e, run.ID)
	c.do(t, e, step{method: "GET", path: "/runs/" + bot.NewID(), status: http.StatusNotFound})
	c.do(t, e, step{method: "GET", path: "/runs?page=0", status: http.StatusBadRequest, offSpec: true})
}

// contractRunChanges drives the operations that change a run.
func contractRunChanges(t *testing.T, c *contract, e *env, id string) {
	other := bot.NewID()
	run, cl, item := "/runs/"+id, "/runs/"+id+"/checklists/0", "/runs/"+id+"/checklists/0/item/"
	for _, s := range []step{
		{method: "PATCH", path: run, body: map[string]any{"active_stage": 1}, status: http.StatusOK},
		{method: "POST", path: run + "/status", body: map[string]any{"message": "Investigating", "reminder": 600, "description": "spec form"}, status: http.StatusOK},
		{method: "POST", path: run + "/status", body: map[string]any{"message": "No description", "reminder": 300.0}, status: http.StatusOK, offSpec: true},
		{method: "POST", path: run + "/owner", body: map[string]any{"owner_id": other}, status: http.StatusOK},
		{method: "POST", path: run + "/next-stage-dialog", body: map[string]any{"state": "0"}, status: http.StatusOK},
		{method: "POST", path: cl + "/add", body: map[string]any{"title": "Call vendor", "state": "in_progress", "assignee_id": other, "command": "/vendor", "description": "d"}, status: http.StatusOK},
		{method: "PUT", path: cl + "/add", body: map[string]any{"title": "Plugin form"}, status: http.StatusOK},
		{method: "PUT", path: cl + "/reorder", body: map[string]any{"item_num": 0, "new_location": 2}, status: http.StatusOK},
		{method: "PUT", path: item + "0", body: map[string]any{"title": "Page on-call now", "command": "/page"}, status: http.StatusOK},
		{method: "PUT", path: item + "0/state", body: map[string]any{"new_state": "closed"}, status: http.StatusOK},
		{method: "PUT", path: item + "0/assignee", body: map[string]any{"assignee_id": other}, status: http.StatusOK},
		{method: "DELETE", path: item + "4", status: http.StatusNoContent},
	} {
		wantEmpty(t, c.do(t, e, s))
	}
	got := e.getRun(t, id)
	var titles []string
	for _, it := range got.Checklists[0].Items {
		titles = append(titles, it.Title)
	}
	if diff := gocmp.Diff([]string{"Page on-call now", "Open ticket", "Gather logs", "Call vendor"}, titles); diff != "" {
		t.Errorf("checklist 0 titles mismatch (-want +got):\n%s", diff)
	}
	first := got.Checklists[0].Items[0]
	if got.OwnerUserID != other || got.ActiveStage != 0 || len(got.StatusUpdates) != 2 || got.PreviousReminder != 300 ||
		first.State != bot.ItemClosed || first.AssigneeID != other || first.Command != "/page" {
		t.Errorf("after changes: got owner %s stage %d %d status updates, reminder %d, item 0 %+v",
			got.OwnerUserID, got.ActiveStage, len(got.StatusUpdates), got.PreviousReminder, first)
	}

	for _, s := range []step{
		{method: "PUT", path: item + "0/run", status: http.StatusOK},
		{method: "POST", path: item + "0/run", status: http.StatusOK},
	} {
		var trigger struct {
			TriggerID string `json:"trigger_id"`
		}
		c.do(t, e, s).decode(t, &trigger)
		if !bot.ValidID(trigger.TriggerID) {
			t.Errorf("itemRun: got trigger_id %q, want an ID", trigger.TriggerID)
		}
	}

	events := e.getRun(t, id).TimelineEvents
	wantEmpty(t, c.do(t, e, step{method: "DELETE", path: run + "/timeline/" + events[1].ID + "/", status: http.StatusNoContent}))
	wantEmpty(t, c.do(t, e, step{method: "DELETE", path: run + "/timeline/" + events[2].ID, status: http.StatusNoContent}))
	for _, ev := range e.getRun(t, id).TimelineEvents {
		if ev.ID == events[1].ID || ev.ID == events[2].ID {
			t.Errorf("deleted timeline event %s (%s) is still shown", ev.ID, ev.EventType)
		}
	}

	for _, s := range []step{
		{method: "PUT", path: run + "/end", status: http.StatusOK},
		{method: "PUT", path: run + "/restart", status: http.StatusOK},
		{method: "PUT", path: run + "/finish", status: http.StatusOK},
		{method: "PUT", path: run + "/restart", status: http.StatusOK},
		{method: "POST", path: run + "/end", body: map[string]any{"type": "dialog_submission", "cancelled": false}, status: http.StatusOK, offSpec: true},
	} {
		wantEmpty(t, c.do(t, e, s))
	}
	if got := e.getRun(t, id); got.IsActive || got.CurrentStatus != bot.StatusFinished || got.EndAt == 0 {
		t.Errorf("after end: got is_active %v, current_status %q, end_at %d; want an ended run", got.IsActive, got.CurrentStatus, got.EndAt)
	}
}

// contractArchive drives deletePlaybook: the playbook is archived, still
// found by ID, hidden from the list.
func contractArchive(t *testing.T, c *contract, e *env, pbID string) {
	wantEmpty(t, c.do(t, e, step{method: "DELETE", path: "/playbooks/" + pbID, status: http.StatusNoContent}))
	var p bot.Playbook
	c.do(t, e, step{method: "GET", path: "/playbooks/" + pbID, status: http.StatusOK}).decode(t, &p)
	if p.DeleteAt == 0 {
		t.Errorf("archived playbook: got delete_at 0, want the archive time")
	}
	var list bot.PlaybookList
	c.do(t, e, step{method: "GET", path: "/playbooks?team_id=" + e.teamID, status: http.StatusOK}).decode(t, &list)
	for _, it := range list.Items {
		if it.ID == pbID {
			t.Errorf("getPlaybooks lists archived playbook %s", pbID)
		}
	}
}
