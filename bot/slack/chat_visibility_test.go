package slack_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestChatVisibility: on Slack too, assign on a private run invites the
// assignee to its channel and says so, and a participant who left the
// channel does not find the run in /playbook list from another channel.
func TestChatVisibility(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			ctx := context.Background()
			r, err := e.svc.CreateRun(ctx, bot.Actor{UserID: e.alice.ID, TeamIDs: []string{e.sl.Team}},
				bot.NewRun{Name: "Secret outage", PlaybookID: e.playbook(t).ID, Platform: slack.Platform})
			if err != nil {
				t.Fatal(err)
			}
			if ch, _ := e.sl.Channel(r.ChannelID); !ch.Private || slices.Contains(ch.Members, e.erin.ID) {
				t.Fatalf("run channel %+v: want private, without erin", ch)
			}
			reply := e.slash(t, e.alice, r.ChannelID, "assign 0 0 @erin")
			if !strings.Contains(reply.Text, "was not in this private run's channel and has been added") {
				t.Errorf("assign answered %q, want it to say erin was added", reply.Text)
			}
			if ch, _ := e.sl.Channel(r.ChannelID); !slices.Contains(ch.Members, e.erin.ID) {
				t.Fatalf("erin was not invited: members %v", ch.Members)
			}
			e.sl.RemoveMember(r.ChannelID, e.erin.ID)
			e.clock.Advance(slack.MembershipTTL) // the bot asks Slack again
			if reply := e.slash(t, e.erin, e.general.ID, "list"); strings.Contains(reply.Text, "Secret outage") {
				t.Errorf("erin, out of the channel, lists the private run: %q", reply.Text)
			}
			if reply := e.slash(t, e.alice, e.general.ID, "list"); !strings.Contains(reply.Text, "Secret outage") {
				t.Errorf("alice, in the channel, does not list the run: %q", reply.Text)
			}
		})
	}
}
