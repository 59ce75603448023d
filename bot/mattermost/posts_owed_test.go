package mattermost_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// diesAfterCommit is the store of a replica that is killed right after it
// commits a change: nothing it would do after the commit is ever done. Its
// refresh of the post never ends, and it cannot leave the refresh to a
// job either.
type diesAfterCommit struct {
	bot.Store
	dead chan struct{} // closed at the end of the test, to let go of the refresh
}

func (s diesAfterCommit) RefreshPost(ctx context.Context, id string, force bool, show func(bot.Run) (string, error)) (bool, error) {
	<-s.dead
	return false, errors.New("killed")
}

func (s diesAfterCommit) EnqueueJob(context.Context, bot.Job, int64) (bool, error) {
	return false, errors.New("killed")
}

// TestChecklistPostAfterReplicaDies checks that a change committed by a
// replica that dies before it refreshes the run's checklist post still
// reaches the post: another replica's dispatcher finds the post behind
// the run (its sweep) and refreshes it, with no further change.
func TestChecklistPostAfterReplicaDies(t *testing.T) {
	rs := newReplicas(t)
	r := rs.startRun(t)
	if msg := rs.stale(t, r.ID); msg != "" {
		t.Fatalf("before the change: %s", msg)
	}
	dead := make(chan struct{})
	t.Cleanup(func() { close(dead) })
	dying := bot.NewService(bot.Config{Store: diesAfterCommit{Store: rs.dbs[1], dead: dead}, Chat: rs.e.client,
		Logger: rs.logger, PostWait: -1})
	if _, err := dying.ToggleItem(context.Background(), rs.e.admin, r.ID, 0, 1); err != nil {
		t.Fatalf("toggle on the replica that dies: %v", err)
	}
	if msg := rs.stale(t, r.ID); msg == "" {
		t.Fatal("the post shows the change its replica never refreshed")
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	d, err := bot.NewDispatcher(bot.DispatcherConfig{
		Service: rs.svcs[0], Owner: "survivor", Poll: 20 * time.Millisecond, Logger: rs.logger,
		SweepEvery: 100 * time.Millisecond, SweepGrace: 200 * time.Millisecond, SweepWindow: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { d.Run(ctx) })
	eventually(t, 20*time.Second, func() string { return rs.stale(t, r.ID) })
}

// TestChecklistPostAfterLongOutage checks that a checklist post catches up
// after a chat outage of more than an hour (on the dispatcher's clock):
// its refresh is retried as long as it takes, never given up, and at most
// a minute apart, so it lands within a minute of Mattermost's return.
func TestChecklistPostAfterLongOutage(t *testing.T) {
	// One replica, on the test's clock throughout: the Service's (due
	// times), the dispatcher's and Mattermost's.
	e := newEnv(t, storetest.Postgres, func(e *env, c *bot.Config) { c.Now = e.clock.Now })
	rs := &replicas{e: e, dbs: [2]*store.DB{e.db}, logger: slog.New(slog.NewTextHandler(e.logs, nil))}
	r := rs.startRun(t)
	var mu sync.Mutex
	down := true
	e.mm.SetPostFault(func(*http.Request) mmtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return mmtest.Fault{Status: http.StatusServiceUnavailable}
		}
		return mmtest.Fault{}
	})
	ctx := context.Background()
	if _, err := e.svc.ToggleItem(ctx, e.admin, r.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SettlePosts(ctx); err != nil {
		t.Fatal(err)
	}

	dctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	d, err := bot.NewDispatcher(bot.DispatcherConfig{
		Service: e.svc, Owner: "replica", Poll: 10 * time.Millisecond, Now: e.clock.Now, Logger: rs.logger,
		Backoff: func(n int) time.Duration { return bot.Backoff(n, func() float64 { return 1 }) },
	})
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { d.Run(dctx) })

	// refreshJob returns the run's refresh job: one, retried in place.
	refreshJob := func() bot.Job {
		t.Helper()
		jobs, err := rs.dbs[0].Jobs(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var found []bot.Job
		for _, j := range jobs {
			if j.Kind == bot.JobShow {
				found = append(found, j)
			}
		}
		if len(found) != 1 {
			t.Fatalf("the run has %d refresh jobs, want 1: %+v", len(found), found)
		}
		return found[0]
	}
	// Seventy minutes of outage, a minute at a time: each minute the job is
	// due again (its backoff is capped at a minute) and fails again.
	start := e.clock.Now()
	for e.clock.Now().Sub(start) < 70*time.Minute {
		before := refreshJob().Attempts
		e.clock.Advance(time.Minute)
		eventually(t, 10*time.Second, func() string {
			switch j := refreshJob(); {
			case j.State != bot.JobPending:
				return "the refresh job is " + j.State + " after " + e.clock.Now().Sub(start).String() + " of outage: " + j.LastError
			case j.Attempts == before:
				return "the refresh job was not tried again within a minute"
			}
			return ""
		})
	}
	if j := refreshJob(); j.Attempts <= bot.MaxWebhookAttempts {
		t.Fatalf("after 70 minutes the refresh was tried %d times, want more than %d", j.Attempts, bot.MaxWebhookAttempts)
	}
	if msg := rs.stale(t, r.ID); msg == "" {
		t.Fatal("the post is up to date while Mattermost refuses every post write")
	}
	mu.Lock()
	down = false
	mu.Unlock()
	e.clock.Advance(time.Minute)
	eventually(t, 10*time.Second, func() string { return rs.stale(t, r.ID) })
	eventually(t, 10*time.Second, func() string { // its outcome is recorded after the post is written
		if j := refreshJob(); j.State != bot.JobDone {
			return "the refresh job is " + j.State + " once the post caught up, want " + bot.JobDone
		}
		return ""
	})
}

// TestChecklistPostRateLimited checks that a checklist post refresh that
// Mattermost's rate limiter refused (429, Retry-After) is retried no
// sooner than it asked, however many changes come meanwhile.
func TestChecklistPostRateLimited(t *testing.T) {
	e := newEnv(t, storetest.Postgres, func(e *env, c *bot.Config) { c.Now = e.clock.Now })
	rs := &replicas{e: e, dbs: [2]*store.DB{e.db}}
	r := rs.startRun(t)
	var mu sync.Mutex
	n := 0
	e.mm.SetPostFault(func(*http.Request) mmtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		n++
		return mmtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second}
	})
	ctx := context.Background()
	for i := range 3 {
		if _, err := e.svc.ToggleItem(ctx, e.admin, r.ID, 0, i); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SettlePosts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	tried := n
	mu.Unlock()
	if tried != 1 {
		t.Errorf("3 changes within Mattermost's Retry-After of 30 s made %d post writes, want 1", tried)
	}
	jobs, err := e.db.Jobs(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == bot.JobShow {
			if wait := time.UnixMilli(j.DueAt).Sub(e.clock.Now()); wait < 30*time.Second {
				t.Errorf("the refresh is retried in %v, want 30s or more (Mattermost's Retry-After)", wait)
			}
			return
		}
	}
	t.Fatal("no refresh job after a refused refresh")
}
