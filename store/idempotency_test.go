package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// testKey returns a key recorded at createAt for a day, naming resourceID.
func testKey(scope, key, fp, resourceID string, createAt int64) bot.IdempotentRequest {
	return bot.IdempotentRequest{
		IdempotencyKey: bot.IdempotencyKey{Scope: scope, Key: key, Fingerprint: fp},
		ResourceID:     resourceID, CreateAt: createAt, ExpiresAt: createAt + bot.IdempotencyTTL.Milliseconds(),
	}
}

// TestIdempotencyKeyRecordAndReplay: a key is recorded with its playbook,
// read back without an answer, then with the answer recorded; a second
// creation with the key is refused and creates nothing.
func TestIdempotencyKeyRecordAndReplay(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		k := testKey("u1 createPlaybook /p", "key-1", "fp1", "pb1", 1000)
		if err := db.CreatePlaybookOnce(ctx, k, testPlaybook("pb1", "team1", "One", 1, 1)); err != nil {
			t.Fatal(err)
		}
		got, err := db.IdempotentRequest(ctx, k.Scope, k.Key, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(k, got); diff != "" {
			t.Errorf("recorded key (-want +got):\n%s", diff)
		}
		a := bot.IdempotentAnswer{Status: 201, Header: map[string]string{"Location": "/p/pb1"}, Body: []byte(`{"id":"pb1"}` + "\n")}
		if err := db.RecordIdempotentAnswer(ctx, k.Scope, k.Key, a, 2000); err != nil {
			t.Fatal(err)
		}
		got, err = db.IdempotentRequest(ctx, k.Scope, k.Key, 3000)
		if err != nil {
			t.Fatal(err)
		}
		want := k
		want.Answer = &a
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("key with its answer (-want +got):\n%s", diff)
		}

		again := testKey(k.Scope, k.Key, "fp1", "pb2", 4000)
		err = db.CreatePlaybookOnce(ctx, again, testPlaybook("pb2", "team1", "Two", 1, 1))
		if !errors.Is(err, bot.ErrIdempotencyKeyTaken) {
			t.Fatalf("second creation with the key: got %v, want ErrIdempotencyKeyTaken", err)
		}
		if _, err := db.Playbook(ctx, "pb2"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("playbook of the refused creation: got %v, want not found", err)
		}
		// Another scope is another key.
		other := testKey("u2 createPlaybook /p", k.Key, "fp1", "pb3", 4000)
		if err := db.CreatePlaybookOnce(ctx, other, testPlaybook("pb3", "team1", "Three", 1, 1)); err != nil {
			t.Fatalf("same key in another scope: %v", err)
		}
		if _, err := db.IdempotentRequest(ctx, "u3", k.Key, 3000); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("unknown scope: got %v, want not found", err)
		}
		err = db.RecordIdempotentAnswer(ctx, "u3", k.Key, a, 3000)
		if bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("record the answer of an unknown key: got %v, want not found", err)
		}
	})
}

// TestIdempotencyKeyExpiry: an expired key is not found, frees its key for
// a new creation, and is purged by the next recorded answer.
func TestIdempotencyKeyExpiry(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := bot.IdempotencyTTL.Milliseconds()
		k := testKey("u1 createPlaybook /p", "key-1", "fp1", "pb1", 1000)
		if err := db.CreatePlaybookOnce(ctx, k, testPlaybook("pb1", "team1", "One", 1, 1)); err != nil {
			t.Fatal(err)
		}
		stale := testKey("u1 createPlaybook /p", "key-stale", "fp", "pb0", 500)
		if err := db.CreatePlaybookOnce(ctx, stale, testPlaybook("pb0", "team1", "Zero", 1, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.IdempotentRequest(ctx, k.Scope, k.Key, 1000+day-1); err != nil {
			t.Errorf("key a moment before it expires: %v", err)
		}
		if _, err := db.IdempotentRequest(ctx, k.Scope, k.Key, 1000+day); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("expired key: got %v, want not found", err)
		}
		later := testKey(k.Scope, k.Key, "fp2", "pb2", 1000+day)
		if err := db.CreatePlaybookOnce(ctx, later, testPlaybook("pb2", "team1", "Two", 1, 1)); err != nil {
			t.Fatalf("creation with an expired key: %v", err)
		}
		got, err := db.IdempotentRequest(ctx, k.Scope, k.Key, 1000+day)
		if err != nil {
			t.Fatal(err)
		}
		if got.ResourceID != "pb2" || got.Fingerprint != "fp2" {
			t.Errorf("key after reuse: got resource %s fingerprint %s, want pb2 fp2", got.ResourceID, got.Fingerprint)
		}
		// The stale key expired at 500+day: recording an answer purges it.
		a := bot.IdempotentAnswer{Status: 201, Body: []byte("{}")}
		if err := db.RecordIdempotentAnswer(ctx, later.Scope, later.Key, a, 1000+day); err != nil {
			t.Fatal(err)
		}
		if _, err := db.IdempotentRequest(ctx, stale.Scope, stale.Key, 0); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("stale key after a purge, read as of time 0: got %v, want it purged", err)
		}
		if _, err := db.IdempotentRequest(ctx, later.Scope, later.Key, 1000+day); err != nil {
			t.Errorf("live key after a purge: %v", err)
		}
	})
}

// TestIdempotencyKeyConcurrentRuns: eight transactions creating a run with
// one key at once: exactly one run is created, the others are told the key
// is taken.
func TestIdempotencyKeyConcurrentRuns(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("run%d", i)
				k := testKey("u1 createPlaybookRunFromPost /runs", "same", "fp", id, 1000)
				errs[i] = db.CreateRunOnce(ctx, k, testRun(id, "team1", "Outage", "u1"), nil)
			}()
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, bot.ErrIdempotencyKeyTaken):
				t.Errorf("creation %d: got %v, want nil or ErrIdempotencyKeyTaken", i, err)
			}
		}
		if created != 1 {
			t.Errorf("got %d creations, want 1", created)
		}
		l, err := db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		if l.TotalCount != 1 {
			t.Errorf("got %d runs, want 1", l.TotalCount)
		}
		rec, err := db.IdempotentRequest(ctx, "u1 createPlaybookRunFromPost /runs", "same", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) == 1 && rec.ResourceID != l.Items[0].ID {
			t.Errorf("key names run %s, want the one created, %s", rec.ResourceID, l.Items[0].ID)
		}
	})
}

// TestIdempotencyKeyStatusUpdate: a key carried by a run's change is
// recorded with it; the same key again aborts the whole change.
func TestIdempotencyKeyStatusUpdate(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CreateRun(ctx, testRun("r1", "team1", "Outage", "u1"), nil); err != nil {
			t.Fatal(err)
		}
		update := func(suID string) error {
			_, err := db.UpdateRun(ctx, "r1", func(r *bot.Run) (bot.RunChange, error) {
				k := testKey("u1 status /runs/r1/status", "k", "fp", suID, 2000)
				r.LastStatusUpdateAt = 2000
				return bot.RunChange{
					StatusUpdate: &bot.StatusUpdate{ID: suID, RunID: "r1", UserID: "u1", Message: "fine", CreateAt: 2000},
					Idempotency:  &k,
				}, nil
			})
			return err
		}
		if err := update("su1"); err != nil {
			t.Fatal(err)
		}
		if err := update("su2"); !errors.Is(err, bot.ErrIdempotencyKeyTaken) {
			t.Fatalf("second update with the key: got %v, want ErrIdempotencyKeyTaken", err)
		}
		r, err := db.Run(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.StatusUpdates) != 1 || r.StatusUpdates[0].ID != "su1" {
			t.Errorf("got status updates %+v, want su1 alone", r.StatusUpdates)
		}
	})
}
