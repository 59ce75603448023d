package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/playbooks-bot/playbooks/bot/mattermost"
)

// mattermostCommand runs `mattermost setup`.
func mattermostCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "setup" {
		return errors.New("usage: playbooks mattermost setup --url URL --token ADMIN_TOKEN --team TEAM --public-url BOT_URL")
	}
	fs := flag.NewFlagSet("mattermost setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c mattermost.SetupConfig
	fs.StringVar(&c.SiteURL, "url", "", "Mattermost site URL, e.g. https://chat.example.com (required)")
	fs.StringVar(&c.AdminToken, "token", "", "a system admin's personal access token, used once (required)")
	fs.StringVar(&c.Team, "team", "", "name or ID of the team to register /playbook in (required)")
	fs.StringVar(&c.PublicURL, "public-url", "", "URL at which Mattermost reaches this server (required)")
	fs.StringVar(&c.BotUsername, "bot-username", "playbooks", "username of the bot account")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("mattermost setup: unexpected argument %q", fs.Arg(0))
	}
	res, err := mattermost.Setup(ctx, c)
	if err != nil {
		return fmt.Errorf("mattermost setup: %w", err)
	}
	created := "nothing new (all reused)"
	if len(res.Created) > 0 {
		created = strings.Join(res.Created, ", ")
	}
	fmt.Fprintf(stdout, `Mattermost is ready: team %s, bot user %s, /playbook -> %s
Created: %s

Start the server with (PLAYBOOKS_SECRET: any 32+ random characters, kept stable;
with several teams, list every team's command token, comma-separated):

PLAYBOOKS_MATTERMOST_URL=%s
PLAYBOOKS_MATTERMOST_BOT_TOKEN=%s
PLAYBOOKS_MATTERMOST_COMMAND_TOKENS=%s
PLAYBOOKS_PUBLIC_URL=%s
PLAYBOOKS_SECRET=<openssl rand -hex 32>
`, res.TeamID, res.BotUserID, res.CommandURL, created,
		strings.TrimRight(c.SiteURL, "/"), res.BotToken, res.CommandToken, strings.TrimRight(c.PublicURL, "/"))
	return nil
}
