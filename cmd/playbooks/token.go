package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peterbourgon/ff/v4"

	"github.com/playbooks-bot/playbooks/bot"
)

// tokenCommand is `token create|list|revoke`. The database flags are the
// token command's, so they go before or after the subcommand alike.
func (c *cli) tokenCommand() *ff.Command {
	fs := ff.NewFlagSet("token")
	c.bind(fs, databaseSettings(), nil)
	token := &ff.Command{
		Name:      "token",
		Usage:     "playbooks token create|list|revoke [flags] [args]",
		ShortHelp: "issue, list and revoke API tokens",
		LongHelp: `Tokens are stored only as SHA-256 hashes. A token acts for its user and
reaches the teams given with --team, or every team with --admin.

The token commands never create a database: when the SQLite file is missing
they say which path they looked at. Run them from the folder serve runs in,
or set PLAYBOOKS_DATABASE_URL (or --database-url).

` + envHelp,
		Flags: fs,
	}
	token.Exec = c.group(token)

	createFlags := ff.NewFlagSet("create").SetParent(fs)
	user := createFlags.StringLong("user", "", "ID of the user the token acts for (required)")
	teams := createFlags.StringListLong("team", "ID of a team the token may access (repeatable)")
	admin := createFlags.BoolLong("admin", "the token may access every team")
	name := createFlags.StringLong("name", "", "a note of what the token is for, shown in lists")
	expiresIn := createFlags.DurationLong("expires-in", 0, "the token stops working after this long, e.g. 720h (at most 8760h; default: never)")
	create := &ff.Command{
		Name:      "create",
		Usage:     "playbooks token create --user USER_ID (--team TEAM_ID ... | --admin) [--name NAME] [--expires-in DURATION] [flags]",
		ShortHelp: "issue an API token acting for a user (its secret is printed once)",
		LongHelp: `--user, --team, --admin, --name and --expires-in describe the one token
being made: they have no variables. The token is issued as by an admin over
REST and written to the audit log with via=cli.`,
		Flags: createFlags,
	}
	create.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(create, args); err != nil {
			return err
		}
		switch {
		case *user == "":
			return c.usage(create, fmt.Errorf("token create: --user is required"))
		case len(*teams) == 0 && !*admin:
			return c.usage(create, fmt.Errorf("token create: a token needs at least one --team, or --admin for all teams"))
		case *expiresIn < 0:
			return c.usage(create, fmt.Errorf("token create: --expires-in must be positive, got %s", *expiresIn))
		}
		return c.withService(ctx, create, func(svc *bot.Service) error {
			secret, t, err := svc.IssueToken(ctx, cliActor(), cliOrigin, bot.TokenSpec{
				UserID: *user, TeamIDs: *teams, Admin: *admin, Name: *name, ExpiresIn: *expiresIn,
			})
			if err != nil {
				return fmt.Errorf("token create: %s", bot.ErrorMessage(err))
			}
			fmt.Fprintf(c.stdout, "token id: %s\nsecret:   %s\n", t.ID, secret)
			if t.ExpireAt != 0 {
				fmt.Fprintf(c.stdout, "expires:  %s\n", listTime(t.ExpireAt))
			}
			fmt.Fprintln(c.stdout, "(the secret is shown once; send it as Authorization: Bearer <secret>)")
			return nil
		})
	}

	list := &ff.Command{
		Name:      "list",
		Usage:     "playbooks token list [flags]",
		ShortHelp: "list issued tokens (never their secrets)",
		Flags:     ff.NewFlagSet("list").SetParent(fs),
	}
	list.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(list, args); err != nil {
			return err
		}
		return c.withService(ctx, list, func(svc *bot.Service) error {
			ts, err := svc.ListUserTokens(ctx, cliActor(), "")
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tUSER\tNAME\tTEAMS\tADMIN\tCREATED\tCREATED BY\tLAST USED\tEXPIRES\tREVOKED")
			for _, t := range ts {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%t\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserID, orDash(t.Name),
					orDash(strings.Join(t.TeamIDs, ",")), t.Admin, listTime(t.CreateAt), orDash(t.CreatedBy),
					listTime(t.LastUsedAt), listTime(t.ExpireAt), listTime(t.RevokeAt))
			}
			return w.Flush()
		})
	}

	revoke := &ff.Command{
		Name:      "revoke",
		Usage:     "playbooks token revoke [flags] TOKEN_ID",
		ShortHelp: "revoke a token; it stops working at once",
		Flags:     ff.NewFlagSet("revoke").SetParent(fs),
	}
	revoke.Exec = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return c.usage(revoke, fmt.Errorf("token revoke takes one TOKEN_ID, got %d arguments", len(args)))
		}
		return c.withService(ctx, revoke, func(svc *bot.Service) error {
			if err := svc.RevokeUserToken(ctx, cliActor(), cliOrigin, args[0]); err != nil {
				return fmt.Errorf("token revoke: %s", bot.ErrorMessage(err))
			}
			fmt.Fprintf(c.stdout, "token %s revoked\n", args[0])
			return nil
		})
	}
	token.Subcommands = []*ff.Command{create, list, revoke}
	return token
}

// cliActor is who the token commands act as: whoever holds the shell and
// the database is an admin. The audit log names them by via=cli.
func cliActor() bot.Actor { return bot.Actor{Admin: true} }

// cliOrigin is where the command line's changes of credentials come from,
// for the audit log.
var cliOrigin = bot.Origin{Via: bot.ViaCLI}

// listTime formats a Unix ms time of a token for token list; "-" for 0
// (never).
func listTime(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// orDash is s, or "-" when empty, so that columns stay aligned.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withService opens the existing database (never creating one) with the
// configuration cmd's flags and the environment give, and runs fn over
// the service.
func (c *cli) withService(ctx context.Context, cmd *ff.Command, fn func(*bot.Service) error) error {
	cfg, logger, err := c.config(cmd)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(bot.NewService(bot.Config{Store: db}))
}
