package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// auditActions returns the actions of the audit log, oldest first.
func auditActions(t *testing.T, db *store.DB) []string {
	t.Helper()
	events, _, err := db.ListAudit(context.Background(), bot.AuditFilter{PerPage: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(events) - 1; i >= 0; i-- {
		actions = append(actions, events[i].Action+" "+events[i].SubjectID)
	}
	return actions
}

func auditOf(id string, at int64, action, kind, subject string) bot.AuditEvent {
	return bot.AuditEvent{ID: id, At: at, Action: action, SubjectKind: kind, SubjectID: subject}
}

func TestClients(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		list, err := db.ListClients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Client{}, list); diff != "" {
			t.Errorf("ListClients of none mismatch (-want +got):\n%s", diff)
		}
		newer := bot.Client{ID: "c1", Hash: "h1", Name: "status page", Scope: "read", UserID: "u1", TeamIDs: []string{"t1", "t2"}, CreatedBy: "a", CreateAt: 200}
		older := bot.Client{ID: "c2", Hash: "h2", Name: "pager", Scope: "write", UserID: "u2", TeamIDs: []string{}, Admin: true, CreatedBy: "a", CreateAt: 100}
		for i, c := range []bot.Client{newer, older} {
			if err := db.CreateClient(ctx, c, auditOf("e"+c.ID, int64(i), bot.AuditClientCreate, bot.AuditSubjectClient, c.ID)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Client(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newer, got); diff != "" {
			t.Errorf("Client mismatch (-want +got):\n%s", diff)
		}
		_, err = db.Client(ctx, "nope")
		wantCode(t, err, bot.ENotFound)

		// A conflict, or an audit line that cannot be written, leaves nothing.
		wantCode(t, db.CreateClient(ctx, bot.Client{ID: "c3", Hash: "h1", Scope: "read", CreateAt: 1}, auditOf("e3", 1, bot.AuditClientCreate, bot.AuditSubjectClient, "c3")), bot.EConflict)
		wantCode(t, db.CreateClient(ctx, bot.Client{ID: "c4", Hash: "h4", Scope: "read", CreateAt: 1}, auditOf("ec1", 1, bot.AuditClientCreate, bot.AuditSubjectClient, "c4")), bot.EConflict)
		_, err = db.Client(ctx, "c4")
		wantCode(t, err, bot.ENotFound)

		if err := db.RevokeClient(ctx, "c1", 500, auditOf("r1", 500, bot.AuditClientRevoke, bot.AuditSubjectClient, "c1")); err != nil {
			t.Fatal(err)
		}
		// A second revocation keeps the first time and writes no line.
		if err := db.RevokeClient(ctx, "c1", 600, auditOf("r2", 600, bot.AuditClientRevoke, bot.AuditSubjectClient, "c1")); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.RevokeClient(ctx, "missing", 600, auditOf("r3", 600, bot.AuditClientRevoke, bot.AuditSubjectClient, "missing")), bot.ENotFound)
		newer.RevokeAt = 500

		if err := db.TouchClient(ctx, "c2", 100_000, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.TouchClient(ctx, "c2", 100_000+59_999, time.Minute); err != nil { // within a minute: kept
			t.Fatal(err)
		}
		older.LastUsedAt = 100_000
		list, err = db.ListClients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Client{older, newer}, list); diff != "" {
			t.Errorf("ListClients mismatch (-want +got):\n%s", diff)
		}
		if err := db.TouchClient(ctx, "c2", 160_000, time.Minute); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Client(ctx, "c2"); got.LastUsedAt != 160_000 {
			t.Errorf("got LastUsedAt %d after a minute, want 160000", got.LastUsedAt)
		}
		want := []string{"client.create c1", "client.create c2", "client.revoke c1"}
		if diff := cmp.Diff(want, auditActions(t, db)); diff != "" {
			t.Errorf("audit mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestAccessTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := bot.Client{ID: "c1", Hash: "h1", Name: "n", Scope: "write", UserID: "u1", TeamIDs: []string{"t1"}, CreateAt: 1}
		if err := db.CreateClient(ctx, c, auditOf("e1", 1, bot.AuditClientCreate, bot.AuditSubjectClient, "c1")); err != nil {
			t.Fatal(err)
		}
		old := bot.AccessToken{ID: "a1", Hash: "ah1", ClientID: "c1", Scope: "read", CreateAt: 10, ExpireAt: 100}
		live := bot.AccessToken{ID: "a2", Hash: "ah2", ClientID: "c1", Scope: "write", CreateAt: 50, ExpireAt: 1000}
		for _, at := range []bot.AccessToken{old, live} {
			if err := db.CreateAccessToken(ctx, at, auditOf("e"+at.ID, at.CreateAt, bot.AuditClientToken, bot.AuditSubjectAccessToken, at.ID)); err != nil {
				t.Fatal(err)
			}
		}
		gotT, gotC, err := db.AccessTokenByHash(ctx, "ah1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(old, gotT); diff != "" {
			t.Errorf("AccessTokenByHash token mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(c, gotC); diff != "" {
			t.Errorf("AccessTokenByHash client mismatch (-want +got):\n%s", diff)
		}
		if err := db.AccessTokenUsed(ctx, "a1", "10.0.0.1", 60); err != nil {
			t.Fatal(err)
		}
		if gotT, _, _ = db.AccessTokenByHash(ctx, "ah1"); gotT.UsedAt != 60 || gotT.UsedFrom != "10.0.0.1" {
			t.Errorf("got used at %d from %q, want 60 from 10.0.0.1", gotT.UsedAt, gotT.UsedFrom)
		}
		// The client is read with the token: its revocation shows at once.
		if err := db.RevokeClient(ctx, "c1", 70, auditOf("r1", 70, bot.AuditClientRevoke, bot.AuditSubjectClient, "c1")); err != nil {
			t.Fatal(err)
		}
		if _, gotC, _ = db.AccessTokenByHash(ctx, "ah2"); gotC.RevokeAt != 70 {
			t.Errorf("got the client's RevokeAt %d with its token, want 70", gotC.RevokeAt)
		}
		wantCode(t, db.CreateAccessToken(ctx, bot.AccessToken{ID: "a3", Hash: "ah2", ClientID: "c1", Scope: "read", CreateAt: 60, ExpireAt: 90},
			auditOf("e3", 60, bot.AuditClientToken, bot.AuditSubjectAccessToken, "a3")), bot.EConflict)

		// Issuing at 200 deletes the token expired at 100, not the live one.
		next := bot.AccessToken{ID: "a4", Hash: "ah4", ClientID: "c1", Scope: "read", CreateAt: 200, ExpireAt: 800}
		if err := db.CreateAccessToken(ctx, next, auditOf("e4", 200, bot.AuditClientToken, bot.AuditSubjectAccessToken, "a4")); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.AccessTokenByHash(ctx, "ah1")
		wantCode(t, err, bot.ENotFound)
		if _, _, err := db.AccessTokenByHash(ctx, "ah2"); err != nil {
			t.Errorf("live token: %v", err)
		}
		want := []string{"client.create c1", "client.token a1", "client.token a2", "client.revoke c1", "client.token a4"}
		if diff := cmp.Diff(want, auditActions(t, db)); diff != "" {
			t.Errorf("audit mismatch (-want +got):\n%s", diff)
		}
	})
}
