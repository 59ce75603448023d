package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v4"

	"github.com/playbooks-bot/playbooks/bot"
)

// clientCommand is `client create|list|revoke`, the OAuth2 clients of
// the client credentials grant. Like token, its database flags go before
// or after the subcommand alike.
func (c *cli) clientCommand() *ff.Command {
	// The command line acts as an admin, audited as via cli.
	fs := ff.NewFlagSet("client")
	c.bind(fs, databaseSettings(), nil)
	client := &ff.Command{
		Name:      "client",
		Usage:     "playbooks client create|list|revoke [flags] [args]",
		ShortHelp: "register, list and revoke OAuth2 clients",
		LongHelp: `An OAuth2 client gets short-lived access tokens from POST /oauth/token
with its ID and secret (the client credentials grant). Its secret is stored
only as a SHA-256 hash and printed once. Its tokens act for --user, reach
the teams given with --team (or every team with --admin), and with
--scope read may only read.

` + envHelp,
		Flags: fs,
	}
	client.Exec = c.group(client)

	createFlags := ff.NewFlagSet("create").SetParent(fs)
	name := createFlags.StringLong("name", "", "what the client is, e.g. status page (required)")
	scope := createFlags.StringLong("scope", "", "read or write (required)")
	user := createFlags.StringLong("user", "", "ID of the user the client's tokens act for (required)")
	teams := createFlags.StringListLong("team", "ID of a team the client may access (repeatable)")
	admin := createFlags.BoolLong("admin", "the client may access every team")
	create := &ff.Command{
		Name:      "create",
		Usage:     "playbooks client create --name NAME --scope read|write --user USER_ID (--team TEAM_ID ... | --admin) [flags]",
		ShortHelp: "register an OAuth2 client (its secret is printed once)",
		LongHelp:  `--name, --scope, --user, --team and --admin describe the one client being made: they have no variables.`,
		Flags:     createFlags,
	}
	create.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(create, args); err != nil {
			return err
		}
		switch {
		case *name == "" || *scope == "" || *user == "":
			return c.usage(create, fmt.Errorf("client create: --name, --scope and --user are required"))
		case len(*teams) == 0 && !*admin:
			return c.usage(create, fmt.Errorf("client create: a client needs at least one --team, or --admin for all teams"))
		}
		return c.withService(ctx, create, func(svc *bot.Service) error {
			spec := bot.ClientSpec{Name: *name, Scope: *scope, UserID: *user, TeamIDs: *teams, Admin: *admin}
			secret, cl, err := svc.CreateClient(ctx, cliActor(), cliOrigin, spec)
			if err != nil {
				return fmt.Errorf("client create: %s", bot.ErrorMessage(err))
			}
			fmt.Fprintf(c.stdout, "client id:     %s\nclient secret: %s\n(the secret is shown once; get tokens with POST /oauth/token, grant_type=client_credentials)\n", cl.ID, secret)
			return nil
		})
	}

	list := &ff.Command{
		Name:      "list",
		Usage:     "playbooks client list [flags]",
		ShortHelp: "list OAuth2 clients (never their secrets)",
		Flags:     ff.NewFlagSet("list").SetParent(fs),
	}
	list.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(list, args); err != nil {
			return err
		}
		return c.withService(ctx, list, func(svc *bot.Service) error {
			cs, err := svc.ListClients(ctx, cliActor())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tNAME\tSCOPE\tUSER\tTEAMS\tADMIN\tCREATED\tLAST USED\tREVOKED")
			for _, cl := range cs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%t\t%s\t%s\t%s\n", cl.ID, cl.Name, cl.Scope, cl.UserID,
					orDash(strings.Join(cl.TeamIDs, ",")), cl.Admin,
					listTime(cl.CreateAt), listTime(cl.LastUsedAt), listTime(cl.RevokeAt))
			}
			return w.Flush()
		})
	}

	revoke := &ff.Command{
		Name:      "revoke",
		Usage:     "playbooks client revoke [flags] CLIENT_ID",
		ShortHelp: "revoke a client; its access tokens stop working at once",
		Flags:     ff.NewFlagSet("revoke").SetParent(fs),
	}
	revoke.Exec = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return c.usage(revoke, fmt.Errorf("client revoke takes one CLIENT_ID, got %d arguments", len(args)))
		}
		return c.withService(ctx, revoke, func(svc *bot.Service) error {
			if err := svc.RevokeClient(ctx, cliActor(), cliOrigin, args[0]); err != nil {
				return fmt.Errorf("client revoke: %s", bot.ErrorMessage(err))
			}
			fmt.Fprintf(c.stdout, "client %s revoked\n", args[0])
			return nil
		})
	}
	client.Subcommands = []*ff.Command{create, list, revoke}
	return client
}
