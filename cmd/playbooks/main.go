// Command playbooks is the playbooks server: `serve` runs the bot and its
// REST API, `migrate` applies schema changes, and `token` issues, lists and
// revokes API tokens. It is the only package that reads the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "playbooks:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: playbooks <command> [flags]

commands:
  serve                  run the bot and the REST API (migrates the database first)
  migrate                apply pending schema migrations and exit
  token create --user USER_ID [--team TEAM_ID ...] [--admin]
                         issue an API token acting for USER_ID (printed once)
  token list             list issued tokens (never their secrets)
  token revoke TOKEN_ID  revoke a token
  mattermost setup --url URL --token ADMIN_TOKEN --team TEAM --public-url BOT_URL
                         create the bot account and register /playbook in a team; prints
                         the environment serve needs. Run again, it issues a new bot token
                         and revokes the ones earlier runs issued

environment:
  PLAYBOOKS_LISTEN          address to listen on (default :8080)
  PLAYBOOKS_DATABASE_URL    postgres:// or postgresql:// URL for Postgres; anything else is
                            an SQLite file path, optionally prefixed sqlite:// or file:
                            (default ./data/playbooks.db)
  PLAYBOOKS_ADMIN_TOKEN     optional bootstrap admin bearer token accepted by serve
  PLAYBOOKS_ADMIN_USER_ID   user the bootstrap admin token acts for
                            (default ` + defaultAdminUserID + `)
  PLAYBOOKS_MATTERMOST_URL, PLAYBOOKS_MATTERMOST_BOT_TOKEN,
  PLAYBOOKS_MATTERMOST_COMMAND_TOKENS, PLAYBOOKS_PUBLIC_URL, PLAYBOOKS_SECRET
                            connect to Mattermost (see README); ` + "`mattermost setup`" + ` prints them
  PLAYBOOKS_SECRET          at least 32 characters (e.g. openssl rand -hex 32): signs the
                            dialogs and buttons the bot posts; keep it stable
  PLAYBOOKS_SECRET_PREVIOUS optional: the secret PLAYBOOKS_SECRET replaced. Buttons,
                            dialogs and details links signed with it keep working (nothing
                            new is signed with it); drop it once the old posts no longer matter
`

// run is the whole program, so that a test can start it on port 0.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(ctx, cfg, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "token":
		return tokenCommand(ctx, cfg, args[1:], stdout, stderr)
	case "mattermost":
		return mattermostCommand(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
