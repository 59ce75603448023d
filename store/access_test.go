package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// TestRunAccess checks that RunAccess reads what decides who may see a
// run, and only that, and that an unknown run is ENotFound.
func TestRunAccess(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		r.Public, r.Platform = true, "slack"
		if err := db.CreateRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.RunAccess(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := bot.Run{ID: r.ID, TeamID: "team1", ChannelID: r.ChannelID, Platform: "slack", Public: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RunAccess (-want +got):\n%s", diff)
		}
		if _, err := db.RunAccess(ctx, "nosuchrun"); bot.ErrorCode(err) != bot.ENotFound {
			t.Errorf("RunAccess of an unknown run: %v, want %s", err, bot.ENotFound)
		}
	})
}
