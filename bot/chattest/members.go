// Package chattest has test doubles for the core and the packages above
// it that need no real platform: a chat platform that keeps channel
// memberships, and a clock that moves only when told.
package chattest

import (
	"context"
	"sync"

	"github.com/playbooks-bot/playbooks/bot"
)

// Members is a chat platform that keeps channel memberships, as the
// visibility rule asks them: CreateChannel makes a channel of its members,
// MemberChannels and AddChannelMember read and change them. Every other
// call goes to the embedded Chat (bot.NoChat when nil). Safe for
// concurrent use.
type Members struct {
	bot.Chat

	mu      sync.Mutex
	members map[string]map[string]bool // channel → user → member
	refuse  string                     // when set, AddChannelMember is refused with this reason
	asked   int                        // MemberChannels calls
}

var _ bot.Chat = (*Members)(nil)

// NewMembers returns a Members with no channels whose other calls go to
// inner (bot.NoChat when nil).
func NewMembers(inner bot.Chat) *Members {
	if inner == nil {
		inner = bot.NoChat{}
	}
	return &Members{Chat: inner, members: map[string]map[string]bool{}}
}

// CreateChannel makes a channel whose members are nc.MemberIDs.
func (c *Members) CreateChannel(_ context.Context, nc bot.NewChannel) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := bot.NewID()
	c.members[id] = map[string]bool{}
	for _, m := range nc.MemberIDs {
		c.members[id][m] = true
	}
	return id, nil
}

// MemberChannels returns those of channelIDs the user is in.
func (c *Members) MemberChannels(_ context.Context, userID string, channelIDs []string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked++
	var in []string
	for _, id := range channelIDs {
		if c.members[id][userID] {
			in = append(in, id)
		}
	}
	return in, nil
}

// AddChannelMember adds the user to the channel, or fails with EForbidden
// and the reason given to Refuse.
func (c *Members) AddChannelMember(_ context.Context, channelID, userID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refuse != "" {
		return bot.Errorf(bot.EForbidden, "%s", c.refuse)
	}
	if c.members[channelID] == nil {
		c.members[channelID] = map[string]bool{}
	}
	c.members[channelID][userID] = true
	return nil
}

// Set puts the user in the channel or takes them out, as someone leaving
// or joining it in the platform would.
func (c *Members) Set(channelID, userID string, in bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.members[channelID] == nil {
		c.members[channelID] = map[string]bool{}
	}
	if in {
		c.members[channelID][userID] = true
	} else {
		delete(c.members[channelID], userID)
	}
}

// IsMember reports whether the user is in the channel.
func (c *Members) IsMember(channelID, userID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[channelID][userID]
}

// Refuse makes every later AddChannelMember fail with reason; "" accepts
// again.
func (c *Members) Refuse(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refuse = reason
}

// Asked returns how many times MemberChannels was called.
func (c *Members) Asked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.asked
}
