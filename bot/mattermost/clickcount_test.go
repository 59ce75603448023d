package mattermost_test

import (
	"context"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestClickStoreCalls counts the store calls of a click on a checklist
// item's button, from Mattermost's request to the answer: one read of what
// decides who may see the run (no Run, which loads the whole history, nor
// RunState, which loads its items), the locked update, and the refresh of
// the checklist post.
func TestClickStoreCalls(t *testing.T) {
	db := storetest.NewCounting(nil)
	e := newEnv(t, storetest.SQLite, func(_ *env, cfg *bot.Config) { db.Store, cfg.Store = cfg.Store, db })
	e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": "Database down"})
	chans := e.mm.Channels(e.team.Id)
	r := e.run(t, chans[len(chans)-1].Id)
	db.Take()
	resp, err := e.mm.Click(context.Background(), e.alice.Id, r.ChecklistPostID, "c0i0")
	if err != nil || resp.EphemeralText != "" {
		t.Fatalf("click: %+v, %v", resp, err)
	}
	calls := db.Take()
	t.Logf("store calls of a click: %v", calls)
	if calls["Run"] != 0 || calls["RunState"] != 0 || calls["RunAccess"] != 1 || calls["UpdateItem"] != 1 || calls["UpdateRun"] != 0 {
		t.Errorf("a click called the store %v, want RunAccess and UpdateItem (the item, not the run, locked) once each, and no Run, RunState or UpdateRun", calls)
	}
}
