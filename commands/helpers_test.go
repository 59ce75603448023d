package commands_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now is when the clock of every test service starts.
var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fakeChat gives every run a channel and does nothing else.
type fakeChat struct{}

var _ bot.Chat = fakeChat{}

func (fakeChat) CreateChannel(context.Context, bot.NewChannel) (string, error) {
	return bot.NewID(), nil
}
func (fakeChat) ChannelStats(context.Context, string) (bot.RunMetadata, error) {
	return bot.RunMetadata{}, nil
}
func (fakeChat) User(context.Context, string) (bot.User, error)                     { return bot.User{}, nil }
func (fakeChat) RunCommand(context.Context, string, string, string) (string, error) { return "", nil }
func (fakeChat) Mention(_ context.Context, userID string) string                    { return userID }
func (fakeChat) MemberChannels(_ context.Context, _ string, ids []string) ([]string, error) {
	return ids, nil
}
func (fakeChat) AddChannelMember(context.Context, string, string) error        { return nil }
func (fakeChat) PostReminder(context.Context, bot.Run, string) (string, error) { return "", nil }

func (fakeChat) Post(context.Context, string, string) (string, error) { return "", nil }
func (fakeChat) ShowRun(context.Context, bot.Run) (string, error)     { return "", nil }

// users is a UserResolver that also names users by ID.
type users map[string]bot.User // by username

func (u users) UserByName(_ context.Context, name string) (bot.User, error) {
	if usr, ok := u[name]; ok {
		return usr, nil
	}
	return bot.User{}, bot.Errorf(bot.ENotFound, "no user %s", name)
}

func (u users) User(_ context.Context, id string) (bot.User, error) {
	for _, usr := range u {
		if usr.ID == id {
			return usr, nil
		}
	}
	return bot.User{}, bot.Errorf(bot.ENotFound, "no user %s", id)
}

// fixture is a service over a real store, with two known users.
type fixture struct {
	svc        *bot.Service
	d          *commands.Dispatcher // resolves @alice and @bob
	bare       *commands.Dispatcher // resolves no usernames
	alice, bob string               // user IDs
	db         bot.Store            // the store under svc
}

// forEachStore runs fn against each kind of store, in parallel.
func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newFixture(t, kind))
		})
	}
}

func newFixture(t *testing.T, kind string) *fixture {
	db := storetest.Open(t, kind)
	// The clock ticks a millisecond per reading, so that timeline events
	// have an order, and stays within the minute the replies show.
	var ticks atomic.Int64
	clock := func() time.Time { return now.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	svc := bot.NewService(bot.Config{Store: db, Chat: fakeChat{}, Now: clock})
	f := &fixture{svc: svc, alice: bot.NewID(), bob: bot.NewID(), db: db}
	u := users{"alice": {ID: f.alice, Username: "alice"}, "bob": {ID: f.bob, Username: "bob"}}
	f.d = commands.NewDispatcher(svc).WithUsers(u)
	f.bare = commands.NewDispatcher(svc)
	return f
}

// env is one test's team: a playbook, a run of it in a channel, and alice
// as the actor.
type env struct {
	f     *fixture
	team  string
	actor bot.Actor
	pb    bot.Playbook
	run   bot.Run
}

// newEnv creates a team with a playbook (and an archived one) and starts
// a run of it named "Checkout errors", owned by alice.
func (f *fixture) newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{f: f, team: bot.NewID()}
	e.actor = bot.Actor{UserID: f.alice, TeamIDs: []string{e.team}}
	var err error
	e.pb, err = f.svc.CreatePlaybook(ctx, e.actor, bot.Playbook{
		Title: "Incident", TeamID: e.team,
		Checklists: []bot.Checklist{
			{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page on-call"}, {Title: "Open a bridge"}}},
			{Title: "Mitigate", Items: []bot.ChecklistItem{{Title: "Roll back"}, {Title: "Scale up"}, {Title: "Tell support"}}},
			{Title: "Resolve", Items: []bot.ChecklistItem{{Title: "Write the postmortem"}}},
			{Title: "Follow-up", Items: []bot.ChecklistItem{}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	old, err := f.svc.CreatePlaybook(ctx, e.actor, bot.Playbook{Title: "Old", TeamID: e.team, Checklists: []bot.Checklist{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ArchivePlaybook(ctx, e.actor, old.ID); err != nil {
		t.Fatal(err)
	}
	e.run = e.startRun(t, "Checkout errors")
	return e
}

// startRun starts another run of the env's playbook.
func (e *env) startRun(t *testing.T, name string) bot.Run {
	t.Helper()
	r, err := e.f.svc.CreateRun(context.Background(), e.actor, bot.NewRun{Name: name, TeamID: e.team, PlaybookID: e.pb.ID})
	if err != nil {
		t.Fatal(err)
	}
	if r.ChannelID == "" {
		t.Fatal("run has no channel")
	}
	return r
}

// reload returns the run as stored now.
func (e *env) reload(t *testing.T) bot.Run {
	t.Helper()
	r, err := e.f.svc.Run(context.Background(), e.actor, e.run.ID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// must returns a function that fails t on a use case's error, for setting
// up a case's run: must(t)(svc.EndRun(...)).
func must(t *testing.T) func(bot.Run, error) {
	return func(_ bot.Run, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// mustItem is must for an item change.
func mustItem(t *testing.T) func(bot.RunItem, error) {
	return func(_ bot.RunItem, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
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
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
