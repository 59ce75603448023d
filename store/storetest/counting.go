package storetest

import (
	"context"
	"sync"

	"github.com/playbooks-bot/playbooks/bot"
)

// Counting is a bot.Store that counts the calls of the reads and writes of
// a run (Run, RunState, RunByChannel, UpdateRun, RefreshPost), for tests
// that measure what a request costs the database. Safe for concurrent use.
type Counting struct {
	bot.Store
	mu    sync.Mutex
	calls map[string]int
}

// NewCounting returns a Counting over s.
func NewCounting(s bot.Store) *Counting { return &Counting{Store: s, calls: map[string]int{}} }

func (s *Counting) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
}

// Take returns the counts so far and starts again from zero.
func (s *Counting) Take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = map[string]int{}
	return c
}

// Run counts and reads the run with its history.
func (s *Counting) Run(ctx context.Context, id string) (bot.Run, error) {
	s.count("Run")
	return s.Store.Run(ctx, id)
}

// RunState counts and reads the run without its history.
func (s *Counting) RunState(ctx context.Context, id string) (bot.Run, error) {
	s.count("RunState")
	return s.Store.RunState(ctx, id)
}

// RunAccess counts and reads what decides who may see the run.
func (s *Counting) RunAccess(ctx context.Context, id string) (bot.Run, error) {
	s.count("RunAccess")
	return s.Store.RunAccess(ctx, id)
}

// RunByChannel counts and reads the run of a channel.
func (s *Counting) RunByChannel(ctx context.Context, channelID string) (bot.Run, error) {
	s.count("RunByChannel")
	return s.Store.RunByChannel(ctx, channelID)
}

// UpdateRun counts and updates the run.
func (s *Counting) UpdateRun(ctx context.Context, id string, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	s.count("UpdateRun")
	return s.Store.UpdateRun(ctx, id, fn)
}

// RefreshPost counts and refreshes the run's post.
func (s *Counting) RefreshPost(ctx context.Context, id string, force bool, show func(bot.Run) (string, error)) (bool, error) {
	s.count("RefreshPost")
	return s.Store.RefreshPost(ctx, id, force, show)
}

// UpdateItem counts and updates an item of the run.
func (s *Counting) UpdateItem(ctx context.Context, id string, ref bot.ItemRef, fn func(*bot.RunItem) (bot.RunChange, error)) (bot.RunItem, error) {
	s.count("UpdateItem")
	return s.Store.UpdateItem(ctx, id, ref, fn)
}
