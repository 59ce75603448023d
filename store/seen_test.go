package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/playbooks-bot/playbooks/store"
)

func TestRemember(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		steps := []struct {
			name      string
			key       string
			now, exp  int64
			forget    bool
			wantFresh bool
		}{
			{name: "first time", key: "a", now: 100, exp: 200, wantFresh: true},
			{name: "again within the window", key: "a", now: 150, exp: 250, wantFresh: false},
			{name: "another key", key: "b", now: 150, exp: 250, wantFresh: true},
			{name: "after expiry", key: "a", now: 200, exp: 300, wantFresh: true},
			{name: "forgotten", key: "b", now: 160, exp: 260, forget: true, wantFresh: true},
		}
		for _, s := range steps {
			if s.forget {
				if err := db.Forget(ctx, s.key); err != nil {
					t.Fatal(err)
				}
			}
			fresh, err := db.Remember(ctx, s.key, s.now, s.exp)
			if err != nil {
				t.Fatal(err)
			}
			if fresh != s.wantFresh {
				t.Errorf("%s: Remember(%s) = %v, want %v", s.name, s.key, fresh, s.wantFresh)
			}
		}

		// Many callers with one key, as replicas receiving one replayed
		// request: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fresh, err := db.Remember(ctx, "race", 1000, 2000)
				if err != nil {
					t.Error(fmt.Errorf("caller %d: %w", i, err))
				}
				if fresh {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("%d concurrent callers saw the key as new, want exactly 1", n)
		}
	})
}
