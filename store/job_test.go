package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

func testJob(id, kind string, dueAt int64) bot.Job {
	return bot.Job{ID: id, Kind: kind, DueAt: dueAt, Payload: `{"n":"` + id + `"}`, CreateAt: 1}
}

// jobStates maps the run's job IDs to their states.
func jobStates(t *testing.T, db *store.DB, runID string) map[string]string {
	t.Helper()
	jobs, err := db.Jobs(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, j := range jobs {
		m[j.ID] = j.State
	}
	return m
}

func claimIDs(t *testing.T, db *store.DB, owner string, now, lease int64, n int) []string {
	t.Helper()
	jobs, err := db.ClaimJobs(context.Background(), owner, now, lease, n)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, j := range jobs {
		if j.ClaimedBy != owner || j.LeaseUntil != lease {
			t.Errorf("claimed job %s has owner %q lease %d, want %q %d", j.ID, j.ClaimedBy, j.LeaseUntil, owner, lease)
		}
		ids = append(ids, j.ID)
	}
	return ids
}

func TestJobLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		err := db.CreateRun(ctx, r, nil,
			testJob("j1", bot.JobWebhook, 100), testJob("j2", bot.JobReminder, 200), testJob("j3", bot.JobWebhook, 300))
		if err != nil {
			t.Fatal(err)
		}
		// Nothing is due before 100; then only what is due, oldest first.
		if got := claimIDs(t, db, "a", 99, 1000, 10); len(got) != 0 {
			t.Fatalf("claimed %v at 99, want nothing", got)
		}
		if diff := cmp.Diff([]string{"j1", "j2"}, claimIDs(t, db, "a", 250, 1000, 10)); diff != "" {
			t.Fatalf("claim at 250 (-want +got):\n%s", diff)
		}
		// Claimed jobs are not claimed again while the lease runs.
		if diff := cmp.Diff([]string{"j3"}, claimIDs(t, db, "b", 500, 1500, 10)); diff != "" {
			t.Fatalf("claim by b at 500 (-want +got):\n%s", diff)
		}
		if err := db.CompleteJob(ctx, "j1", "a", 600); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryJob(ctx, "j3", "b", 700, "HTTP 500"); err != nil {
			t.Fatal(err)
		}
		// a's lease on j2 ends at 1000: b takes it over, and a may no longer
		// complete it.
		if got := claimIDs(t, db, "b", 999, 2000, 10); len(got) != 1 || got[0] != "j3" {
			t.Fatalf("claim by b at 999 = %v, want [j3] (retried, due at 700)", got)
		}
		if diff := cmp.Diff([]string{"j2"}, claimIDs(t, db, "b", 1000, 2000, 10)); diff != "" {
			t.Fatalf("claim by b at 1000 (-want +got):\n%s", diff)
		}
		wantCode(t, db.CompleteJob(ctx, "j2", "a", 1001), bot.EConflict)
		if err := db.CompleteJob(ctx, "j2", "b", 1001); err != nil {
			t.Fatal(err)
		}
		if err := db.FailJob(ctx, "j3", "b", 1002, "HTTP 410"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CompleteJob(ctx, "j3", "b", 1003), bot.EConflict)
		jobs, err := db.Jobs(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bot.Job{}
		for _, j := range jobs {
			got[j.ID] = j
		}
		if j := got["j1"]; j.State != bot.JobDone || j.DoneAt != 600 || j.Attempts != 0 {
			t.Errorf("j1 = %+v, want done at 600 with 0 failed attempts", j)
		}
		if j := got["j3"]; j.State != bot.JobFailed || j.Attempts != 2 || j.LastError != "HTTP 410" || j.DueAt != 700 {
			t.Errorf("j3 = %+v, want failed after 2 attempts, last error HTTP 410, due at 700", j)
		}
		if j := got["j2"]; j.State != bot.JobDone || j.ClaimedBy != "b" || j.Payload != `{"n":"j2"}` {
			t.Errorf("j2 = %+v, want done by b with its payload", j)
		}
		for i, a := range []bot.JobAttempt{{JobID: "j3", Attempt: 1, At: 650, Status: 500, Error: "HTTP 500"}, {JobID: "j3", Attempt: 2, At: 1001, Status: 410, Error: "HTTP 410"}} {
			if err := db.RecordAttempt(ctx, a); err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		atts, err := db.JobAttempts(ctx, "j3")
		if err != nil {
			t.Fatal(err)
		}
		if len(atts) != 2 || atts[1].Status != 410 || atts[0].Error != "HTTP 500" {
			t.Errorf("attempts of j3 = %+v", atts)
		}
	})
}

func TestJobCancel(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		if err := db.CreateRun(ctx, r, nil, testJob("r1", bot.JobReminder, 100), testJob("w1", bot.JobWebhook, 100)); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateRun(ctx, testRun("run2", "team1", "Other", "u1"), nil, testJob("r2", bot.JobReminder, 100)); err != nil {
			t.Fatal(err)
		}
		// A new reminder replaces the pending one, in one change.
		_, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			return bot.RunChange{CancelJobs: []string{bot.JobReminder}, Jobs: []bot.Job{testJob("r3", bot.JobReminder, 200)}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"r1": bot.JobCancelled, "w1": bot.JobPending, "r3": bot.JobPending}
		if diff := cmp.Diff(want, jobStates(t, db, "run1")); diff != "" {
			t.Errorf("run1 jobs (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"r2": bot.JobPending}, jobStates(t, db, "run2")); diff != "" {
			t.Errorf("run2 jobs (-want +got):\n%s", diff)
		}
		// A claimed job cancelled meanwhile cannot be completed.
		if got := claimIDs(t, db, "a", 300, 1000, 10); len(got) != 3 {
			t.Fatalf("claimed %v, want w1, r2, r3", got)
		}
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			return bot.RunChange{CancelJobs: []string{bot.JobReminder}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CompleteJob(ctx, "r3", "a", 400), bot.EConflict)
		// An aborted change cancels nothing and inserts nothing.
		_, err = db.UpdateRun(ctx, "run2", func(r *bot.Run) (bot.RunChange, error) {
			return bot.RunChange{CancelJobs: []string{bot.JobReminder}, Jobs: []bot.Job{testJob("x", bot.JobReminder, 1)}}, bot.Errorf(bot.EInvalid, "no")
		})
		wantCode(t, err, bot.EInvalid)
		if diff := cmp.Diff(map[string]string{"r2": bot.JobPending}, jobStates(t, db, "run2")); diff != "" {
			t.Errorf("run2 jobs after an aborted change (-want +got):\n%s", diff)
		}
	})
}

// TestClaimJobsConcurrently claims from two connection pools at once: every
// job is claimed exactly once.
func TestClaimJobsConcurrently(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := storetest.URL(t, kind)
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			if err := dbs[0].Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			const n = 500
			jobs := make([]bot.Job, n)
			for i := range jobs {
				jobs[i] = testJob(fmt.Sprintf("j%04d", i), bot.JobWebhook, int64(i))
			}
			if err := dbs[0].CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil, jobs...); err != nil {
				t.Fatal(err)
			}
			var (
				mu     sync.Mutex
				counts = map[string]int{}
				wg     sync.WaitGroup
			)
			for w := range 8 {
				db := dbs[w%2]
				owner := fmt.Sprintf("w%d", w)
				wg.Go(func() {
					for {
						got, err := db.ClaimJobs(ctx, owner, n, 1e12, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, j := range got {
							counts[j.ID]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(counts) != n {
				t.Errorf("claimed %d distinct jobs, want %d", len(counts), n)
			}
			for id, c := range counts {
				if c != 1 {
					t.Errorf("job %s claimed %d times, want 1", id, c)
				}
			}
		})
	}
}
