package mattermost_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// replicas is two bots (Service, Client, store connection pool of their
// own) on one Postgres schema and one Mattermost: two replicas of serve.
type replicas struct {
	e      *env
	svcs   [2]*bot.Service
	dbs    [2]*store.DB
	logger *slog.Logger
	token1 string // replica 1's bot token
}

// newReplicas starts e (replica 0) and a second replica on e's database
// and Mattermost, with a store of its own (its own connection pool).
func newReplicas(t testing.TB) *replicas {
	t.Helper()
	ctx := context.Background()
	url := storetest.MigratedURL(t, storetest.Postgres)
	open := func() *store.DB {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		return db
	}
	rs := &replicas{}
	rs.dbs[0] = open()
	rs.e = newEnv(t, storetest.Postgres, func(e *env, c *bot.Config) {
		e.db = rs.dbs[0]
		c.Store = rs.dbs[0]
	})
	e := rs.e
	rs.logger = slog.New(slog.NewTextHandler(e.logs, nil))
	rs.token1 = e.mm.AddToken(e.bot.Id)
	client, err := mattermost.NewClient(mattermost.Config{
		URL: e.mm.URL, BotToken: rs.token1, Signer: e.signer, PublicURL: e.botURL,
		Logger: rs.logger, Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	rs.dbs[1] = open()
	rs.svcs[0] = e.svc
	rs.svcs[1] = bot.NewService(bot.Config{Store: rs.dbs[1], Chat: client, Logger: rs.logger})
	return rs
}

// startRun starts a run of e's playbook owned by alice.
func (rs *replicas) startRun(t testing.TB) bot.Run {
	t.Helper()
	r, err := rs.e.svc.CreateRun(context.Background(), rs.e.admin, bot.NewRun{
		Name: "Database down", PlaybookID: rs.e.playbook(t).ID, OwnerUserID: rs.e.alice.Id})
	if err != nil {
		t.Fatalf("create run: %v", err)
	}
	return r
}

// toggle toggles n items of r at once, spread over both replicas (toggle
// i on replica i%2) and over r's items, each toggle as one click; toggle i
// starts i×stagger after the first.
func (rs *replicas) toggle(t *testing.T, r bot.Run, n int, stagger time.Duration) {
	t.Helper()
	var items []string
	for _, cl := range r.Checklists {
		for _, it := range cl.Items {
			items = append(items, it.ID)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * stagger)
			_, err := rs.svcs[i%2].ToggleItemByID(context.Background(), rs.e.admin, r.ID, items[i%len(items)])
			if err != nil {
				errs <- fmt.Errorf("toggle %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checklistPosts returns the run's checklist posts in its channel.
func (rs *replicas) checklistPosts(r bot.Run) []*model.Post {
	var out []*model.Post
	for _, p := range rs.e.mm.Posts(r.ChannelID) {
		if p.GetProp(mattermost.ChecklistProp) == r.ID {
			out = append(out, p)
		}
	}
	return out
}

// shown is what a checklist post shows of a run: its attachments' texts
// and buttons (their names, not their signed tokens).
func shown(p *model.Post) string {
	var b strings.Builder
	b.WriteString(p.Message + "\n")
	for _, a := range p.Attachments() {
		fmt.Fprintf(&b, "%s\n%s\n%s\n", a.Pretext, a.Title, a.Text)
		for _, ac := range a.Actions {
			fmt.Fprintf(&b, "[%s]", ac.Name)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// stale returns "" when the channel of r holds exactly one checklist post
// and it shows the run as stored, else what differs.
func (rs *replicas) stale(t testing.TB, runID string) string {
	t.Helper()
	ctx := context.Background()
	r, err := rs.dbs[0].RunState(ctx, runID)
	if err != nil {
		t.Fatalf("read run: %v", err)
	}
	posts := rs.checklistPosts(r)
	if len(posts) != 1 {
		return fmt.Sprintf("the channel holds %d checklist posts, want 1", len(posts))
	}
	if posts[0].Id != r.ChecklistPostID {
		return fmt.Sprintf("the checklist post is %s, the run names %s", posts[0].Id, r.ChecklistPostID)
	}
	r.DetailsURL = rs.e.svc.DetailsURL(r)
	want := shown(rs.e.client.ChecklistPost(ctx, r))
	if diff := cmp.Diff(want, shown(posts[0])); diff != "" {
		return "the checklist post does not show the stored run (-stored +shown):\n" + diff
	}
	return ""
}

// eventually polls cond until it returns "" or the deadline passes, and
// fails t with its last answer then.
func eventually(t *testing.T, within time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChecklistPostAcrossReplicas checks that two replicas refreshing one
// run's checklist post at once, on a Mattermost that delays some of the
// writes, leave exactly one checklist post that shows the stored run.
//
//   - "rewrites": the run has its post; replica 0's writes are slow and the
//     toggles come one after the other, alternating replicas, so that a
//     rewrite of replica 0 showing an older state is still in flight when
//     replica 1 rewrites the post with the newest one.
//   - "first-post": the run starts without a post (Mattermost refused it);
//     all 64 toggles come at once, a random half of the writes slow, and
//     the replicas race to make the first post.
func TestChecklistPostAcrossReplicas(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noPost  bool
		stagger time.Duration
	}{{"rewrites", false, 60 * time.Millisecond}, {"first-post", true, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			rs := newReplicas(t)
			if tc.noPost {
				rs.e.mm.SetPostFault(func(*http.Request) mmtest.Fault { return mmtest.Fault{Status: http.StatusServiceUnavailable} })
			}
			r := rs.startRun(t)
			if got := r.ChecklistPostID != ""; got == tc.noPost {
				t.Fatalf("the run has checklist post %q; Mattermost refusing posts: %v", r.ChecklistPostID, tc.noPost)
			}
			var mu sync.Mutex
			rnd := rand.New(rand.NewPCG(1, 2))
			rs.e.mm.SetPostFault(func(req *http.Request) mmtest.Fault {
				mu.Lock()
				defer mu.Unlock()
				if tc.stagger > 0 {
					if strings.Contains(req.Header.Get("Authorization"), rs.token1) {
						return mmtest.Fault{}
					}
					return mmtest.Fault{Delay: time.Duration(80+rnd.IntN(60)) * time.Millisecond}
				}
				if rnd.IntN(2) == 0 {
					return mmtest.Fault{Delay: time.Duration(rnd.IntN(150)) * time.Millisecond}
				}
				return mmtest.Fault{}
			})
			rs.toggle(t, r, 64, tc.stagger)
			// A toggle returns once committed, its refresh may still be in
			// flight: polled until the post shows the stored run.
			eventually(t, 10*time.Second, func() string { return rs.stale(t, r.ID) })
		})
	}
}

// TestChecklistPostCatchesUp checks that changes made while Mattermost
// refuses every post write reach the checklist post once it recovers,
// without a further change: the refreshes that failed are retried by the
// dispatchers of both replicas. The run starts during the outage, so its
// first post is also one of them.
func TestChecklistPostCatchesUp(t *testing.T) {
	rs := newReplicas(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	for i, svc := range rs.svcs {
		d, err := bot.NewDispatcher(bot.DispatcherConfig{
			Service: svc, Owner: fmt.Sprintf("replica-%d", i), Poll: 20 * time.Millisecond,
			Backoff: func(int) time.Duration { return 100 * time.Millisecond }, Logger: rs.logger,
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { d.Run(ctx) })
	}
	down := true
	var mu sync.Mutex
	rs.e.mm.SetPostFault(func(*http.Request) mmtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return mmtest.Fault{Status: http.StatusInternalServerError}
		}
		return mmtest.Fault{}
	})
	r := rs.startRun(t)
	rs.toggle(t, r, 64, 0)
	if msg := rs.stale(t, r.ID); msg == "" {
		t.Fatal("the checklist post is up to date while Mattermost refuses every post write")
	}
	mu.Lock()
	down = false
	mu.Unlock()
	eventually(t, 30*time.Second, func() string { return rs.stale(t, r.ID) })
}
