package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// freeAddr returns a loopback address nothing listens on, for a server
// whose own URL must be known before it starts (Mattermost calls it back).
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var envLine = regexp.MustCompile(`(?m)^(PLAYBOOKS_[A-Z_]+)=(\S+)$`)

// TestMattermostEndToEnd runs the binary as an admin would: `mattermost
// setup` against a Mattermost server, then `serve` with the environment it
// printed; then drives it as Mattermost and a script do.
func TestMattermostEndToEnd(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			site := newMMSite(t)
			mm, team, alice, town, public := site.mm, site.team, site.alice, site.town, site.public
			site.setup(t, "acme")
			if cmds := mm.Commands(team.Id); len(cmds) != 1 || cmds[0].URL != public+"/mattermost/command" {
				t.Fatalf("registered commands = %+v, want /playbook at %s/mattermost/command", cmds, public)
			}
			// Setup again reuses the bot and the command, and revokes the
			// first token: serve runs with what the second run printed,
			// and nothing else but the database.
			printed := site.setup(t, team.Id)
			if n := len(mm.Commands(team.Id)); n != 1 {
				t.Fatalf("after a second setup %d commands, want 1", n)
			}
			env := printedEnv(t, printed)
			env["PLAYBOOKS_DATABASE_URL"] = dbURL
			srv := startServer(t, env)
			base := srv.URL + "/plugins/playbooks/api/v0"

			// A script uses alice's Mattermost token on the REST API.
			aliceToken := mm.AddToken(alice.Id)
			var pb struct{ ID string }
			if code := call(t, "POST", base+"/playbooks", aliceToken, map[string]any{
				"title": "Outage", "team_id": team.Id, "create_public_playbook_run": false,
				"checklists": []any{map[string]any{"title": "Triage", "items": []any{map[string]any{"title": "Page DBA"}}}},
			}, &pb); code != 201 {
				t.Fatalf("create playbook with a Mattermost token: got %d, want 201", code)
			}
			if code := call(t, "GET", base+"/playbooks?team_id="+bot.NewID(), aliceToken, nil, nil); code != 403 {
				t.Errorf("another team's playbooks with a Mattermost token: got %d, want 403", code)
			}
			if code := call(t, "GET", base+"/playbooks?team_id="+team.Id, "not-a-token", nil, nil); code != 401 {
				t.Errorf("unknown token: got %d, want 401", code)
			}

			// /playbook run → dialog → submitted to the bot's own path, with no
			// authentication: the bot shares Mattermost's hostname (127.0.0.1),
			// where Mattermost would add alice's session token to a /plugins URL.
			if _, err := mm.SlashCommand(ctx, mmtest.Slash{UserID: alice.Id, ChannelID: town.Id, Text: "run"}); err != nil {
				t.Fatalf("/playbook run: %v", err)
			}
			d, ok := mm.LastDialog()
			if !ok || d.URL != public+"/mattermost/dialog" {
				t.Fatalf("dialog = %+v, %v; want one submitted to %s/mattermost/dialog", d, ok, public)
			}
			resp, err := mm.SubmitDialog(ctx, d, map[string]any{"playbook_id": pb.ID, "name": "DB down"})
			if err != nil || resp.Error != "" || len(resp.Errors) > 0 {
				t.Fatalf("submit start-run dialog: %v %+v", err, resp)
			}
			var channel *model.Channel
			for _, c := range mm.Channels(team.Id) {
				if c.DisplayName == "DB down" {
					channel = c
				}
			}
			if channel == nil || channel.Type != model.ChannelTypePrivate {
				t.Fatalf("run channel = %+v, want a private channel named DB down", channel)
			}
			if len(mm.Posts(channel.Id)) == 0 {
				t.Fatalf("no checklist post in the run channel")
			}

			// The used state is refused by a second replica on the same
			// database, replayed straight to it, and by the first, submitted
			// again through Mattermost: still one run.
			replica := startProcess(t, env) // a second serve, in a process of its own
			req, err := mmtest.DialogSubmission(d, map[string]any{"playbook_id": pb.ID, "name": "DB down"})
			if err != nil {
				t.Fatal(err)
			}
			if resp, err := mm.SendDialogSubmission(ctx, replica.URL+"/mattermost/dialog", req); err != nil || !strings.Contains(resp.Error, "already submitted") {
				t.Errorf("replay to the second replica: got %+v, %v; want a refusal saying it was already submitted", resp, err)
			}
			if resp, err := mm.SubmitDialog(ctx, d, map[string]any{"playbook_id": pb.ID, "name": "DB down"}); err != nil || !strings.Contains(resp.Error, "already submitted") {
				t.Errorf("second submit through Mattermost: got %+v, %v; want a refusal saying it was already submitted", resp, err)
			}
			runs := 0
			for _, c := range mm.Channels(team.Id) {
				if c.DisplayName == "DB down" {
					runs++
				}
			}
			if runs != 1 {
				t.Errorf("%d run channels after the replays, want 1", runs)
			}

			// /playbook check from the channel, then read it back over REST.
			if _, err := mm.SlashCommand(ctx, mmtest.Slash{UserID: alice.Id, ChannelID: channel.Id, Text: "check 0 0"}); err != nil {
				t.Fatalf("/playbook check 0 0: %v", err)
			}
			var r bot.Run
			if code := call(t, "GET", base+"/runs/channel/"+channel.Id, aliceToken, nil, &r); code != 200 {
				t.Fatalf("run by channel: got %d", code)
			}
			if r.Platform != "mattermost" {
				t.Errorf("run platform = %q, want mattermost", r.Platform)
			}
			if st := r.Checklists[0].Items[0].State; st != bot.ItemClosed {
				t.Errorf("item state after /playbook check = %q, want closed", st)
			}
			var md bot.RunMetadata
			if code := call(t, "GET", base+"/runs/"+r.ID+"/metadata", aliceToken, nil, &md); code != 200 || md.ChannelName != channel.Name || md.TeamName != "acme" {
				t.Errorf("metadata = %d %+v, want channel %s of team acme", code, md, channel.Name)
			}

			// bob is in the team but not in the run's private channel: he
			// neither sees it nor changes it; alice does.
			bob := mm.AddUser("bob", team.Id)
			bobToken := mm.AddToken(bob.Id)
			if code := call(t, "GET", base+"/runs/"+r.ID, bobToken, nil, nil); code != 403 {
				t.Errorf("private run, user not in its channel: got %d, want 403", code)
			}
			if code := call(t, "PUT", base+"/runs/"+r.ID+"/checklists/0/item/0/state", bobToken,
				map[string]string{"new_state": ""}, nil); code != 403 {
				t.Errorf("change private run, user not in its channel: got %d, want 403", code)
			}
			var list bot.RunList
			if call(t, "GET", base+"/runs?team_id="+team.Id, bobToken, nil, &list); list.TotalCount != 0 {
				t.Errorf("bob lists %d runs, want 0 (the only run is private to alice's channel)", list.TotalCount)
			}
			if call(t, "GET", base+"/runs?team_id="+team.Id, aliceToken, nil, &list); list.TotalCount != 1 {
				t.Errorf("alice lists %d runs, want 1", list.TotalCount)
			}
			mm.AddChannelMember(channel.Id, bob.Id)
			if code := call(t, "GET", base+"/runs/"+r.ID, bobToken, nil, nil); code != 200 {
				t.Errorf("private run once bob is in its channel: got %d, want 200", code)
			}

			for _, r := range mm.SessionLeaks() {
				t.Errorf("%s %s carried alice's session token", r.Method, r.URL)
			}

			// A command with a token Mattermost never issued is refused.
			_, err = mm.SlashCommand(ctx, mmtest.Slash{UserID: alice.Id, ChannelID: town.Id, Text: "help", Token: "forged"})
			var se *mmtest.StatusError
			if !errors.As(err, &se) || !strings.Contains(fmt.Sprint(err), "401") {
				t.Errorf("forged command token: got %v, want a 401", err)
			}
		})
	}
}

// mmSite is a test Mattermost with team acme, its admin root, alice in
// town-square, and the public URL the bot is to have: a free port on
// Mattermost's own hostname, where a real Mattermost would hand a user's
// session token to any /plugins URL.
type mmSite struct {
	mm           *mmtest.Server
	team         *model.Team
	admin, alice *model.User
	town         *model.Channel
	public       string
}

func newMMSite(t testing.TB) *mmSite {
	mm := mmtest.New(t)
	s := &mmSite{mm: mm, team: mm.AddTeam("acme"), public: "http://" + freeAddr(t)}
	s.admin = mm.AddAdmin("root", s.team.Id)
	s.alice = mm.AddUser("alice", s.team.Id)
	s.town = mm.AddChannel(s.team.Id, "town-square", model.ChannelTypeOpen, s.alice.Id)
	return s
}

// setup runs `mattermost setup` for team (its name or ID) with a new admin
// token, as an admin would, and returns what it printed.
func (s *mmSite) setup(t *testing.T, team string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"mattermost", "setup", "--url", s.mm.URL, "--token", s.mm.AddToken(s.admin.Id),
		"--team", team, "--public-url", s.public}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("mattermost setup: %v", err)
	}
	return out.String()
}

// printedEnv returns the environment `mattermost setup` printed, which
// must have every variable serve needs (the database has a default).
func printedEnv(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, m := range envLine.FindAllStringSubmatch(out, -1) {
		env[m[1]] = m[2]
	}
	for _, k := range []string{"PLAYBOOKS_MATTERMOST_URL", "PLAYBOOKS_MATTERMOST_BOT_TOKEN", "PLAYBOOKS_MATTERMOST_COMMAND_TOKENS",
		"PLAYBOOKS_PUBLIC_URL", "PLAYBOOKS_LISTEN", "PLAYBOOKS_SECRET"} {
		if env[k] == "" {
			t.Fatalf("setup printed no %s:\n%s", k, out)
		}
	}
	return env
}

// TestSetupPrintsServeEnvironment checks point 9 of issue 8: the
// environment setup prints is accepted as is by serve's config: it
// listens on the public URL's port and has a real random secret, not a
// placeholder. Without create_post_ephemeral it says where confirmations go.
func TestSetupPrintsServeEnvironment(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	admin := mm.AddAdmin("root", team.Id)
	setup := func(public string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"mattermost", "setup", "--url", mm.URL, "--token", mm.AddToken(admin.Id),
			"--team", "acme", "--public-url", public}, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatalf("mattermost setup: %v", err)
		}
		return out.String()
	}
	out := setup("http://127.0.0.1:9901")
	env := printedEnv(t, out)
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the printed environment is refused: %v\n%s", err, out)
	}
	m, _ := c.Chats[mattermost.Platform].(mattermostConfig)
	if c.Listen != "127.0.0.1:9901" || m.PublicURL != "http://127.0.0.1:9901" || m.URL != mm.URL {
		t.Errorf("config from the printed environment: listen %q, %+v", c.Listen, m)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(m.Secret) {
		t.Errorf("PLAYBOOKS_SECRET = %q, want 32 random bytes in hex", m.Secret)
	}
	if !strings.Contains(out, "direct messages from\n@playbooks") || !strings.Contains(out, "create_post_ephemeral") {
		t.Errorf("setup does not say where confirmations go without create_post_ephemeral:\n%s", out)
	}

	again := printedEnv(t, setup("http://127.0.0.1:9901"))
	if again["PLAYBOOKS_SECRET"] == env["PLAYBOOKS_SECRET"] {
		t.Error("two setups printed the same secret: it is not random")
	}
	if !strings.Contains(setup("http://playbooks.example"), "PLAYBOOKS_LISTEN=:80\n") {
		t.Error("public URL on port 80: want PLAYBOOKS_LISTEN=:80")
	}
	httpsOut := setup("https://playbooks.example:8443")
	if !strings.Contains(httpsOut, "PLAYBOOKS_LISTEN=:8080\n") || !strings.Contains(httpsOut, "TLS proxy") {
		t.Errorf("https public URL: want the default port and a note on the TLS proxy:\n%s", httpsOut)
	}
}

// TestSetupPluginPrintsSettings runs `mattermost setup --plugin` after a
// plain setup, as an admin moving to the companion plugin would: the
// /playbook command the first registered is deleted and none is created;
// it prints the plugin's two settings, and an environment serve accepts,
// in plugin mode, whose PLAYBOOKS_MATTERMOST_PLUGIN_SECRET is the printed
// Shared secret, without command tokens.
func TestSetupPluginPrintsSettings(t *testing.T) {
	s := newMMSite(t)
	plain := printedEnv(t, s.setup(t, "acme"))
	var cmdID string
	for _, c := range s.mm.Commands(s.team.Id) {
		cmdID = c.Id
	}
	setupPlugin := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"mattermost", "setup", "--plugin", "--url", s.mm.URL, "--token", s.mm.AddToken(s.admin.Id),
			"--team", "acme", "--public-url", s.public + "/"}, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatalf("mattermost setup --plugin: %v", err)
		}
		return out.String()
	}
	out := setupPlugin()

	cmds := s.mm.Commands(s.team.Id)
	if len(cmds) != 1 || cmds[0].Id != cmdID || cmds[0].DeleteAt == 0 {
		t.Errorf("commands after setup --plugin: %+v, want only the first setup's /playbook, deleted", cmds)
	}
	if !strings.Contains(out, "Removed: custom /playbook slash command "+cmdID) {
		t.Errorf("setup --plugin does not say it removed /playbook %s:\n%s", cmdID, out)
	}
	botURL := regexp.MustCompile(`(?m)^Bot server URL: (\S+)$`).FindStringSubmatch(out)
	shared := regexp.MustCompile(`(?m)^Shared secret: +(\S+)$`).FindStringSubmatch(out)
	if botURL == nil || botURL[1] != s.public || shared == nil || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(shared[1]) {
		t.Fatalf("setup --plugin printed no plugin settings (Bot server URL %s, a Shared secret of 32 random bytes in hex):\n%s", s.public, out)
	}
	if !strings.Contains(out, "System Console > Plugins > Playbooks") || !strings.Contains(out, `docs/mattermost.md, "Plugin mode"`) {
		t.Errorf("setup --plugin does not say where the settings go or where the bundle is explained:\n%s", out)
	}
	if strings.Contains(out, "COMMAND_TOKENS") {
		t.Errorf("setup --plugin prints command tokens:\n%s", out)
	}
	env := map[string]string{}
	for _, m := range envLine.FindAllStringSubmatch(out, -1) {
		env[m[1]] = m[2]
	}
	if env["PLAYBOOKS_MATTERMOST_PLUGIN_SECRET"] != shared[1] {
		t.Errorf("PLAYBOOKS_MATTERMOST_PLUGIN_SECRET=%q, the Shared secret %q: want them equal", env["PLAYBOOKS_MATTERMOST_PLUGIN_SECRET"], shared[1])
	}
	if env["PLAYBOOKS_SECRET"] == shared[1] || env["PLAYBOOKS_SECRET"] == plain["PLAYBOOKS_SECRET"] {
		t.Errorf("PLAYBOOKS_SECRET %q: want a new secret of its own", env["PLAYBOOKS_SECRET"])
	}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the printed environment is refused: %v\n%s", err, out)
	}
	m, _ := c.Chats[mattermost.Platform].(mattermostConfig)
	if m.PluginSecret != shared[1] || len(m.CommandTokens) != 0 || m.URL != s.mm.URL || m.PublicURL != s.public ||
		m.BotToken == "" || m.BotToken == plain["PLAYBOOKS_MATTERMOST_BOT_TOKEN"] {
		t.Errorf("config from the printed environment: %+v", m)
	}

	again := setupPlugin()
	if !strings.Contains(again, "Removed: nothing\n") || len(s.mm.Commands(s.team.Id)) != 1 {
		t.Errorf("a second setup --plugin: commands %+v, output:\n%s", s.mm.Commands(s.team.Id), again)
	}
	if regexp.MustCompile(`(?m)^Shared secret: +(\S+)$`).FindStringSubmatch(again)[1] == shared[1] {
		t.Error("two setups printed the same Shared secret: it is not random")
	}
}
