package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// limitedChat is a chat platform whose Post refuses the next `refuse`
// posts with a rate limit (Retry-After 30 s), as Slack's 429 does, and
// records the others.
type limitedChat struct {
	*postingChat
	mu     sync.Mutex
	refuse int
	calls  int
}

func (c *limitedChat) Post(ctx context.Context, channelID, message string) (string, error) {
	c.mu.Lock()
	c.calls++
	refused := c.refuse > 0
	if refused {
		c.refuse--
	}
	c.mu.Unlock()
	if refused {
		return "", bot.RateLimitedf(30*time.Second, "rate limited: try again in 30s")
	}
	return c.postingChat.Post(ctx, channelID, message)
}

// TestStatusUpdateRateLimited checks that a status update's posts refused
// by the chat platform's rate limit are not dropped: they are retried by
// the dispatcher, no sooner than the platform asked, in the run's channel
// and its broadcast channel alike.
func TestStatusUpdateRateLimited(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			clock := chattest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
			chat := &limitedChat{postingChat: newPostingChat()}
			db := storetest.Open(t, kind)
			svc := bot.NewService(bot.Config{Store: db, Chat: chat, Now: clock.Now})
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{},
				BroadcastChannelIDs: []string{"broadcastchannel0000000000"}})
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "Outage", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			chat.mu.Lock()
			chat.refuse = 2 // the run channel's post and the broadcast's
			chat.mu.Unlock()
			if _, err := svc.UpdateStatus(ctx, admin, r.ID, "Rolled back", 0); err != nil {
				t.Fatalf("a status update whose posts were rate-limited: %v", err)
			}
			if got := chat.count(r.ChannelID); got != 0 {
				t.Fatalf("%d posts in the run's channel while the platform refused them", got)
			}
			jobs, err := db.Jobs(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var pending []bot.Job
			for _, j := range jobs {
				if j.Kind == bot.JobPost {
					pending = append(pending, j)
				}
			}
			if len(pending) != 2 {
				t.Fatalf("%d message jobs, want 2 (run channel, broadcast): %+v", len(pending), jobs)
			}
			for _, j := range pending {
				if j.State != bot.JobPending || j.ClaimedBy != "" || j.DueAt < clock.Now().Add(30*time.Second).UnixMilli() {
					t.Errorf("message job %s: state %s, claimed by %q, due in %v; want pending, released, due in 30s or more",
						j.ID, j.State, j.ClaimedBy, time.UnixMilli(j.DueAt).Sub(clock.Now()))
				}
			}

			dctx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			defer func() {
				cancel()
				wg.Wait()
			}()
			d, err := bot.NewDispatcher(bot.DispatcherConfig{Service: svc, Poll: 10 * time.Millisecond, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { d.Run(dctx) })
			time.Sleep(100 * time.Millisecond) // the dispatcher runs, and must not post early
			chat.mu.Lock()
			calls := chat.calls
			chat.mu.Unlock()
			if got := calls; got != 2 {
				t.Fatalf("the platform was asked %d times before its Retry-After ran out, want 2", got)
			}
			clock.Advance(31 * time.Second)
			eventually(t, "the posts retried", func() bool {
				return chat.count(r.ChannelID) == 1 && chat.count("broadcastchannel0000000000") == 1
			})
		})
	}
}

// count returns how many messages were posted in a channel.
func (c *postingChat) count(channelID string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.posts[channelID])
}

// diesBeforePosting is the store of a replica that dies right after it
// commits a status update: it cannot record what became of its posts.
type diesBeforePosting struct {
	bot.Store
}

func (diesBeforePosting) CompleteJob(context.Context, string, string, int64) error {
	return errors.New("killed")
}

func (diesBeforePosting) RetryJob(context.Context, string, string, int64, string) error {
	return errors.New("killed")
}

// TestStatusUpdateReplicaDies checks that a status update committed by a
// replica that dies before its posts are made is posted all the same, by
// another replica's dispatcher once the dead one's hold on them ends.
func TestStatusUpdateReplicaDies(t *testing.T) {
	ctx := context.Background()
	clock := chattest.NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	db := storetest.Open(t, storetest.Postgres)
	alive := newPostingChat()
	svc := bot.NewService(bot.Config{Store: db, Chat: alive, Now: clock.Now})
	admin := bot.Actor{UserID: bot.NewID(), Admin: true}
	pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "Outage", PlaybookID: pb.ID})
	if err != nil {
		t.Fatal(err)
	}
	// The dying replica never reaches the platform: its Post fails as the
	// process would, had it died before posting.
	dying := bot.NewService(bot.Config{Store: diesBeforePosting{db}, Chat: &limitedChat{postingChat: newPostingChat(), refuse: 1}, Now: clock.Now})
	if _, err := dying.UpdateStatus(ctx, admin, r.ID, "Rolled back", 0); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	d, err := bot.NewDispatcher(bot.DispatcherConfig{Service: svc, Poll: 10 * time.Millisecond, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { d.Run(dctx) })
	time.Sleep(100 * time.Millisecond)
	if n := alive.count(r.ChannelID); n != 0 {
		t.Fatalf("the status update was posted %d times while the dead replica still held it", n)
	}
	clock.Advance(31 * time.Second) // the dead replica's hold ends
	eventually(t, "the posts retried", func() bool {
		return alive.count(r.ChannelID) == 1
	})
}
