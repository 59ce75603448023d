package bot_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// showingChat is a chat platform whose ShowRun the test controls: it
// counts calls, records the last run shown, and may be held (every call
// waits until released) or refuse with an error.
type showingChat struct {
	bot.NoChat
	calls atomic.Int64
	mu    sync.Mutex
	last  bot.Run
	hold  chan struct{} // when not nil, ShowRun waits for it to close
	fail  error
}

func (c *showingChat) CreateChannel(context.Context, bot.NewChannel) (string, error) {
	return "ch" + bot.NewID()[2:], nil
}

func (c *showingChat) ShowRun(ctx context.Context, r bot.Run) (string, error) {
	c.calls.Add(1)
	c.mu.Lock()
	hold, fail := c.hold, c.fail
	c.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if fail != nil {
		return "", fail
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = r
	if r.ChecklistPostID != "" {
		return r.ChecklistPostID, nil
	}
	return "post" + bot.NewID()[4:], nil
}

func (c *showingChat) lastShown() bot.Run {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// newRefreshRun starts a run of 20 items on a Service over chat.
func newRefreshRun(t *testing.T, kind string, chat bot.Chat, clock *chattest.Clock) (*bot.Service, bot.Run, bot.Store) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, kind)
	svc := bot.NewService(bot.Config{Store: db, Chat: chat, Now: clock.Now})
	admin := bot.Actor{UserID: bot.NewID(), Admin: true}
	items := make([]bot.ChecklistItem, 20)
	for i := range items {
		items[i].Title = "Step"
	}
	pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6",
		Checklists: []bot.Checklist{{Title: "Steps", Items: items}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "Outage", PlaybookID: pb.ID})
	if err != nil {
		t.Fatal(err)
	}
	if r.ChecklistPostID == "" {
		t.Fatal("the run has no checklist post")
	}
	return svc, r, db
}

// TestChangesDoNotWaitForThePost checks that changes made while a refresh
// of their run's post is in flight are answered at once, and that one
// refresh then carries all of them: the post ends showing every change,
// after far fewer rewrites than changes.
func TestChangesDoNotWaitForThePost(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			chat := &showingChat{}
			svc, r, _ := newRefreshRun(t, kind, chat, chattest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)))
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}

			hold := make(chan struct{})
			chat.mu.Lock()
			chat.hold = hold
			chat.mu.Unlock()
			before := chat.calls.Load()
			// The first change starts a refresh, which Slack or Mattermost
			// holds: it waits for it at most its PostWait (1 s). The others
			// come while it is in flight: none waits for it.
			var wg sync.WaitGroup
			wg.Go(func() {
				if _, err := svc.ToggleItem(ctx, admin, r.ID, 0, 0); err != nil {
					t.Error(err)
				}
			})
			for chat.calls.Load() == before {
				time.Sleep(time.Millisecond) // the refresh is in flight, held
			}
			for i := 1; i < 20; i++ {
				wg.Go(func() {
					if _, err := svc.ToggleItem(ctx, admin, r.ID, 0, i); err != nil {
						t.Error(err)
					}
				})
			}
			done := make(chan struct{})
			go func() {
				wg.Wait()
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				close(hold)
				t.Fatal("changes made while a refresh was in flight waited for it")
			}
			close(hold)
			if err := svc.SettlePosts(ctx); err != nil {
				t.Fatal(err)
			}
			calls := chat.calls.Load() - before
			if calls < 1 || calls > 3 {
				t.Errorf("20 changes made %d refreshes, want 1 to 3 (the held one, then one for all the rest)", calls)
			}
			for i, it := range chat.lastShown().Checklists[0].Items {
				if it.State != bot.ItemClosed {
					t.Errorf("the post shows item %d %q, want it checked", i, it.State)
				}
			}
		})
	}
}

// TestRefreshHonoursRetryAfter checks that a refresh the platform refused
// with a rate limit is retried no sooner than it asked: its job is due
// then, and changes made meanwhile do not call the platform.
func TestRefreshHonoursRetryAfter(t *testing.T) {
	ctx := context.Background()
	clock := chattest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	chat := &showingChat{}
	svc, r, db := newRefreshRun(t, storetest.Postgres, chat, clock)
	admin := bot.Actor{UserID: bot.NewID(), Admin: true}
	chat.mu.Lock()
	chat.fail = bot.RateLimitedf(30*time.Second, "rate limited")
	chat.mu.Unlock()
	before := chat.calls.Load()
	for i := range 5 {
		if _, err := svc.ToggleItem(ctx, admin, r.ID, 0, i); err != nil {
			t.Fatal(err)
		}
		if err := svc.SettlePosts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if calls := chat.calls.Load() - before; calls != 1 {
		t.Errorf("5 changes within the rate limit's 30 s called the platform %d times, want 1", calls)
	}
	jobs, err := db.Jobs(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var found int
	for _, j := range jobs {
		if j.Kind != bot.JobShow {
			continue
		}
		found++
		if wait := time.UnixMilli(j.DueAt).Sub(clock.Now()); wait < 30*time.Second {
			t.Errorf("the refresh job is due in %v, want 30s or more (the platform's Retry-After)", wait)
		}
	}
	if found != 1 {
		t.Fatalf("%d refresh jobs, want 1", found)
	}
}
