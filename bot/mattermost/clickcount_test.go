package mattermost_test

import (
	"context"
	"sync"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// countingStore is a bot.Store that counts the calls of the reads and
// writes of a run a click may make.
type countingStore struct {
	bot.Store
	mu    sync.Mutex
	calls map[string]int
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
}

// take returns the counts so far and starts again from zero.
func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = map[string]int{}
	return c
}

func (s *countingStore) Run(ctx context.Context, id string) (bot.Run, error) {
	s.count("Run")
	return s.Store.Run(ctx, id)
}

func (s *countingStore) RunState(ctx context.Context, id string) (bot.Run, error) {
	s.count("RunState")
	return s.Store.RunState(ctx, id)
}

func (s *countingStore) RunByChannel(ctx context.Context, channelID string) (bot.Run, error) {
	s.count("RunByChannel")
	return s.Store.RunByChannel(ctx, channelID)
}

func (s *countingStore) UpdateRun(ctx context.Context, id string, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	s.count("UpdateRun")
	return s.Store.UpdateRun(ctx, id, fn)
}

func (s *countingStore) RefreshPost(ctx context.Context, id string, force bool, show func(bot.Run) (string, error)) (bool, error) {
	s.count("RefreshPost")
	return s.Store.RefreshPost(ctx, id, force, show)
}

// TestClickStoreCalls counts the store calls of a click on a checklist
// item's button, from Mattermost's request to the answer: one read of the
// run's state (no Run, which loads the whole history), the locked update,
// and the refresh of the checklist post.
func TestClickStoreCalls(t *testing.T) {
	db := &countingStore{calls: map[string]int{}}
	e := newEnv(t, storetest.SQLite, func(_ *env, cfg *bot.Config) { db.Store, cfg.Store = cfg.Store, db })
	e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": "Database down"})
	chans := e.mm.Channels(e.team.Id)
	r := e.run(t, chans[len(chans)-1].Id)
	db.take()
	resp, err := e.mm.Click(context.Background(), e.alice.Id, r.ChecklistPostID, "c0i0")
	if err != nil || resp.EphemeralText != "" {
		t.Fatalf("click: %+v, %v", resp, err)
	}
	calls := db.take()
	t.Logf("store calls of a click: %v", calls)
	if calls["Run"] != 0 || calls["RunState"] != 1 || calls["UpdateRun"] != 1 {
		t.Errorf("a click called the store %v, want RunState and UpdateRun once each and no Run", calls)
	}
}
