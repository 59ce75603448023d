package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// tokenCommand runs `token create|list|revoke`.
func tokenCommand(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: playbooks token create|list|revoke")
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := bot.NewService(bot.Config{Store: db})

	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("token create", flag.ContinueOnError)
		fs.SetOutput(stderr)
		user := fs.String("user", "", "ID of the user the token acts for (required)")
		admin := fs.Bool("admin", false, "the token may access every team")
		var teams stringList
		fs.Var(&teams, "team", "ID of a team the token may access (repeatable)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("token create: unexpected argument %q", fs.Arg(0))
		}
		secret, t, err := svc.CreateToken(ctx, *user, teams, *admin)
		if err != nil {
			return fmt.Errorf("token create: %s", bot.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "token id: %s\nsecret:   %s\n(the secret is shown once; send it as Authorization: Bearer <secret>)\n", t.ID, secret)
		return nil
	case "list":
		ts, err := svc.ListTokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSER\tTEAMS\tADMIN\tCREATED\tREVOKED")
		for _, t := range ts {
			revoked := "-"
			if t.RevokeAt != 0 {
				revoked = time.UnixMilli(t.RevokeAt).UTC().Format(time.RFC3339)
			}
			teams := strings.Join(t.TeamIDs, ",")
			if teams == "" {
				teams = "-"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\t%s\n", t.ID, t.UserID, teams, t.Admin,
				time.UnixMilli(t.CreateAt).UTC().Format(time.RFC3339), revoked)
		}
		return w.Flush()
	case "revoke":
		if len(args) != 2 {
			return errors.New("usage: playbooks token revoke TOKEN_ID")
		}
		if err := svc.RevokeToken(ctx, args[1]); err != nil {
			return fmt.Errorf("token revoke: %s", bot.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "token %s revoked\n", args[1])
		return nil
	}
	return fmt.Errorf("unknown token command %q: use create, list or revoke", args[0])
}
