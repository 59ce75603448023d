package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

func TestAuditLog(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var all []bot.AuditEvent
		for i := range 5 {
			e := bot.AuditEvent{
				ID: bot.NewID(), At: int64(1000 + i), Action: bot.AuditTokenCreate, ActorUserID: "admin",
				Via: bot.ViaREST, Address: "192.0.2.1", SubjectKind: bot.AuditSubjectToken,
				SubjectID: fmt.Sprintf("tok%d", i%2), SubjectUserID: "alice", Details: "teams: t1",
			}
			if err := db.AppendAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
			all = append([]bot.AuditEvent{e}, all...) // newest first
		}
		got, total, err := db.ListAudit(ctx, bot.AuditFilter{PerPage: 2, Page: 1})
		if err != nil {
			t.Fatal(err)
		}
		if total != 5 {
			t.Errorf("total %d, want 5", total)
		}
		if diff := cmp.Diff(all[2:4], got); diff != "" {
			t.Errorf("page 1 of 2 (-want +got):\n%s", diff)
		}
		got, total, err = db.ListAudit(ctx, bot.AuditFilter{PerPage: 100, SubjectID: "tok1", Since: 1002})
		if err != nil {
			t.Fatal(err)
		}
		if total != 1 || len(got) != 1 || got[0].ID != all[1].ID {
			t.Errorf("tok1 since 1002: %d in all, got %+v; want only %s", total, got, all[1].ID)
		}
		if err := db.AppendAudit(ctx, all[0]); bot.ErrorCode(err) != bot.EConflict {
			t.Errorf("the same ID again: %v, want a conflict", err)
		}
		if err := db.AppendAudit(ctx, bot.AuditEvent{ID: bot.NewID()}); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("no action or subject: %v, want invalid", err)
		}
		if _, _, err := db.ListAudit(ctx, bot.AuditFilter{}); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("per_page 0: %v, want invalid", err)
		}
	})
}
