package mmtest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestChannelMemberLookup: as on a real server, a private channel's
// members can be read and added only by its members (the bot that created
// it) or a system admin; anyone else gets 403, whatever the answer would
// be. A non-member is a 404.
func TestChannelMemberLookup(t *testing.T) {
	ctx := context.Background()
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	botUser, botToken := mm.AddBot("playbooks", team.Id)
	alice, bob, carol := mm.AddUser("alice", team.Id), mm.AddUser("bob", team.Id), mm.AddUser("carol", team.Id)
	root := mm.AddAdmin("root")
	private := mm.AddChannel(team.Id, "secret", model.ChannelTypePrivate, botUser.Id, alice.Id)
	open := mm.AddChannel(team.Id, "town", model.ChannelTypeOpen, alice.Id)
	client := func(token string) *model.Client4 {
		c := model.NewAPIv4Client(mm.URL)
		c.SetToken(token)
		return c
	}
	asBot, asBob, asRoot, asAlice := client(botToken), client(mm.AddToken(bob.Id)), client(mm.AddToken(root.Id)), client(mm.AddToken(alice.Id))

	for _, tc := range []struct {
		name          string
		as            *model.Client4
		channel, user string
		want          int
	}{
		{"bot, member", asBot, private.Id, alice.Id, http.StatusOK},
		{"bot, not a member", asBot, private.Id, bob.Id, http.StatusNotFound},
		{"member asks", asAlice, private.Id, alice.Id, http.StatusOK},
		{"outsider asks about a member", asBob, private.Id, alice.Id, http.StatusForbidden},
		{"outsider asks about himself", asBob, private.Id, bob.Id, http.StatusForbidden},
		{"admin, not a member", asRoot, private.Id, alice.Id, http.StatusOK},
		{"open channel, team member asks", asBob, open.Id, alice.Id, http.StatusOK},
		{"unknown channel", asBot, model.NewId(), alice.Id, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, _ := tc.as.GetChannelMember(ctx, tc.channel, tc.user, "")
			if resp == nil || resp.StatusCode != tc.want {
				t.Errorf("GET member: got %v, want %d", resp, tc.want)
			}
		})
	}

	if _, resp, _ := asBob.AddChannelMember(ctx, private.Id, bob.Id); resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("outsider adds himself to a private channel: %v, want 403", resp)
	}
	if _, resp, err := asBot.AddChannelMember(ctx, private.Id, carol.Id); err != nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("bot adds carol: %v %v, want 201", resp, err)
	}
	outsider := mm.AddUser("dana") // in no team
	if _, resp, _ := asBot.AddChannelMember(ctx, private.Id, outsider.Id); resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("bot adds a user of no team: %v, want 403", resp)
	}
	mm.RemoveChannelMember(private.Id, carol.Id)
	if _, resp, _ := asBot.GetChannelMember(ctx, private.Id, carol.Id, ""); resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("after RemoveChannelMember: %v, want 404", resp)
	}
}
