package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestDatabaseUnavailable sends a slash command while the bot's Postgres
// is unreachable: the user is told to try again shortly (not "invalid
// signature", not Slack's generic failure), and once the database is back
// the same command works, without a restart. A click meanwhile gets 503.
func TestDatabaseUnavailable(t *testing.T) {
	ctx := context.Background()
	db, outage := storetest.OpenPostgresOutage(t)
	e := newEnv(t, storetest.SQLite, func(c *slack.HandlerConfig) {
		svc := bot.NewService(bot.Config{Store: db, Logger: c.Logger, Chat: c.Client,
			Platforms: map[string]bot.Chat{slack.Platform: c.Client}, DefaultPlatform: slack.Platform})
		c.Service = svc
		c.Dispatcher = commands.NewDispatcher(svc).WithUsers(c.Client).WithLogger(c.Logger)
	})
	help := slacktest.Slash{UserID: e.alice.ID, ChannelID: e.general.ID, Text: "help"}

	outage.Stop()
	resp, err := e.sl.SlashCommand(ctx, help)
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "try again shortly") {
		t.Errorf("a command during the outage: %v, status %d: %s; want 200 saying to try again shortly", err, resp.Status, resp.Body)
	}
	click, err := e.sl.Send(ctx, slack.InteractivityPath, map[string][]string{"payload": {`{"type":"block_actions"}`}})
	if err != nil || click.Status != http.StatusServiceUnavailable {
		t.Errorf("an interaction during the outage: %v, status %d, want 503", err, click.Status)
	}

	outage.Start()
	resp, err = e.sl.SlashCommand(ctx, help)
	if err != nil || resp.Status != http.StatusOK || strings.Contains(string(resp.Body), "try again") {
		t.Errorf("the command after the outage: %v, status %d: %s; want its answer", err, resp.Status, resp.Body)
	}
}
