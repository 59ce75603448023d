package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// env is one API server over a fresh store of one kind, with a token for a
// user limited to one team.
type env struct {
	kind   string
	db     *store.DB
	svc    *bot.Service
	client *http.Client
	base   string // server URL + api.BasePath
	logs   *syncBuffer
	userID string
	teamID string
	token  string
}

// forEachKind runs fn, in parallel, against every kind of store.
func forEachKind(t *testing.T, chat bot.Chat, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, kind, chat))
		})
	}
}

// newEnv starts an API server over a fresh store of the given kind. chat nil
// is a server with no chat platform.
func newEnv(t *testing.T, kind string, chat bot.Chat) *env {
	t.Helper()
	db := storetest.Open(t, kind)
	var ms atomic.Int64
	ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	svc := bot.NewService(bot.Config{
		Store: db, Chat: chat,
		Now: func() time.Time { return time.UnixMilli(ms.Add(1)) }, // distinct, increasing
	})
	logs := &syncBuffer{}
	srv := httptest.NewServer(api.New(api.Config{
		Service: svc,
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
	}))
	t.Cleanup(srv.Close)
	e := &env{
		kind: kind, db: db, svc: svc, client: srv.Client(), base: srv.URL + api.BasePath,
		logs: logs, userID: bot.NewID(), teamID: bot.NewID(),
	}
	e.token = e.newToken(t, e.userID, e.teamID)
	return e
}

// newToken issues a token for userID limited to teamID.
func (e *env) newToken(t *testing.T, userID, teamID string) string {
	t.Helper()
	secret, _, err := e.svc.CreateToken(context.Background(), userID, []string{teamID}, false)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return secret
}

// response is what a call got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request with e's token. body is sent as is when a string or
// []byte, as JSON otherwise, and not at all when nil.
func (e *env) call(t *testing.T, method, path string, body any) response {
	t.Helper()
	return e.callAs(t, e.token, method, path, body)
}

// callAs is call with another token; "" sends no Authorization header.
func (e *env) callAs(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return e.send(t, method, path, h, body)
}

// send sends a request with the given headers.
func (e *env) send(t *testing.T, method, path string, h http.Header, body any) response {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, bytes.NewReader(encodeBody(t, body)))
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	req.Header = h.Clone()
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// encodeBody returns the bytes call sends for body.
func encodeBody(t *testing.T, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encode body: %v", err)
	}
	return b
}

// want fails t unless r has the given status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("got status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

// decode decodes r's JSON body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode body %s: %v", r.body, err)
	}
}

// errorBody is the error body every failing call must carry.
type errorBody struct {
	Error   string `json:"error"`
	Details string `json:"details"`
}

// wantError checks r is an error with the given status, whose body has both
// keys set, and returns the body.
func (r response) wantError(t *testing.T, status int) errorBody {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
	var raw map[string]any
	r.decode(t, &raw)
	for _, k := range []string{"error", "details"} {
		if s, ok := raw[k].(string); !ok || s == "" {
			t.Errorf("error body %s: got %q = %v, want a non-empty string", r.body, k, raw[k])
		}
	}
	if len(raw) != 2 {
		t.Errorf("error body %s: got %d keys, want exactly error and details", r.body, len(raw))
	}
	var eb errorBody
	r.decode(t, &eb)
	return eb
}

// playbookBody returns a valid createPlaybook body: two checklists of three
// and two items.
func (e *env) playbookBody(title string) map[string]any {
	return map[string]any{
		"title": title, "description": "what to do", "team_id": e.teamID,
		"create_public_playbook_run": true, "member_ids": []string{e.userID},
		"checklists": []map[string]any{
			{"title": "Triage", "items": []map[string]any{
				{"title": "Gather logs", "command": "/logs", "description": "all of them"},
				{"title": "Page on-call"},
				{"title": "Open ticket"},
			}},
			{"title": "Resolve", "items": []map[string]any{
				{"title": "Fix"},
				{"title": "Write postmortem"},
			}},
		},
	}
}

// createPlaybook creates a playbook from body and returns its ID.
func (e *env) createPlaybook(t *testing.T, body map[string]any) string {
	t.Helper()
	var got struct{ ID string }
	e.call(t, "POST", "/playbooks", body).want(t, http.StatusCreated).decode(t, &got)
	return got.ID
}

// createRun starts a run of playbookID named name and returns it.
func (e *env) createRun(t *testing.T, playbookID, name string) bot.Run {
	t.Helper()
	var r bot.Run
	e.call(t, "POST", "/runs", map[string]any{
		"name": name, "playbook_id": playbookID, "team_id": e.teamID, "owner_user_id": e.userID,
	}).want(t, http.StatusCreated).decode(t, &r)
	return r
}

// getRun returns a run as the API shows it.
func (e *env) getRun(t *testing.T, id string) bot.Run {
	t.Helper()
	var r bot.Run
	e.call(t, "GET", "/runs/"+id, nil).want(t, http.StatusOK).decode(t, &r)
	return r
}

// getPlaybook returns a playbook as the API shows it.
func (e *env) getPlaybook(t *testing.T, id string) bot.Playbook {
	t.Helper()
	var p bot.Playbook
	e.call(t, "GET", "/playbooks/"+id, nil).want(t, http.StatusOK).decode(t, &p)
	return p
}

// fakeChat is a chat platform that makes up channels and trigger IDs.
type fakeChat struct{}

func (fakeChat) CreateChannel(context.Context, bot.NewChannel) (string, error) {
	return bot.NewID(), nil
}

func (fakeChat) ChannelStats(_ context.Context, channelID string) (bot.RunMetadata, error) {
	return bot.RunMetadata{ChannelName: "run-" + channelID[:6], ChannelDisplayName: "Run", TeamName: "team", NumMembers: 2, TotalPosts: 7}, nil
}

func (fakeChat) User(_ context.Context, userID string) (bot.User, error) {
	return bot.User{ID: userID, Username: "user-" + userID[:6]}, nil
}

func (fakeChat) Mention(_ context.Context, userID string) string { return "@user-" + userID[:6] }

func (fakeChat) RunCommand(context.Context, string, string, string) (string, error) {
	return bot.NewID(), nil
}

func (fakeChat) Post(context.Context, string, string) (string, error) { return bot.NewID(), nil }

func (fakeChat) MemberChannels(_ context.Context, _ string, ids []string) ([]string, error) {
	return ids, nil
}

func (fakeChat) AddChannelMember(context.Context, string, string) error { return nil }

func (fakeChat) PostReminder(context.Context, bot.Run, string) (string, error) {
	return bot.NewID(), nil
}

func (fakeChat) ShowRun(_ context.Context, r bot.Run) (string, error) {
	if r.ChecklistPostID != "" {
		return r.ChecklistPostID, nil
	}
	return bot.NewID(), nil
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the log records written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}
