package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// refresh calls RefreshPost with a show that records the run it got and
// returns postID, err.
func refresh(t *testing.T, db *store.DB, id string, force bool, postID string, err error) (bot.Run, bool) {
	t.Helper()
	var got bot.Run
	called, gotErr := db.RefreshPost(context.Background(), id, force, func(r bot.Run) (string, error) {
		got = r
		return postID, err
	})
	if !errors.Is(gotErr, err) {
		t.Fatalf("refresh post of %s: error %v, want %v", id, gotErr, err)
	}
	return got, called
}

func TestRefreshPost(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		if err := db.CreateRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
		// A new run has no post: show is called, and its post recorded.
		got, called := refresh(t, db, "run1", false, "p1", nil)
		if !called || got.ID != "run1" || got.ChecklistPostID != "" || got.Name != "Outage" {
			t.Fatalf("first refresh: called %v with %+v, want the run without a post", called, got)
		}
		if s, _ := db.RunState(ctx, "run1"); s.ChecklistPostID != "p1" {
			t.Fatalf("post recorded %q, want p1", s.ChecklistPostID)
		}
		// Nothing changed: the post shows the run already.
		if _, called := refresh(t, db, "run1", false, "p2", nil); called {
			t.Fatal("refresh of a run its post shows: show called")
		}
		// force rewrites it all the same.
		if _, called := refresh(t, db, "run1", true, "", nil); !called {
			t.Fatal("forced refresh: show not called")
		}
		// A write of the run is a new version to show; "" keeps the post.
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			r.Name = "Outage 2"
			return bot.RunChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		// A failed show records nothing: the next refresh shows it again.
		boom := errors.New("chat down")
		if _, called := refresh(t, db, "run1", false, "", boom); !called {
			t.Fatal("refresh after a change: show not called")
		}
		got, called = refresh(t, db, "run1", false, "", nil)
		if !called || got.Name != "Outage 2" || got.ChecklistPostID != "p1" {
			t.Fatalf("refresh after a failed one: called %v with %+v, want the changed run with post p1", called, got)
		}
		if _, called := refresh(t, db, "run1", false, "p3", nil); called {
			t.Fatal("refresh of a run its post shows: show called")
		}
		if s, _ := db.RunState(ctx, "run1"); s.ChecklistPostID != "p1" {
			t.Fatalf("post %q, want p1 kept", s.ChecklistPostID)
		}
		// Recording the post is not a write of the run: UpdateRun keeps it.
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) { return bot.RunChange{}, nil }); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.RunState(ctx, "run1"); s.ChecklistPostID != "p1" {
			t.Fatalf("post %q after an update, want p1", s.ChecklistPostID)
		}
		_, err := db.RefreshPost(ctx, "nope", false, func(bot.Run) (string, error) {
			t.Fatal("show called for a missing run")
			return "", nil
		})
		wantCode(t, err, bot.ENotFound)
	})
}

// TestRefreshPostLock checks, on two connection pools (two replicas), that
// refreshes of one run take turns, that the run can be changed while one
// is in its chat call, and that the refresh that waited shows that change.
func TestRefreshPostLock(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := storetest.MigratedURL(t, kind)
			var dbs [2]*store.DB
			for i := range dbs {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				dbs[i] = db
			}
			if err := dbs[0].CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil); err != nil {
				t.Fatal(err)
			}
			var (
				mu    sync.Mutex
				order []string
			)
			note := func(s string) {
				mu.Lock()
				defer mu.Unlock()
				order = append(order, s)
			}
			inA, releaseA := make(chan struct{}), make(chan struct{})
			doneA := make(chan error, 1)
			go func() {
				_, err := dbs[0].RefreshPost(ctx, "run1", false, func(bot.Run) (string, error) {
					note("A in")
					close(inA)
					<-releaseA
					note("A out")
					return "p1", nil
				})
				doneA <- err
			}()
			<-inA
			// A is in its chat call: the run can be changed meanwhile.
			if _, err := dbs[1].UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
				r.Name = "Outage 2"
				return bot.RunChange{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			var gotB bot.Run
			doneB := make(chan error, 1)
			go func() {
				_, err := dbs[1].RefreshPost(ctx, "run1", false, func(r bot.Run) (string, error) {
					note("B in")
					gotB = r
					return "", nil
				})
				doneB <- err
			}()
			time.Sleep(50 * time.Millisecond) // let B reach the lock, if it would pass it
			close(releaseA)
			if err := <-doneA; err != nil {
				t.Fatal(err)
			}
			if err := <-doneB; err != nil {
				t.Fatal(err)
			}
			if want := []string{"A in", "A out", "B in"}; !slices.Equal(order, want) {
				t.Fatalf("order %v, want %v", order, want)
			}
			if gotB.Name != "Outage 2" || gotB.ChecklistPostID != "p1" {
				t.Fatalf("B showed %q with post %q, want the change and A's post p1", gotB.Name, gotB.ChecklistPostID)
			}
		})
	}
}

func TestEnqueueJob(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil); err != nil {
			t.Fatal(err)
		}
		enqueue := func(id string, now int64, want bool) {
			t.Helper()
			j := testJob(id, bot.JobShow, 100)
			j.RunID = "run1"
			got, err := db.EnqueueJob(ctx, j, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("enqueue %s at %d: inserted %v, want %v", id, now, got, want)
			}
		}
		enqueue("s1", 10, true)
		enqueue("s2", 10, false) // s1 waits: coalesced
		jobs, err := db.ClaimJobs(ctx, "a", 100, 100, bot.Leases{bot.JobShow: 500}, 10)
		if err != nil || len(jobs) != 1 || jobs[0].ID != "s1" {
			t.Fatalf("claim: %v %v, want s1", jobs, err)
		}
		enqueue("s3", 200, true)  // s1 is in hand: it may have read the run already
		enqueue("s4", 200, false) // s3 waits
		if err := db.CompleteJob(ctx, "s1", "a", 300); err != nil {
			t.Fatal(err)
		}
		enqueue("s5", 300, false) // s3 still waits
		want := map[string]string{"s1": bot.JobDone, "s3": bot.JobPending}
		if got := jobStates(t, db, "run1"); !maps.Equal(got, want) {
			t.Fatalf("jobs %v, want %v", got, want)
		}
	})
}

// TestStalePosts checks which runs the sweep refreshes: those with a
// channel, changed in the window (a timeline event recorded in it), whose
// checklist post is missing or behind the run, and whose refresh nobody
// owes yet (no pending refresh job).
func TestStalePosts(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		create := func(id string, channel bool, eventAt int64) {
			t.Helper()
			r := testRun(id, "team1", id, "u1")
			if !channel {
				r.ChannelID = ""
			}
			ev := testEvent(id+"-created", eventAt, eventAt)
			ev.RunID = id
			if err := db.CreateRun(ctx, r, []bot.TimelineEvent{ev}); err != nil {
				t.Fatal(err)
			}
		}
		show := func(id string) {
			t.Helper()
			if _, err := db.RefreshPost(ctx, id, false, func(bot.Run) (string, error) { return "post-" + id, nil }); err != nil {
				t.Fatal(err)
			}
		}
		create("noPost", true, 5000)     // in the window, never posted: stale
		create("shown", true, 5000)      // in the window, post up to date
		create("behind", true, 5000)     // in the window, changed since its post
		create("noChannel", false, 5000) // no chat platform: nothing to show
		create("old", true, 100)         // changed before the window
		create("owed", true, 5000)       // stale, but a refresh job is pending
		for _, id := range []string{"shown", "behind", "old", "owed"} {
			show(id)
		}
		if _, err := db.UpdateRun(ctx, "behind", func(r *bot.Run) (bot.RunChange, error) {
			r.Name = "renamed"
			return bot.RunChange{Events: []bot.TimelineEvent{{ID: "behind-renamed", RunID: "behind", CreateAt: 6000, EventAt: 6000,
				EventType: bot.EventItemUpdated, Summary: "renamed"}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateRun(ctx, "owed", func(r *bot.Run) (bot.RunChange, error) {
			r.Name = "renamed"
			j := testJob("owed-refresh", bot.JobShow, 9000)
			return bot.RunChange{Jobs: []bot.Job{j}, Events: []bot.TimelineEvent{{ID: "owed-renamed", RunID: "owed", CreateAt: 6000,
				EventAt: 6000, EventType: bot.EventItemUpdated, Summary: "renamed"}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := db.StalePosts(ctx, 1000, 10000, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"behind", "noPost"}, got); diff != "" {
			t.Errorf("stale posts (-want +got):\n%s", diff)
		}
		if got, _ := db.StalePosts(ctx, 1000, 10000, 1); len(got) != 1 {
			t.Errorf("with a limit of 1: %v", got)
		}
		if got, _ := db.StalePosts(ctx, 7000, 10000, 10); len(got) != 0 {
			t.Errorf("changed before the window: %v, want none", got)
		}
	})
}
