package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestOverdueStatusUpdates checks which runs /playbook todo lists as owing
// a status update: those the caller owns, in progress, may see, and whose
// latest status update's reminder has come due, longest overdue first;
// not a run with no reminder, an ended one, another owner's, another
// team's, nor a private run whose channel the owner has left.
func TestOverdueStatusUpdates(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var mu sync.Mutex
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
			chat := chattest.NewMembers(nil)
			svc := bot.NewService(bot.Config{Store: storetest.Open(t, kind), Chat: chat, Now: clock})
			team, other := bot.NewID(), bot.NewID()
			alice := bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team, other}}
			bob := bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			playbook := func(team string, public bool) bot.Playbook {
				pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: team, CreatePublicPlaybookRun: public,
					Checklists: []bot.Checklist{}})
				if err != nil {
					t.Fatal(err)
				}
				return pb
			}
			pub, priv, elsewhere := playbook(team, true), playbook(team, false), playbook(other, true)
			run := func(name string, pb bot.Playbook, owner bot.Actor, reminder int64) bot.Run {
				t.Helper()
				r, err := svc.CreateRun(ctx, owner, bot.NewRun{Name: name, PlaybookID: pb.ID, OwnerUserID: owner.UserID})
				if err != nil {
					t.Fatal(err)
				}
				if reminder > 0 {
					if r, err = svc.UpdateStatus(ctx, owner, r.ID, "update", reminder); err != nil {
						t.Fatal(err)
					}
				}
				return r
			}
			late := run("Late", pub, alice, 600)     // due in 10 minutes
			run("Later", pub, alice, 3600)           // due in an hour
			run("Quiet", pub, alice, 0)              // no reminder: never overdue
			run("Bobs", pub, bob, 60)                // another owner's
			run("Elsewhere", elsewhere, alice, 60)   // another team's
			hidden := run("Hidden", priv, alice, 60) // private, alice leaves its channel
			ended := run("Ended", pub, alice, 60)    // ended
			if _, err := svc.EndRun(ctx, alice, ended.ID); err != nil {
				t.Fatal(err)
			}
			chat.Set(hidden.ChannelID, alice.UserID, false)

			names := func() []string {
				t.Helper()
				l, err := svc.OverdueStatusUpdates(ctx, alice, team)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, o := range l {
					got = append(got, o.Run.Name)
					if o.Run.Name == "Late" && o.DueAt != late.LastStatusUpdateAt+600_000 {
						t.Errorf("Late is due at %d, want %d", o.DueAt, late.LastStatusUpdateAt+600_000)
					}
				}
				return got
			}
			if got := names(); len(got) != 0 {
				t.Errorf("before any reminder is due: %q, want none", got)
			}
			advance(10 * time.Minute) // Late's reminder is due this very millisecond
			if diff := cmp.Diff([]string{"Late"}, names()); diff != "" {
				t.Errorf("after 10 minutes (-want +got):\n%s", diff)
			}
			advance(2 * time.Hour)
			if diff := cmp.Diff([]string{"Late", "Later"}, names()); diff != "" {
				t.Errorf("after 2 hours (-want +got):\n%s", diff)
			}
			// A new status update puts the run back on time.
			if _, err := svc.UpdateStatus(ctx, alice, late.ID, "better", 600); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"Later"}, names()); diff != "" {
				t.Errorf("after Late's new update (-want +got):\n%s", diff)
			}
			if _, err := svc.OverdueStatusUpdates(ctx, alice, bot.NewID()); bot.ErrorCode(err) != bot.EForbidden {
				t.Errorf("another team: error %v, want forbidden", err)
			}
		})
	}
}
