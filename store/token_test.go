package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

func TestTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		list, err := db.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Token{}, list); diff != "" {
			t.Errorf("ListTokens of none mismatch (-want +got):\n%s", diff)
		}

		newer := bot.Token{ID: "tok1", Hash: "hash1", UserID: "u1", TeamIDs: []string{"t1", "t2"}, CreateAt: 200}
		older := bot.Token{ID: "tok2", Hash: "hash2", UserID: "u2", Admin: true, CreateAt: 100}
		for _, tok := range []bot.Token{newer, older} {
			if err := db.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		older.TeamIDs = []string{} // nil comes back empty

		got, err := db.TokenByHash(ctx, "hash1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newer, got); diff != "" {
			t.Errorf("TokenByHash mismatch (-want +got):\n%s", diff)
		}
		_, err = db.TokenByHash(ctx, "nope")
		wantCode(t, err, bot.ENotFound)

		wantCode(t, db.CreateToken(ctx, bot.Token{ID: "tok3", Hash: "hash1", UserID: "u3", CreateAt: 300}), bot.EConflict)
		wantCode(t, db.CreateToken(ctx, bot.Token{ID: "tok1", Hash: "hash3", UserID: "u3", CreateAt: 300}), bot.EConflict)

		if err := db.RevokeToken(ctx, "tok1", 500); err != nil {
			t.Fatal(err)
		}
		newer.RevokeAt = 500
		wantCode(t, db.RevokeToken(ctx, "missing", 500), bot.ENotFound)

		list, err = db.ListTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Token{older, newer}, list); diff != "" {
			t.Errorf("ListTokens mismatch (-want +got):\n%s", diff)
		}
	})
}
