package slack_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestMemberChannels: of the private run channels asked, those the user is
// in, from users.conversations; a channel the bot was removed from, or
// one not asked about, is not among them.
func TestMemberChannels(t *testing.T) {
	c, sl := newClient(t)
	ctx := context.Background()
	alice, bob := sl.AddUser("alice"), sl.AddUser("bob")
	private := func(name string, members ...string) string {
		id, err := c.CreateChannel(ctx, bot.NewChannel{DisplayName: name, MemberIDs: members})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	both, onlyBob, left, notAsked := private("both", alice.ID, bob.ID), private("bob", bob.ID),
		private("left", alice.ID), private("other", alice.ID)
	sl.RemoveMember(left, sl.BotUserID) // the bot was removed: Slack no longer shows it
	public := sl.AddChannel("town", alice.ID, sl.BotUserID).ID
	asked := []string{both, onlyBob, left, public}

	for _, tc := range []struct {
		name, user string
		want       []string
	}{
		{"alice", alice.ID, []string{both}},
		{"bob", bob.ID, []string{both, onlyBob}},
		{"unknown user", "U0NOBODY01", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.MemberChannels(ctx, tc.user, asked)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v (not asked: %s)", got, want, notAsked)
			}
		})
	}
	if got, err := c.MemberChannels(ctx, alice.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("no channels asked: %v, %v", got, err)
	}
	if !slices.Contains(sl.Calls(), "users.conversations") {
		t.Errorf("calls %v: users.conversations never called", sl.Calls())
	}
}

// TestAddChannelMember: conversations.invite; a member already in is no
// error; a refusal is an EForbidden saying why.
func TestAddChannelMember(t *testing.T) {
	c, sl := newClient(t)
	ctx := context.Background()
	alice, gone := sl.AddUser("alice"), sl.AddUser("gone")
	sl.DeactivateUser(gone.ID)
	ch, err := c.CreateChannel(ctx, bot.NewChannel{DisplayName: "Outage"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second time, already in
		if err := c.AddChannelMember(ctx, ch, alice.ID); err != nil {
			t.Fatalf("add alice (%d): %v", i, err)
		}
	}
	if got, _ := sl.Channel(ch); !slices.Contains(got.Members, alice.ID) {
		t.Errorf("members %v, want alice among them", got.Members)
	}
	for _, tc := range []struct{ name, channel, user, reason string }{
		{"deactivated", ch, gone.ID, "deactivated"},
		{"unknown user", ch, "U0NOBODY01", "Slack does not know them"},
		{"channel gone", "G0NOPE0001", alice.ID, "the channel is gone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.AddChannelMember(ctx, tc.channel, tc.user)
			if bot.ErrorCode(err) != bot.EForbidden || !strings.Contains(bot.ErrorMessage(err), tc.reason) {
				t.Errorf("got %v (%q), want EForbidden saying %q", err, bot.ErrorMessage(err), tc.reason)
			}
		})
	}
}
