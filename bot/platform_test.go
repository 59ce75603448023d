package bot_test

import (
	"context"
	"sync"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// recordingChat is a chat platform that records which calls reached it.
type recordingChat struct {
	bot.NoChat
	name  string
	mu    sync.Mutex
	calls []string
}

func (c *recordingChat) record(call string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call)
}

func (c *recordingChat) CreateChannel(context.Context, bot.NewChannel) (string, error) {
	c.record("CreateChannel")
	return "ch-" + c.name + "-" + bot.NewID()[:8], nil
}

func (c *recordingChat) ShowRun(_ context.Context, r bot.Run) (string, error) {
	c.record("ShowRun")
	return "post-" + c.name, nil
}

func (c *recordingChat) Post(context.Context, string, string) (string, error) {
	c.record("Post")
	return "", nil
}

func (c *recordingChat) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

// TestPlatforms checks that a run lives on the platform it was started
// from: its channel, checklist post and status posts go there and nowhere
// else; REST-started runs go to the default platform.
func TestPlatforms(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			mm, sl := &recordingChat{name: "mm"}, &recordingChat{name: "slack"}
			svc := bot.NewService(bot.Config{
				Store: storetest.Open(t, kind), Chat: mm, DefaultPlatform: "mattermost",
				Platforms: map[string]bot.Chat{"mattermost": mm, "slack": sl},
			})
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6",
				Checklists: []bot.Checklist{{Title: "C", Items: []bot.ChecklistItem{{Title: "I"}}}}})
			if err != nil {
				t.Fatal(err)
			}

			r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "From Slack", PlaybookID: pb.ID, Platform: "slack", OwnerUserID: "U024BE7LH"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Platform != "slack" || r.ChecklistPostID != "post-slack" {
				t.Errorf("run = platform %q, post %q; want slack, post-slack", r.Platform, r.ChecklistPostID)
			}
			before := mm.count()
			if _, err := svc.UpdateStatus(ctx, admin, r.ID, "all hands", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ToggleItem(ctx, admin, r.ID, 0, 0); err != nil {
				t.Fatal(err)
			}
			if mm.count() != before {
				t.Errorf("a Slack run's changes reached Mattermost: %v", mm.calls)
			}
			if got, _ := svc.Run(ctx, admin, r.ID); got.Platform != "slack" {
				t.Errorf("stored platform = %q, want slack", got.Platform)
			}

			r2, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "From REST", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			if r2.Platform != "mattermost" || r2.ChecklistPostID != "post-mm" {
				t.Errorf("REST run = platform %q, post %q; want the default, mattermost", r2.Platform, r2.ChecklistPostID)
			}

			_, err = svc.CreateRun(ctx, admin, bot.NewRun{Name: "Nowhere", PlaybookID: pb.ID, Platform: "irc"})
			if bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("unknown platform: error %v, want EInvalid", err)
			}
		})
	}
}
