package main

import (
	"context"
	"fmt"
	"time"

	"github.com/peterbourgon/ff/v4"

	"github.com/playbooks-bot/playbooks/bot"
)

// adminCommand is `admin link`: it prints a signed, short-lived, single-use
// link to the admin page (tokens, OAuth2 clients, the audit log). It signs
// with the server's link key, so it needs the same PLAYBOOKS_SECRET (or
// PLAYBOOKS_LINK_SECRET) and PLAYBOOKS_PUBLIC_URL as serve; it does not
// open the database.
func (c *cli) adminCommand() *ff.Command {
	fs := ff.NewFlagSet("admin")
	c.bind(fs, settingsNamed("PLAYBOOKS_PUBLIC_URL", "PLAYBOOKS_LOG_FORMAT", "PLAYBOOKS_LOG_LEVEL"), nil)
	admin := &ff.Command{
		Name:      "admin",
		Usage:     "playbooks admin link --user ADMIN_USER_ID [--ttl 15m] [flags]",
		ShortHelp: "print a link to the admin page of API tokens and OAuth2 clients",
		LongHelp: `The link is signed with the server's link key (PLAYBOOKS_LINK_SECRET, or the
key derived from PLAYBOOKS_SECRET: set the same as serve has), opens the
page once, and expires after --ttl. Whoever opens it acts as an admin.

` + envHelp,
		Flags: fs,
	}
	admin.Exec = c.group(admin)

	linkFlags := ff.NewFlagSet("link").SetParent(fs)
	user := linkFlags.StringLong("user", "", "ID of the admin the page acts as (required)")
	ttl := linkFlags.DurationLong("ttl", bot.AdminLinkTTL, "how long the link may be opened (1m to 24h)")
	link := &ff.Command{
		Name:      "link",
		Usage:     "playbooks admin link --user ADMIN_USER_ID [--ttl 15m] [flags]",
		ShortHelp: "print a signed, single-use link to the admin page",
		LongHelp: `--user and --ttl describe the one link being made: they have no variables.
The link is a credential: hand it only to that admin.`,
		Flags: linkFlags,
	}
	link.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(link, args); err != nil {
			return err
		}
		if *user == "" {
			return c.usage(link, fmt.Errorf("admin link: --user is required"))
		}
		cfg, _, err := c.config(link)
		if err != nil {
			return err
		}
		svc := bot.NewService(bot.Config{PublicURL: cfg.PublicURL, LinkSecret: cfg.LinkSecret})
		u, err := svc.AdminLink(*user, *ttl)
		if err != nil {
			return fmt.Errorf("admin link: %s", bot.ErrorMessage(err))
		}
		fmt.Fprintf(c.stdout, "%s\n(opens the admin page once, until %s)\n", u,
			time.Now().Add(*ttl).UTC().Format(time.RFC3339))
		return nil
	}
	admin.Subcommands = []*ff.Command{link}
	return admin
}
