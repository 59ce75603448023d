package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/peterbourgon/ff/v4"

	"github.com/playbooks-bot/playbooks/bot/mattermost"
)

// mattermostSetupSettings are the variables of `mattermost setup`'s own
// flags; its --url and --public-url are serve's PLAYBOOKS_MATTERMOST_URL
// and PLAYBOOKS_PUBLIC_URL.
var mattermostSetupSettings = []setting{
	{name: "PLAYBOOKS_MATTERMOST_ADMIN_TOKEN", help: "mattermost setup only: a system admin's personal access token, used once (required)", secret: true},
	{name: "PLAYBOOKS_MATTERMOST_TEAM", help: "mattermost setup only: name or ID of the team to register /playbook in (required)"},
	{name: "PLAYBOOKS_MATTERMOST_BOT_USERNAME", def: "playbooks", help: "mattermost setup only: username of the bot account"},
}

// mattermostCommand is `mattermost setup`.
func (c *cli) mattermostCommand() *ff.Command {
	fs := ff.NewFlagSet("setup")
	flagNames := map[string]string{
		"PLAYBOOKS_MATTERMOST_URL": "url", "PLAYBOOKS_MATTERMOST_ADMIN_TOKEN": "token", "PLAYBOOKS_MATTERMOST_TEAM": "team",
		"PLAYBOOKS_PUBLIC_URL": "public-url", "PLAYBOOKS_MATTERMOST_BOT_USERNAME": "bot-username",
	}
	c.bind(fs, append(settingsNamed("PLAYBOOKS_MATTERMOST_URL", "PLAYBOOKS_PUBLIC_URL"), mattermostSetupSettings...), flagNames)
	plugin := fs.BoolLong("plugin", "plugin mode: register no /playbook command (the companion plugin does) and delete the one an "+
		"earlier setup registered; print the plugin's settings and a PLAYBOOKS_MATTERMOST_PLUGIN_SECRET (see docs/mattermost.md, Plugin mode)")
	setup := &ff.Command{
		Name:      "setup",
		Usage:     "playbooks mattermost setup --url URL --token ADMIN_TOKEN --team TEAM --public-url BOT_URL [flags]",
		ShortHelp: "create the bot account and register /playbook in a team; print serve's environment",
		LongHelp: `Creates (or reuses) the bot account and the /playbook slash command in a team,
and prints the environment serve needs. Run again, it issues a new bot token
and revokes the ones earlier runs issued. With --plugin, the companion
Mattermost plugin registers /playbook instead: setup deletes the custom
/playbook command, if any, and prints the plugin's two settings.

` + envHelp,
		Flags: fs,
	}
	setup.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(setup, args); err != nil {
			return err
		}
		get := c.lookup(setup)
		var missing []string
		for _, name := range []string{"PLAYBOOKS_MATTERMOST_URL", "PLAYBOOKS_MATTERMOST_ADMIN_TOKEN", "PLAYBOOKS_MATTERMOST_TEAM", "PLAYBOOKS_PUBLIC_URL"} {
			if get(name) == "" {
				missing = append(missing, "--"+flagNames[name]+" ("+name+")")
			}
		}
		if len(missing) > 0 {
			return c.usage(setup, fmt.Errorf("mattermost setup: %s required", strings.Join(missing, ", ")))
		}
		return mattermostSetup(ctx, mattermost.SetupConfig{
			SiteURL: get("PLAYBOOKS_MATTERMOST_URL"), AdminToken: get("PLAYBOOKS_MATTERMOST_ADMIN_TOKEN"),
			Team: get("PLAYBOOKS_MATTERMOST_TEAM"), PublicURL: get("PLAYBOOKS_PUBLIC_URL"),
			BotUsername: get("PLAYBOOKS_MATTERMOST_BOT_USERNAME"), Plugin: *plugin,
		}, c.stdout)
	}
	mm := &ff.Command{
		Name:        "mattermost",
		Usage:       "playbooks mattermost setup [flags]",
		ShortHelp:   "set up Mattermost for the bot",
		Flags:       ff.NewFlagSet("mattermost"),
		Subcommands: []*ff.Command{setup},
	}
	mm.Exec = c.group(mm)
	return mm
}

// mattermostSetup runs `mattermost setup` with its flags read.
func mattermostSetup(ctx context.Context, c mattermost.SetupConfig, stdout io.Writer) error {
	public, err := url.Parse(c.PublicURL)
	if c.PublicURL != "" && (err != nil || (public.Scheme != "http" && public.Scheme != "https") || public.Host == "") {
		return fmt.Errorf("mattermost setup: --public-url must be an http(s) URL, got %q", c.PublicURL)
	}
	secret, err := newSecret()
	if err != nil {
		return err
	}
	res, err := mattermost.Setup(ctx, c)
	if err != nil {
		return fmt.Errorf("mattermost setup: %w", err)
	}
	if c.Plugin {
		pluginSecret, err := newSecret()
		if err != nil {
			return err
		}
		printPluginSetup(stdout, c, public, res, secret, pluginSecret)
		return nil
	}
	printSetup(stdout, c, public, res, secret)
	return nil
}

// newSecret returns a PLAYBOOKS_SECRET: 32 random bytes in hex.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate PLAYBOOKS_SECRET: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// listenFor returns the PLAYBOOKS_LISTEN that matches a public URL: its
// port for http (serve speaks plain HTTP), and the default 8080 behind
// the TLS proxy an https URL needs, with a note saying so. For a loopback
// URL (localhost, 127.0.0.0/8, ::1) it listens on that loopback address
// only: Mattermost reaches the bot there, and every interface would open
// it to the network for nothing.
func listenFor(public *url.URL) (listen, note string) {
	host := ""
	if h := public.Hostname(); strings.EqualFold(h, "localhost") {
		host = "127.0.0.1"
	} else if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		host = ip.String()
	}
	if public.Scheme == "https" {
		listen = net.JoinHostPort(host, "8080")
		return listen, fmt.Sprintf("# serve speaks plain HTTP: %s needs a TLS proxy in front of it that forwards to %s.\n", public.Host, listenTarget(listen))
	}
	port := public.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(host, port), ""
}

// listenTarget is where a proxy on the same host reaches listen: its
// address, or port 8080 for every interface.
func listenTarget(listen string) string {
	if strings.HasPrefix(listen, ":") {
		return "port " + strings.TrimPrefix(listen, ":")
	}
	return listen
}

// printSetup prints what setup did and the environment serve needs.
func printSetup(w io.Writer, c mattermost.SetupConfig, public *url.URL, res mattermost.SetupResult, secret string) {
	created := "nothing new (all reused)"
	if len(res.Created) > 0 {
		created = strings.Join(res.Created, ", ")
	}
	fmt.Fprintf(w, "Mattermost is ready: team %s, bot user %s, /playbook -> %s\nCreated: %s\n",
		res.TeamID, res.BotUserID, res.CommandURL, created)
	if res.Revoked > 0 {
		fmt.Fprintf(w, "Revoked: %d bot access token(s) an earlier setup issued; a running serve must restart with the new one below.\n", res.Revoked)
	}
	printNotes(w, res)
	printServeEnv(w, c, public, res, secret, `With several teams, list every team's
command token in PLAYBOOKS_MATTERMOST_COMMAND_TOKENS, comma-separated.`,
		"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS="+res.CommandToken)
}

// printServeEnv prints the environment serve needs, after a paragraph that
// ends with more, with line for the way Mattermost's commands reach it.
func printServeEnv(w io.Writer, c mattermost.SetupConfig, public *url.URL, res mattermost.SetupResult, secret, more, line string) {
	listen, note := listenFor(public)
	fmt.Fprintf(w, `
Start the server with this environment. PLAYBOOKS_SECRET is new and random: if a server
already runs, keep its secret instead (or move the old one to PLAYBOOKS_SECRET_PREVIOUS,
so that the buttons already posted keep working). %s

%sPLAYBOOKS_MATTERMOST_URL=%s
PLAYBOOKS_MATTERMOST_BOT_TOKEN=%s
%s
PLAYBOOKS_PUBLIC_URL=%s
PLAYBOOKS_LISTEN=%s
PLAYBOOKS_SECRET=%s
# PLAYBOOKS_DATABASE_URL=postgres://USER:PASSWORD@HOST/DB (default: the SQLite file ./data/playbooks.db)
`, more, note, strings.TrimRight(c.SiteURL, "/"), res.BotToken, line, strings.TrimRight(c.PublicURL, "/"), listen, secret)
}

// printNotes prints setup's warnings and where the bot's confirmations go.
func printNotes(w io.Writer, res mattermost.SetupResult) {
	for _, warning := range res.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", warning)
	}
	if res.EphemeralAllowed {
		fmt.Fprintf(w, "\nConfirmations (\"Started the run ...\") appear in the channel, to the user who acted only.\n")
	} else {
		fmt.Fprintf(w, `
The bot lacks the create_post_ephemeral permission (on a default server only system admins
have it), so confirmations ("Started the run ...") will arrive as direct messages from
@%s. To get them in the channel instead, grant create_post_ephemeral to the system_user
role (PUT /api/v4/roles/{id}/patch); Team Edition has no role for bots alone, so that grants
it to every user. A running Mattermost applies a grant only when its role cache expires, up
to about 10 minutes later: until then confirmations still arrive as direct messages.
`, res.BotUsername)
	}
}

// printPluginSetup prints what setup --plugin did, the two settings of the
// companion plugin, and the environment serve needs in plugin mode: the
// plugin secret instead of command tokens.
func printPluginSetup(w io.Writer, c mattermost.SetupConfig, public *url.URL, res mattermost.SetupResult, secret, pluginSecret string) {
	created, removed := "nothing new (all reused)", "nothing"
	if len(res.Created) > 0 {
		created = strings.Join(res.Created, ", ")
	}
	if len(res.Removed) > 0 {
		removed = strings.Join(res.Removed, ", ") + " (the plugin registers /playbook itself)"
	}
	fmt.Fprintf(w, "Mattermost is ready for the Playbooks plugin: team %s, bot user %s, no custom /playbook command\nCreated: %s\nRemoved: %s\n",
		res.TeamID, res.BotUserID, created, removed)
	if res.Revoked > 0 {
		fmt.Fprintf(w, "Revoked: %d bot access token(s) an earlier setup issued; a running serve must restart with the new one below.\n", res.Revoked)
	}
	printNotes(w, res)
	botURL := strings.TrimRight(c.PublicURL, "/")
	fmt.Fprintf(w, `
Install the plugin bundle (scripts/plugin-bundle builds it; see docs/mattermost.md, "Plugin mode"),
then paste these settings into System Console > Plugins > Playbooks and enable the plugin:

Bot server URL: %s
Shared secret:  %s
`, botURL, pluginSecret)
	printServeEnv(w, c, public, res, secret, `PLAYBOOKS_MATTERMOST_PLUGIN_SECRET is
the plugin's Shared secret above: the two must be equal. No command tokens are needed:
the plugin's /playbook is in every team. With several teams, run setup --plugin for each
(it adds the bot to the team) and keep the first run's PLAYBOOKS_SECRET and Shared
secret (the plugin has one for all teams), but the last run's bot token: each run
revokes the bot tokens earlier runs issued.`, "PLAYBOOKS_MATTERMOST_PLUGIN_SECRET="+pluginSecret)
}
