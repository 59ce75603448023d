package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestReady checks readiness on both databases: a migrated store is
// ready; one whose newest migration is not recorded (a binary newer than
// the schema) has migrations pending; an empty database is not migrated.
func TestReady(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Ready(ctx); err != nil {
			t.Fatalf("migrated store: Ready = %v, want nil", err)
		}
		if _, err := db.Pool().ExecContext(ctx,
			`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
			t.Fatal(err)
		}
		err := db.Ready(ctx)
		wantCode(t, err, bot.EConflict)
		if msg := bot.ErrorMessage(err); msg != "migrations pending" {
			t.Errorf("pending migration: message %q, want %q", msg, "migrations pending")
		}
	})
	for _, kind := range storetest.Kinds() {
		t.Run(kind+"/not migrated", func(t *testing.T) {
			db, err := store.Open(context.Background(), storetest.URL(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			wantCode(t, db.Ready(context.Background()), bot.EConflict)
		})
	}
}

// TestReadyOutage checks that a store whose Postgres is gone is not ready
// (EUnavailable), and ready again once it is back.
func TestReadyOutage(t *testing.T) {
	db, outage := storetest.OpenPostgresOutage(t)
	ctx := context.Background()
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("before the outage: Ready = %v, want nil", err)
	}
	outage.Stop()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := db.Ready(rctx)
	cancel()
	wantCode(t, err, bot.EUnavailable)
	if msg := bot.ErrorMessage(err); msg != "database unreachable" {
		t.Errorf("outage: message %q, want %q", msg, "database unreachable")
	}
	outage.Start()
	deadline := time.Now().Add(30 * time.Second)
	for err := db.Ready(ctx); err != nil; err = db.Ready(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the outage: Ready = %v, want nil", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestJobStats checks the queue's statistics by kind: pending jobs, those
// due, and the age of the oldest due one, as of the store's clock; jobs no
// longer pending are not counted.
func TestJobStats(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		db.Now = func() time.Time { return time.UnixMilli(10_000) }
		stats, err := db.JobStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats) != 0 {
			t.Fatalf("no jobs: stats %+v, want none", stats)
		}
		r := testRun("run1", "team1", "Outage", "u1")
		if err := db.CreateRun(ctx, r, nil,
			testJob("w1", bot.JobWebhook, 4_000), testJob("w2", bot.JobWebhook, 7_500), testJob("w3", bot.JobWebhook, 20_000),
			testJob("r1", bot.JobReminder, 50_000), testJob("w4", bot.JobWebhook, 1_000)); err != nil {
			t.Fatal(err)
		}
		// w4, the oldest, is claimed and done: no longer pending.
		if got := claimIDs(t, db, "a", 1_000, 1_000, 1); len(got) != 1 || got[0] != "w4" {
			t.Fatalf("claimed %v, want [w4]", got)
		}
		if err := db.CompleteJob(ctx, "w4", "a", 1_500); err != nil {
			t.Fatal(err)
		}
		stats, err = db.JobStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []bot.JobStat{
			{Kind: bot.JobReminder, Pending: 1, Due: 0},
			{Kind: bot.JobWebhook, Pending: 3, Due: 2, OldestDue: 6 * time.Second},
		}
		if diff := cmp.Diff(want, stats); diff != "" {
			t.Errorf("stats (-want +got):\n%s", diff)
		}
	})
}
