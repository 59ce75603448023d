package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// logBuffer collects logs, shown only when a test fails.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a bot (Service over a real store, Client, Handler on its own HTTP
// server) wired to an mmtest Mattermost with a team, users and channels.
type env struct {
	mm       *mmtest.Server
	svc      *bot.Service
	db       *store.DB
	client   *mattermost.Client
	signer   *dialogs.Signer
	clock    *chattest.Clock
	logs     *logBuffer
	botURL   string
	cmdToken string

	team                                *model.Team
	bot, alice, bob, carol, dave, erin  *model.User
	townSquare, broadcast, announcement *model.Channel
	admin                               bot.Actor
}

// newEnv starts a bot and a Mattermost for one test, on a store of kind;
// opts may change the Service's configuration before it starts.
func newEnv(t testing.TB, kind string, opts ...func(*env, *bot.Config)) *env {
	t.Helper()
	return newEnvOn(t, kind, mmtest.Version1012, opts...)
}

// newEnvOn is newEnv with a Mattermost of version (mmtest.Version1012 or
// mmtest.Version11).
func newEnvOn(t testing.TB, kind, version string, opts ...func(*env, *bot.Config)) *env {
	t.Helper()
	e := &env{clock: chattest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)), logs: &logBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	e.mm = mmtest.New(t, mmtest.WithClock(e.clock.Now), mmtest.WithVersion(version))
	e.team = e.mm.AddTeam("acme")
	var botToken string
	e.bot, botToken = e.mm.AddBot("playbooks", e.team.Id)
	// No create_post_ephemeral for the bot: a real server gives it to system
	// admins only, and Team Edition has no role for bots alone.
	e.alice = e.mm.AddUser("alice", e.team.Id)
	e.bob = e.mm.AddUser("bob", e.team.Id)
	e.carol = e.mm.AddUser("carol", e.team.Id)
	e.dave = e.mm.AddUser("dave", e.team.Id)
	e.erin = e.mm.AddUser("erin", e.team.Id)
	everyone := []string{e.bot.Id, e.alice.Id, e.bob.Id, e.carol.Id, e.dave.Id, e.erin.Id}
	e.townSquare = e.mm.AddChannel(e.team.Id, "town-square", model.ChannelTypeOpen, everyone...)
	e.broadcast = e.mm.AddChannel(e.team.Id, "incidents", model.ChannelTypeOpen, e.bot.Id, e.alice.Id)
	e.announcement = e.mm.AddChannel(e.team.Id, "announcements", model.ChannelTypeOpen, e.bot.Id)
	e.admin = bot.Actor{UserID: e.alice.Id, Admin: true}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.botURL = "http://" + ln.Addr().String()
	e.signer, err = dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.client, err = mattermost.NewClient(mattermost.Config{
		URL: e.mm.URL, BotToken: botToken, Signer: e.signer, PublicURL: e.botURL, Logger: logger, Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.db = storetest.Open(t, kind)
	cfg := bot.Config{Store: e.db, Chat: e.client, Logger: logger}
	for _, o := range opts {
		o(e, &cfg)
	}
	e.svc = bot.NewService(cfg)
	e.cmdToken = e.mm.RegisterCommand(e.team.Id, "playbook", e.botURL+mattermost.CommandPath)
	h, err := mattermost.NewHandler(mattermost.HandlerConfig{
		Client: e.client, CommandTokens: []string{"another-teams-token", e.cmdToken},
		HandlerBase: commands.HandlerBase{Service: e.svc, Logger: logger,
			Dispatcher: commands.NewDispatcher(e.svc).WithUsers(e.client).WithLogger(logger)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(botMux(h))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

// botMux serves h as the bot's HTTP server does, under /mattermost/.
func botMux(h *mattermost.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/mattermost/", h)
	return mux
}

// playbook creates the playbook of the tests: two checklists, a default
// owner (bob), invited users (carol, dave), a broadcast channel and an
// announcement channel.
func (e *env) playbook(t testing.TB) bot.Playbook {
	t.Helper()
	pb, err := e.svc.CreatePlaybook(context.Background(), e.admin, bot.Playbook{
		Title: "Incident response", TeamID: e.team.Id,
		Checklists: []bot.Checklist{
			{Title: "Triage", Items: []bot.ChecklistItem{
				{Title: "Page the on-call engineer"}, {Title: "Open a status page incident"}, {Title: "Find the blast radius"},
			}},
			{Title: "Mitigate", Items: []bot.ChecklistItem{
				{Title: "Roll back the last deploy", Command: "/echo rolling back"}, {Title: "Confirm recovery"},
			}},
		},
		InvitedUserIDs: []string{e.carol.Id, e.dave.Id}, InviteUsersEnabled: true,
		DefaultOwnerID: e.bob.Id, DefaultOwnerEnabled: true,
		BroadcastChannelIDs:   []string{e.broadcast.Id},
		AnnouncementChannelID: e.announcement.Id, AnnouncementChannelEnabled: true,
	})
	if err != nil {
		t.Fatalf("create playbook: %v", err)
	}
	return pb
}

// slash types /playbook text as user in channel; the answer must be 200.
func (e *env) slash(t testing.TB, user *model.User, channelID, text string) *model.CommandResponse {
	t.Helper()
	resp, err := e.mm.SlashCommand(context.Background(), mmtest.Slash{UserID: user.Id, ChannelID: channelID, Text: text})
	if err != nil {
		t.Fatalf("/playbook %s: %v", text, err)
	}
	return resp
}

// dialog returns the dialog opened last, which must be callbackID.
func (e *env) dialog(t testing.TB, callbackID string) mmtest.OpenedDialog {
	t.Helper()
	d, ok := e.mm.LastDialog()
	if !ok || d.Dialog.CallbackId != callbackID {
		t.Fatalf("last dialog is %q (opened: %v), want %q", d.Dialog.CallbackId, ok, callbackID)
	}
	return d
}

// submit submits d; the dialog must close with no errors.
func (e *env) submit(t testing.TB, d mmtest.OpenedDialog, values map[string]any) {
	t.Helper()
	resp, err := e.mm.SubmitDialog(context.Background(), d, values)
	if err != nil {
		t.Fatalf("submit %s: %v", d.Dialog.CallbackId, err)
	}
	if resp.Error != "" || len(resp.Errors) > 0 {
		t.Fatalf("submit %s: got errors %q %v, want none", d.Dialog.CallbackId, resp.Error, resp.Errors)
	}
}

// run reads the run of a channel as the REST API would.
func (e *env) run(t testing.TB, channelID string) bot.Run {
	t.Helper()
	r, err := e.svc.RunByChannel(context.Background(), e.admin, channelID)
	if err != nil {
		t.Fatalf("read run of channel %s: %v", channelID, err)
	}
	return r
}

// refused asserts that err is the bot's 401.
func refused(t testing.TB, what string, err error) {
	t.Helper()
	var se *mmtest.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Errorf("%s: got %v, want status 401", what, err)
	}
}

var (
	signedToken = regexp.MustCompile(`[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{43}`)
	hexTrigger  = regexp.MustCompile(`"trigger_id":\s*"[a-z0-9]+"`)
)

// normalize makes JSON comparable across runs: it is indented, the bot's
// URL and the given IDs are named, and signed tokens are replaced.
func normalize(t testing.TB, raw []byte, names map[string]string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("normalize: %v: %s", err, raw)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	s := signedToken.ReplaceAllString(buf.String(), "<signed>")
	s = hexTrigger.ReplaceAllString(s, `"trigger_id": "<trigger>"`)
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s = strings.ReplaceAll(s, id, names[id])
	}
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
