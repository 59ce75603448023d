package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestSlashCommandIDShapes checks that the adapter, not the core, refuses
// a slash command whose user or channel ID is not a Slack ID (the core
// takes any bounded opaque ID): the answer is 200 with a message.
func TestSlashCommandIDShapes(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	for _, tc := range []struct{ name, user, channel string }{
		{"user is a Mattermost ID", strings.Repeat("a", 26), e.general.ID},
		{"channel in lowercase", e.alice.ID, strings.ToLower(e.general.ID)},
		{"channel too long", e.alice.ID, "C" + strings.Repeat("0", 21)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.sl.SlashCommand(context.Background(), slacktest.Slash{UserID: tc.user, ChannelID: tc.channel, Text: "list"})
			if err != nil || resp.Status != 200 {
				t.Fatalf("got %v, status %d", err, resp.Status)
			}
			var r commandReply
			if err := resp.JSON(&r); err != nil || !strings.Contains(r.Text, "not a Slack ID") {
				t.Errorf("got %+v, %v; want a refusal naming the ID shape", r, err)
			}
		})
	}
}
