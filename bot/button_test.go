package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// clickFixture is a private run whose channel alice is in, and a second
// run (another channel) of the same team.
type clickFixture struct {
	svc          *bot.Service
	db           *storetest.Counting
	alice, admin bot.Actor
	run, other   bot.Run
}

func newClickFixture(t *testing.T, kind string) *clickFixture {
	t.Helper()
	ctx := context.Background()
	team := bot.NewID()
	f := &clickFixture{db: storetest.NewCounting(storetest.Open(t, kind))}
	f.svc = bot.NewService(bot.Config{Store: f.db, Chat: chattest.NewMembers(nil)})
	f.alice = bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}
	f.admin = bot.Actor{UserID: bot.NewID(), Admin: true}
	pb, err := f.svc.CreatePlaybook(ctx, f.admin, bot.Playbook{Title: "P", TeamID: team,
		Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if f.run, err = f.svc.CreateRun(ctx, f.alice, bot.NewRun{Name: "R", PlaybookID: pb.ID}); err != nil {
		t.Fatal(err)
	}
	if f.other, err = f.svc.CreateRun(ctx, f.alice, bot.NewRun{Name: "Other", PlaybookID: pb.ID}); err != nil {
		t.Fatal(err)
	}
	if f.run.ChannelID == "" || f.other.ChannelID == "" {
		t.Fatal("fixture: runs without channels")
	}
	f.db.Take()
	return f
}

// clicks are a click of each button of run r, in channel.
func clicks(r bot.Run, channel string) []bot.Click {
	return []bot.Click{
		{ChannelID: channel, RunID: r.ID, Action: bot.ButtonToggleItem, ItemID: r.Checklists[0].Items[0].ID},
		{ChannelID: channel, RunID: r.ID, Action: bot.ButtonSnooze, Snooze: 15 * time.Minute},
		{ChannelID: channel, RunID: r.ID, Action: bot.ButtonUpdateStatus},
	}
}

// TestClickOtherChannel checks the rule of every button: it acts only on
// the run of the channel it was clicked in. A button of run R clicked in
// another run's channel is refused with bot.ErrOtherChannel, for a member
// and for an admin alike, and changes nothing; in its own channel it acts.
func TestClickOtherChannel(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			f := newClickFixture(t, kind)
			before, err := f.svc.Run(ctx, f.admin, f.run.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []bot.Actor{f.alice, f.admin} {
				for _, c := range clicks(f.run, f.other.ChannelID) {
					if _, err := f.svc.Click(ctx, a, c); !errors.Is(err, bot.ErrOtherChannel) {
						t.Errorf("%s clicked in another channel: error %v, want ErrOtherChannel", c.Action, err)
					}
				}
			}
			after, err := f.svc.Run(ctx, f.admin, f.run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(after.TimelineEvents) != len(before.TimelineEvents) ||
				after.Checklists[0].Items[0].State != before.Checklists[0].Items[0].State {
				t.Fatalf("refused clicks changed the run: %d → %d events, item %q → %q",
					len(before.TimelineEvents), len(after.TimelineEvents),
					before.Checklists[0].Items[0].State, after.Checklists[0].Items[0].State)
			}
			for _, c := range clicks(f.run, f.run.ChannelID) {
				r, err := f.svc.Click(ctx, f.alice, c)
				if err != nil || r.ID != f.run.ID {
					t.Errorf("%s in its channel: run %q, %v", c.Action, r.ID, err)
				}
			}
			got, err := f.svc.Run(ctx, f.alice, f.run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st := got.Checklists[0].Items[0].State; st != bot.ItemClosed {
				t.Errorf("item state %q after the toggle, want closed", st)
			}
		})
	}
}

// TestClickQueries counts the store calls of a click on an item button,
// as a channel member: before, adapters read the whole run (Service.Run)
// to compare channels, then toggled (RunState and UpdateRun); a click now
// reads only what decides who may see the run (RunAccess) and checks the
// channel in the update, which locks the item only.
func TestClickQueries(t *testing.T) {
	ctx := context.Background()
	f := newClickFixture(t, storetest.SQLite)
	c := clicks(f.run, f.run.ChannelID)[0]

	// The path the adapters took before Service.Click.
	if _, err := f.svc.Run(ctx, f.alice, f.run.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ToggleItemByID(ctx, f.alice, f.run.ID, c.ItemID); err != nil {
		t.Fatal(err)
	}
	old := f.db.Take()
	if _, err := f.svc.Click(ctx, f.alice, c); err != nil {
		t.Fatal(err)
	}
	now := f.db.Take()
	t.Logf("store calls of a click: before %v, now %v", old, now)
	if now["Run"] != 0 || now["RunState"] != 0 || now["RunAccess"] != 1 || now["UpdateItem"] != 1 || now["UpdateRun"] != 0 {
		t.Errorf("a click called the store %v, want RunAccess (who may see the run) and UpdateItem (the item, not the run, locked) once each, and no Run, RunState or UpdateRun", now)
	}
	if old["Run"] != 1 {
		t.Errorf("the former path called the store %v, want one Run", old)
	}
}
