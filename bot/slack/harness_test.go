package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net"
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

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// signingSecret is the Slack app's signing secret in the tests.
const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

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
// server) wired to a slacktest Slack with users and channels.
type env struct {
	sl      *slacktest.Server
	db      *store.DB
	svc     *bot.Service
	client  *slack.Client
	handler *slack.Handler
	signer  *dialogs.Signer
	clock   *chattest.Clock // requests, triggers, replays, rate limits and kept membership answers
	tokens  *chattest.Clock // expiry of signed modal metadata and button values
	logs    *logBuffer
	botURL  string

	alice, bob, carol, dave, erin    slacktest.User
	general, broadcast, announcement slacktest.Channel
	admin                            bot.Actor
}

// newEnv starts a bot and a Slack for one test, on a store of kind.
func newEnv(t testing.TB, kind string, opts ...func(*slack.HandlerConfig)) *env {
	t.Helper()
	return newEnvOn(t, storetest.Open(t, kind), opts...)
}

// newEnvOn starts a bot and a Slack for one test, on db.
func newEnvOn(t testing.TB, db *store.DB, opts ...func(*slack.HandlerConfig)) *env {
	t.Helper()
	// The clocks start at the wall clock's time: slack-go's verifier checks
	// request timestamps against the wall clock too.
	start := time.Now().Truncate(time.Second)
	e := &env{clock: chattest.NewClock(start), tokens: chattest.NewClock(start), logs: &logBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", e.logs.String())
		}
	})
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	e.sl = slacktest.New(t, e.clock.Now)
	e.alice = e.sl.AddUser("alice")
	e.bob = e.sl.AddUser("bob")
	e.carol = e.sl.AddUser("carol")
	e.dave = e.sl.AddUser("dave")
	e.erin = e.sl.AddUser("erin")
	b := e.sl.BotUserID
	e.general = e.sl.AddChannel("general", b, e.alice.ID, e.bob.ID, e.carol.ID, e.dave.ID, e.erin.ID)
	e.broadcast = e.sl.AddChannel("incidents", b, e.alice.ID)
	e.announcement = e.sl.AddChannel("announcements", b)
	e.admin = bot.Actor{UserID: e.alice.ID, Admin: true}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.botURL = "http://" + ln.Addr().String()
	e.sl.SetBot(e.botURL, signingSecret)
	e.signer, err = dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), e.tokens.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.client, err = slack.NewClient(slack.Config{BotToken: e.sl.BotToken, APIURL: e.sl.URL, Signer: e.signer, Logger: logger,
		Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	e.svc = bot.NewService(bot.Config{Store: e.db, Logger: logger, Chat: e.client,
		Platforms: map[string]bot.Chat{slack.Platform: e.client}, DefaultPlatform: slack.Platform})
	cfg := slack.HandlerConfig{
		Client: e.client, SigningSecret: signingSecret, Now: e.clock.Now,
		HandlerBase: commands.HandlerBase{Service: e.svc, Logger: logger,
			Dispatcher: commands.NewDispatcher(e.svc).WithUsers(e.client).WithLogger(logger)},
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.handler, err = slack.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

// playbook creates the playbook of the tests: two checklists, a default
// owner (bob), invited users (carol, dave), a broadcast channel and an
// announcement channel.
func (e *env) playbook(t testing.TB) bot.Playbook {
	t.Helper()
	pb, err := e.svc.CreatePlaybook(context.Background(), e.admin, bot.Playbook{
		Title: "Incident response", TeamID: e.sl.Team,
		Checklists: []bot.Checklist{
			{Title: "Triage", Items: []bot.ChecklistItem{
				{Title: "Page the on-call engineer"}, {Title: "Open a status page incident"}, {Title: "Find the blast radius"},
			}},
			{Title: "Mitigate", Items: []bot.ChecklistItem{
				{Title: "Roll back the last deploy", Command: "/echo rolling back"}, {Title: "Confirm recovery"},
			}},
		},
		InvitedUserIDs: []string{e.carol.ID, e.dave.ID}, InviteUsersEnabled: true,
		DefaultOwnerID: e.bob.ID, DefaultOwnerEnabled: true,
		BroadcastChannelIDs:   []string{e.broadcast.ID},
		AnnouncementChannelID: e.announcement.ID, AnnouncementChannelEnabled: true,
	})
	if err != nil {
		t.Fatalf("create playbook: %v", err)
	}
	return pb
}

// commandReply is a slash command's JSON answer.
type commandReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// slash types /playbook text as user in channel; the answer must be 200.
// An empty body (a modal was opened) gives an empty reply. A command the
// bot acknowledged before it was done ("Working on it…", on a slow or
// loaded machine) gives the reply it then posted to the response_url.
func (e *env) slash(t testing.TB, user slacktest.User, channelID, text string) commandReply {
	t.Helper()
	before := len(e.sl.Replies())
	resp, err := e.sl.SlashCommand(context.Background(), slacktest.Slash{UserID: user.ID, ChannelID: channelID, Text: text})
	if err != nil || resp.Status != 200 {
		t.Fatalf("/playbook %s: %v, status %d: %s", text, err, resp.Status, resp.Body)
	}
	var r commandReply
	if len(resp.Body) > 0 {
		if err := resp.JSON(&r); err != nil {
			t.Fatalf("/playbook %s: %v: %s", text, err, resp.Body)
		}
	}
	if r.Text == "Working on it…" {
		e.settle(t)
		r = commandReply{}
		if late := e.sl.Replies()[before:]; len(late) > 0 {
			r = commandReply{ResponseType: late[len(late)-1].ResponseType, Text: late[len(late)-1].Text}
		}
	}
	return r
}

// view returns the modal opened last, which must be callbackID.
func (e *env) view(t testing.TB, callbackID string) slacktest.OpenedView {
	t.Helper()
	e.settle(t) // a click opens its modal after it is answered
	vs := e.sl.Views()
	if len(vs) == 0 || vs[len(vs)-1].View["callback_id"] != callbackID {
		t.Fatalf("last modal is not %q (opened: %d)", callbackID, len(vs))
	}
	return vs[len(vs)-1]
}

// submit submits v; the modal must close with no errors, or (the bot
// acknowledged it before it was done, on a slow or loaded machine) show
// that it is working and then the result. It returns once the
// submission's work has ended (the result shown).
func (e *env) submit(t testing.TB, v slacktest.OpenedView, values map[string]string) {
	t.Helper()
	resp, err := e.sl.Submit(context.Background(), v, values)
	late := strings.Contains(string(resp.Body), `"response_action":"update"`) && strings.Contains(string(resp.Body), "⏳")
	if err != nil || resp.Status != 200 || (len(resp.Body) > 0 && !late) {
		t.Fatalf("submit %v: %v, status %d: %s", v.View["callback_id"], err, resp.Status, resp.Body)
	}
	e.settle(t)
	if now, _ := e.sl.View(v.ID); late && !strings.Contains(string(now.Raw), "✅") {
		t.Fatalf("submit %v: acknowledged, then the modal shows %s; want the result", v.View["callback_id"], now.Raw)
	}
}

// settle waits until the work of every request sent so far has ended
// (what a request does after Slack got its answer: an ephemeral result, a
// late report), and the checklist post refreshes it started.
func (e *env) settle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // beyond the work's own bound
	defer cancel()
	if err := e.handler.Wait(ctx); err != nil {
		t.Fatalf("the bot's work did not end: %v", err)
	}
	if err := e.svc.SettlePosts(ctx); err != nil {
		t.Fatalf("the checklist post refreshes did not end: %v", err)
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

// names maps the env's IDs to stable names for golden files, plus the
// extra id/name pairs given.
func (e *env) names(extra ...string) map[string]string {
	m := map[string]string{
		e.sl.Team: "<team>", e.sl.BotUserID: "<bot-user>", e.alice.ID: "<alice>", e.bob.ID: "<bob>",
		e.carol.ID: "<carol>", e.dave.ID: "<dave>", e.erin.ID: "<erin>", e.general.ID: "<general>",
		e.broadcast.ID: "<broadcast>", e.announcement.ID: "<announcement>",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

var (
	signedToken = regexp.MustCompile(`[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{43}`)
	// renderSuffix is the suffix of a block ID of one rendering.
	renderSuffix = regexp.MustCompile(`("block_id": "[^".]+)\.[a-z0-9]{5}"`)
)

// normalize makes JSON comparable across runs: it is indented, the given
// IDs are named, and signed tokens and block IDs' rendering suffixes are
// replaced.
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
	s = renderSuffix.ReplaceAllString(s, `$1.<render>"`)
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) > len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
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
