package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

func TestAdminSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const idle = 100 * time.Millisecond // 100 ms of the store's clock, passed as arguments
		s := bot.AdminSession{Hash: "h1", UserID: "u1", CSRF: "c1", CreateAt: 1000, SeenAt: 1000, ExpireAt: 1250}
		if err := db.CreateAdminSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CreateAdminSession(ctx, s), bot.EConflict)

		got, err := db.TouchAdminSession(ctx, "h1", 1050, idle)
		if err != nil {
			t.Fatal(err)
		}
		s.SeenAt = 1050
		if diff := cmp.Diff(s, got); diff != "" {
			t.Errorf("TouchAdminSession mismatch (-want +got):\n%s", diff)
		}
		_, err = db.TouchAdminSession(ctx, "nope", 1050, idle)
		wantCode(t, err, bot.ENotFound)

		// Used within the idle time, it lives on until its expiry...
		if _, err := db.TouchAdminSession(ctx, "h1", 1149, idle); err != nil {
			t.Fatalf("touch within idle time: %v", err)
		}
		if _, err := db.TouchAdminSession(ctx, "h1", 1248, idle); err != nil {
			t.Fatalf("touch before expiry: %v", err)
		}
		// ...and not past it.
		_, err = db.TouchAdminSession(ctx, "h1", 1250, idle)
		wantCode(t, err, bot.ENotFound)

		// Idle too long.
		idleS := bot.AdminSession{Hash: "h2", UserID: "u2", CSRF: "c2", CreateAt: 2000, SeenAt: 2000, ExpireAt: 9000}
		if err := db.CreateAdminSession(ctx, idleS); err != nil {
			t.Fatal(err)
		}
		_, err = db.TouchAdminSession(ctx, "h2", 2100, idle)
		wantCode(t, err, bot.ENotFound)

		// Deleted (logout).
		out := bot.AdminSession{Hash: "h3", UserID: "u3", CSRF: "c3", CreateAt: 3000, SeenAt: 3000, ExpireAt: 9000}
		if err := db.CreateAdminSession(ctx, out); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteAdminSession(ctx, "h3"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteAdminSession(ctx, "h3"); err != nil {
			t.Fatalf("deleting again: %v", err)
		}
		_, err = db.TouchAdminSession(ctx, "h3", 3001, idle)
		wantCode(t, err, bot.ENotFound)
	})
}
