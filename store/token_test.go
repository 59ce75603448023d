package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// tokenEvent is an audit event about token id.
func tokenEvent(action, id string, at int64) bot.AuditEvent {
	return bot.AuditEvent{
		ID: bot.NewID(), At: at, Action: action, ActorUserID: "admin", Via: bot.ViaCLI,
		SubjectKind: bot.AuditSubjectToken, SubjectID: id,
	}
}

// auditOf returns the audit events about subject id, newest first.
func tokenAuditOf(t *testing.T, db *store.DB, id string) []bot.AuditEvent {
	t.Helper()
	events, _, err := db.ListAudit(context.Background(), bot.AuditFilter{SubjectID: id, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func TestTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		list, err := db.ListTokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Token{}, list); diff != "" {
			t.Errorf("ListTokens of none mismatch (-want +got):\n%s", diff)
		}

		newer := bot.Token{ID: "tok1", Hash: "hash1", UserID: "u1", TeamIDs: []string{"t1", "t2"}, CreateAt: 200,
			Name: "pager", CreatedBy: "admin1", ExpireAt: 9000}
		older := bot.Token{ID: "tok2", Hash: "hash2", UserID: "u2", Admin: true, CreateAt: 100}
		created := map[string]bot.AuditEvent{}
		for _, tok := range []bot.Token{newer, older} {
			e := tokenEvent(bot.AuditTokenCreate, tok.ID, tok.CreateAt)
			if err := db.CreateToken(ctx, tok, e); err != nil {
				t.Fatal(err)
			}
			created[tok.ID] = e
		}
		older.TeamIDs = []string{} // nil comes back empty
		if diff := cmp.Diff([]bot.AuditEvent{created["tok1"]}, tokenAuditOf(t, db, "tok1")); diff != "" {
			t.Errorf("audit of the issue (-want +got):\n%s", diff)
		}

		got, err := db.TokenByHash(ctx, "hash1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newer, got); diff != "" {
			t.Errorf("TokenByHash mismatch (-want +got):\n%s", diff)
		}
		_, err = db.TokenByHash(ctx, "nope")
		wantCode(t, err, bot.ENotFound)
		got, err = db.TokenByID(ctx, "tok2")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(older, got); diff != "" {
			t.Errorf("TokenByID mismatch (-want +got):\n%s", diff)
		}
		_, err = db.TokenByID(ctx, "nope")
		wantCode(t, err, bot.ENotFound)

		// A conflict writes neither the token nor its audit line.
		e3 := tokenEvent(bot.AuditTokenCreate, "tok3", 300)
		wantCode(t, db.CreateToken(ctx, bot.Token{ID: "tok3", Hash: "hash1", UserID: "u3", CreateAt: 300}, e3), bot.EConflict)
		wantCode(t, db.CreateToken(ctx, bot.Token{ID: "tok1", Hash: "hash3", UserID: "u3", CreateAt: 300}, e3), bot.EConflict)
		if got := tokenAuditOf(t, db, "tok3"); len(got) != 0 {
			t.Errorf("a refused token left audit lines: %+v", got)
		}
		// A bad audit event undoes the token.
		wantCode(t, db.CreateToken(ctx, bot.Token{ID: "tok4", Hash: "hash4", UserID: "u4", CreateAt: 300}, bot.AuditEvent{}), bot.EInvalid)
		_, err = db.TokenByID(ctx, "tok4")
		wantCode(t, err, bot.ENotFound)

		revoke := tokenEvent(bot.AuditTokenRevoke, "tok1", 500)
		if revoked, err := db.RevokeToken(ctx, "tok1", 500, revoke); err != nil || !revoked {
			t.Fatalf("revoke: %t, %v; want true, nil", revoked, err)
		}
		newer.RevokeAt = 500
		// Again: nothing changes, nothing is written.
		if revoked, err := db.RevokeToken(ctx, "tok1", 600, tokenEvent(bot.AuditTokenRevoke, "tok1", 600)); err != nil || revoked {
			t.Fatalf("revoke again: %t, %v; want false, nil", revoked, err)
		}
		_, err = db.RevokeToken(ctx, "missing", 500, tokenEvent(bot.AuditTokenRevoke, "missing", 500))
		wantCode(t, err, bot.ENotFound)
		if diff := cmp.Diff([]bot.AuditEvent{revoke, created["tok1"]}, tokenAuditOf(t, db, "tok1")); diff != "" {
			t.Errorf("audit after revoking twice (-want +got):\n%s", diff)
		}

		list, err = db.ListTokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Token{older, newer}, list); diff != "" {
			t.Errorf("ListTokens mismatch (-want +got):\n%s", diff)
		}
		list, err = db.ListTokens(ctx, "u2")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Token{older}, list); diff != "" {
			t.Errorf("ListTokens of u2 mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestTouchToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tok := bot.Token{ID: "tok1", Hash: "hash1", UserID: "u1", Admin: true, CreateAt: 100}
		if err := db.CreateToken(ctx, tok, tokenEvent(bot.AuditTokenCreate, tok.ID, 100)); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name            string
			at, staleBefore int64
			want            bool
			wantLast        int64
		}{
			{name: "never used", at: 1000, staleBefore: 1, want: true, wantLast: 1000},
			{name: "used recently", at: 1500, staleBefore: 1000, want: false, wantLast: 1000},
			{name: "used long ago", at: 70000, staleBefore: 1001, want: true, wantLast: 70000},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.TouchToken(ctx, tok.ID, tt.at, tt.staleBefore)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("got touched %t, want %t", got, tt.want)
				}
				stored, err := db.TokenByID(ctx, tok.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.LastUsedAt != tt.wantLast {
					t.Errorf("got last_used_at %d, want %d", stored.LastUsedAt, tt.wantLast)
				}
			})
		}
	})
}
