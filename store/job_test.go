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

// bothKinds is a claim of either kind of job until lease.
func bothKinds(lease int64) bot.Leases {
	return bot.Leases{bot.JobWebhook: lease, bot.JobReminder: lease}
}

func claimIDs(t *testing.T, db *store.DB, owner string, now, lease int64, n int) []string {
	t.Helper()
	jobs, err := db.ClaimJobs(context.Background(), owner, now, now, bothKinds(lease), n)
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
			url := storetest.MigratedURL(t, kind)
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
						got, err := db.ClaimJobs(ctx, owner, n, n, bothKinds(1e12), 7)
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

// TestJobLeases: each kind is claimed for its own lease; a kind left out
// is not claimed; a renewal extends only the claims owner still holds,
// even once their lease ran out, and names the others as lost.
func TestJobLeases(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil,
			testJob("w1", bot.JobWebhook, 100), testJob("r1", bot.JobReminder, 100), testJob("w2", bot.JobWebhook, 100),
			testJob("w3", bot.JobWebhook, 100))
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.ClaimJobs(ctx, "a", 100, 100, bot.Leases{bot.JobReminder: 500}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != "r1" || got[0].LeaseUntil != 500 {
			t.Fatalf("claim of reminders only = %+v, want r1 until 500", got)
		}
		got, err = db.ClaimJobs(ctx, "a", 100, 100, bot.Leases{bot.JobReminder: 500, bot.JobWebhook: 3000}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != "w1" || got[0].LeaseUntil != 3000 || got[1].ID != "w2" {
			t.Fatalf("claim = %+v, want w1 and w2 until 3000", got)
		}
		// r1's lease ran out at 500 with nobody claiming it: a renewal at
		// 600 still holds. w3 was never a's.
		renewed, err := db.RenewJobs(ctx, "a", bot.Leases{bot.JobReminder: 1100, bot.JobWebhook: 3600}, []string{"r1", "w1", "w3"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"r1", "w1"}, renewed); diff != "" {
			t.Errorf("renewed (-want +got):\n%s", diff)
		}
		if got := claimIDs(t, db, "b", 1000, 5000, 10); len(got) != 1 || got[0] != "w3" {
			t.Errorf("claim by b at 1000 = %v, want [w3]: r1 renewed until 1100", got)
		}
		// b takes r1 once a's renewed lease ended; a's renewal then loses it,
		// and so does a job done meanwhile.
		if got := claimIDs(t, db, "b", 1100, 5000, 10); len(got) != 1 || got[0] != "r1" {
			t.Errorf("claim by b at 1100 = %v, want [r1]", got)
		}
		if err := db.CompleteJob(ctx, "w1", "a", 1200); err != nil {
			t.Fatal(err)
		}
		renewed, err = db.RenewJobs(ctx, "a", bothKinds(9000), []string{"r1", "w1", "w2"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"w2"}, renewed); diff != "" {
			t.Errorf("renewed after losing r1 (-want +got):\n%s", diff)
		}
		jobs := map[string]bot.Job{}
		all, err := db.Jobs(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range all {
			jobs[j.ID] = j
		}
		if j := jobs["w2"]; j.LeaseUntil != 9000 || j.ClaimedBy != "a" {
			t.Errorf("w2 = %+v, want a's until 9000", j)
		}
		if j := jobs["r1"]; j.LeaseUntil != 5000 || j.ClaimedBy != "b" {
			t.Errorf("r1 = %+v, want b's until 5000", j)
		}
	})
}

// TestCompleteRunJob: the job is marked done in the run's transaction only
// while its claimant holds it; otherwise, or when fn fails, nothing of the
// change is written.
func TestCompleteRunJob(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil,
			testJob("r1", bot.JobReminder, 100), testJob("r2", bot.JobReminder, 100), testJob("r3", bot.JobReminder, 100))
		if err != nil {
			t.Fatal(err)
		}
		if got := claimIDs(t, db, "a", 100, 1000, 10); len(got) != 3 {
			t.Fatalf("claimed %v, want 3 reminders", got)
		}
		ev := func(id string) bot.RunChange {
			return bot.RunChange{Events: []bot.TimelineEvent{{ID: id, CreateAt: 200, EventAt: 200, EventType: bot.EventReminderSent, Summary: "sent"}}}
		}
		called := false
		_, err = db.CompleteRunJob(ctx, "run1", "r1", "b", 200, func(r *bot.Run) (bot.RunChange, error) {
			called = true
			return ev("e0"), nil
		})
		wantCode(t, err, bot.EConflict)
		if called {
			t.Error("fn was called for a job its caller does not hold")
		}
		r, err := db.CompleteRunJob(ctx, "run1", "r1", "a", 200, func(r *bot.Run) (bot.RunChange, error) {
			if r.ID != "run1" {
				t.Errorf("fn got run %q", r.ID)
			}
			return ev("e1"), nil
		})
		if err != nil || r.ID != "run1" {
			t.Fatalf("complete r1: %+v, %v", r, err)
		}
		_, err = db.CompleteRunJob(ctx, "run1", "r2", "a", 200, func(r *bot.Run) (bot.RunChange, error) {
			return ev("e2"), bot.Errorf(bot.EInvalid, "stale")
		})
		wantCode(t, err, bot.EInvalid)
		// Done already: a second completion is refused.
		_, err = db.CompleteRunJob(ctx, "run1", "r1", "a", 300, func(r *bot.Run) (bot.RunChange, error) { return ev("e3"), nil })
		wantCode(t, err, bot.EConflict)
		// Cancelled by a change of the run.
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			return bot.RunChange{CancelJobs: []string{bot.JobReminder}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		_, err = db.CompleteRunJob(ctx, "run1", "r3", "a", 300, func(r *bot.Run) (bot.RunChange, error) { return ev("e4"), nil })
		wantCode(t, err, bot.EConflict)
		_, err = db.CompleteRunJob(ctx, "nope", "r3", "a", 300, func(r *bot.Run) (bot.RunChange, error) { return ev("e5"), nil })
		wantCode(t, err, bot.ENotFound)

		want := map[string]string{"r1": bot.JobDone, "r2": bot.JobCancelled, "r3": bot.JobCancelled}
		if diff := cmp.Diff(want, jobStates(t, db, "run1")); diff != "" {
			t.Errorf("jobs (-want +got):\n%s", diff)
		}
		run, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range run.TimelineEvents {
			ids = append(ids, e.ID)
		}
		if diff := cmp.Diff([]string{"e1"}, ids); diff != "" {
			t.Errorf("timeline (-want +got):\n%s", diff)
		}
	})
}

// TestPurgeJobs: jobs that ended before the cut-off go, with their
// attempts, oldest first and at most limit at a time; pending jobs and
// those that ended later stay.
func TestPurgeJobs(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var jobs []bot.Job
		for i := range 7 {
			jobs = append(jobs, testJob(fmt.Sprintf("old%d", i), bot.JobWebhook, 1))
		}
		jobs = append(jobs, testJob("recent", bot.JobWebhook, 1), testJob("pending", bot.JobWebhook, 1),
			testJob("failed", bot.JobWebhook, 1), testJob("cancelled", bot.JobReminder, 1))
		if err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil, jobs...); err != nil {
			t.Fatal(err)
		}
		if got := claimIDs(t, db, "a", 10, 1e6, 100); len(got) != len(jobs) {
			t.Fatalf("claimed %d jobs, want %d", len(got), len(jobs))
		}
		for i := range 7 {
			id := fmt.Sprintf("old%d", i)
			if err := db.CompleteJob(ctx, id, "a", int64(100+i)); err != nil {
				t.Fatal(err)
			}
			if err := db.RecordAttempt(ctx, bot.JobAttempt{JobID: id, Attempt: 1, At: 90}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CompleteJob(ctx, "recent", "a", 5000); err != nil {
			t.Fatal(err)
		}
		if err := db.FailJob(ctx, "failed", "a", 200, "HTTP 410"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			return bot.RunChange{CancelJobs: []string{bot.JobReminder},
				Events: []bot.TimelineEvent{{ID: "ev", CreateAt: 300, EventAt: 300, EventType: "x"}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		// Oldest first: old0..old2 in the first batch of 3.
		n, err := db.PurgeJobs(ctx, 1000, 3)
		if err != nil || n != 3 {
			t.Fatalf("first purge = %d, %v; want 3", n, err)
		}
		states := jobStates(t, db, "run1")
		for _, id := range []string{"old0", "old1", "old2"} {
			if _, ok := states[id]; ok {
				t.Errorf("%s not purged first", id)
			}
		}
		total := n
		for n == 3 {
			if n, err = db.PurgeJobs(ctx, 1000, 3); err != nil {
				t.Fatal(err)
			}
			total += n
		}
		if total != 9 { // 7 old, failed, cancelled
			t.Errorf("purged %d jobs, want 9", total)
		}
		want := map[string]string{"recent": bot.JobDone, "pending": bot.JobPending}
		if diff := cmp.Diff(want, jobStates(t, db, "run1")); diff != "" {
			t.Errorf("jobs left (-want +got):\n%s", diff)
		}
		if atts, err := db.JobAttempts(ctx, "old3"); err != nil || len(atts) != 0 {
			t.Errorf("attempts of a purged job = %+v, %v; want none", atts, err)
		}
	})
}

// TestNextJobDue: the earliest due time, later than now, of the pending
// jobs nobody holds at now; 0 when there is none.
func TestNextJobDue(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil,
			testJob("j1", bot.JobWebhook, 160), testJob("j2", bot.JobReminder, 300), testJob("j3", bot.JobReminder, 200),
			testJob("j5", bot.JobWebhook, 150))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateRun(ctx, "run1", func(*bot.Run) (bot.RunChange, error) {
			return bot.RunChange{CancelJobs: []string{bot.JobReminder}, Jobs: []bot.Job{testJob("j4", bot.JobReminder, 400)}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		// Another dispatcher claimed j5 ahead of its due time, until 1000.
		if got, err := db.ClaimJobs(ctx, "b", 10, 150, bot.Leases{bot.JobWebhook: 1000}, 1); err != nil || len(got) != 1 {
			t.Fatalf("claim = %+v, %v", got, err)
		}
		for _, tc := range []struct{ now, want int64 }{{0, 160}, {160, 400}, {400, 0}} {
			if got, err := db.NextJobDue(ctx, tc.now); err != nil || got != tc.want {
				t.Errorf("NextJobDue(%d) = %d, %v; want %d", tc.now, got, err, tc.want)
			}
		}
	})
}

// TestClaimAhead: a job due by dueBy is claimed early; the lease is
// checked at now.
func TestClaimAhead(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), nil,
			testJob("j1", bot.JobReminder, 300), testJob("j2", bot.JobReminder, 400))
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.ClaimJobs(ctx, "a", 250, 300, bothKinds(350), 10)
		if err != nil || len(got) != 1 || got[0].ID != "j1" {
			t.Fatalf("claim at 250 of what is due by 300 = %+v, %v; want j1", got, err)
		}
		// At 340, a's lease (until 350) still runs, though j1 is due.
		if got, err := db.ClaimJobs(ctx, "b", 340, 400, bothKinds(2000), 10); err != nil || len(got) != 1 || got[0].ID != "j2" {
			t.Fatalf("claim by b at 340 = %+v, %v; want only j2", got, err)
		}
		if got, err := db.ClaimJobs(ctx, "b", 350, 350, bothKinds(2000), 10); err != nil || len(got) != 1 || got[0].ID != "j1" {
			t.Fatalf("claim by b at 350 = %+v, %v; want j1, its lease over", got, err)
		}
	})
}
