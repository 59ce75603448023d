package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/mock"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/mmplugin"
	"github.com/playbooks-bot/playbooks/mmplugin/companion"
)

// pluginEnv is a bot server in plugin mode on a Mattermost test server,
// and the companion plugin on Mattermost's plugin API test double,
// configured to reach the bot over HTTP.
type pluginEnv struct {
	site   *mmSite
	bob    *model.User
	srv    *server
	secret string
	api    *plugintest.API
	plugin *companion.Plugin
	cmd    *model.Command // what the plugin registered
}

func newPluginEnv(t testing.TB, dbURL string) *pluginEnv { return newPluginEnvWith(t, dbURL, false) }

// newPluginEnvWith is newPluginEnv; with slashCommand, the team also has
// the custom /playbook command of a plain setup, and the bot its token:
// both ways in at once, for comparing them.
func newPluginEnvWith(t testing.TB, dbURL string, slashCommand bool) *pluginEnv {
	t.Helper()
	e := &pluginEnv{site: newMMSite(t)}
	e.bob = e.site.mm.AddUser("bob", e.site.team.Id)
	// Set up as an admin does: setup --plugin, its environment for serve
	// and its Shared secret for the plugin's settings.
	var out bytes.Buffer
	if err := run(context.Background(), []string{"mattermost", "setup", "--plugin", "--url", e.site.mm.URL, "--token", e.site.mm.AddToken(e.site.admin.Id),
		"--team", "acme", "--public-url", e.site.public}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatalf("mattermost setup --plugin: %v", err)
	}
	env := map[string]string{}
	for _, m := range envLine.FindAllStringSubmatch(out.String(), -1) {
		env[m[1]] = m[2]
	}
	shared := regexp.MustCompile(`(?m)^Shared secret: +(\S+)$`).FindStringSubmatch(out.String())
	if shared == nil || env["PLAYBOOKS_MATTERMOST_PLUGIN_SECRET"] != shared[1] || env["PLAYBOOKS_MATTERMOST_COMMAND_TOKENS"] != "" {
		t.Fatalf("setup --plugin printed no Shared secret equal to PLAYBOOKS_MATTERMOST_PLUGIN_SECRET, or command tokens:\n%s", out.String())
	}
	e.secret = shared[1]
	if slashCommand {
		env["PLAYBOOKS_MATTERMOST_COMMAND_TOKENS"] = e.site.mm.RegisterCommand(e.site.team.Id, "playbook", e.site.public+"/mattermost/command")
	}
	env["PLAYBOOKS_DATABASE_URL"] = dbURL
	e.srv = startServer(t, env)

	e.api = &plugintest.API{}
	e.api.On("LoadPluginConfiguration", mock.Anything).Run(func(args mock.Arguments) {
		// The Bot server URL is where this test's server listens.
		b, _ := json.Marshal(map[string]string{"BotURL": e.srv.URL, "Secret": e.secret})
		if err := json.Unmarshal(b, args.Get(0)); err != nil {
			t.Error(err)
		}
	}).Return(nil)
	e.api.On("RegisterCommand", mock.Anything).Run(func(args mock.Arguments) {
		e.cmd = args.Get(0).(*model.Command)
	}).Return(nil)
	for _, u := range []*model.User{e.site.alice, e.bob, e.site.admin} {
		e.api.On("GetUser", u.Id).Return(u, nil)
		e.api.On("GetTeamsForUser", u.Id).Return([]*model.Team{e.site.team}, nil)
	}
	for _, level := range []string{"LogError", "LogWarn", "LogInfo", "LogDebug"} {
		for n := 1; n <= 9; n++ {
			e.api.On(level, slices.Repeat([]any{mock.Anything}, n)...).Maybe().Return()
		}
	}
	e.plugin = &companion.Plugin{}
	e.plugin.SetAPI(e.api)
	if err := e.plugin.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	if err := e.plugin.OnActivate(); err != nil {
		t.Fatal(err)
	}
	return e
}

// serve sends a request to the plugin as Mattermost routes one to
// /plugins/playbooks/<path>: the path without that prefix, and
// Mattermost-User-Id set to the user it authenticated ("" for none).
func (e *pluginEnv) serve(t testing.TB, userID, method, path string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Authorization", "Bearer the-users-mattermost-token") // Mattermost passes it on; the plugin must not
	if userID != "" {
		r.Header.Set("Mattermost-User-Id", userID)
	}
	w := httptest.NewRecorder()
	e.plugin.ServeHTTP(&plugin.Context{}, w, r)
	return w
}

// TestPluginAutocomplete checks the /playbook command the plugin
// registers: its autocomplete data is the commands registry's, argument
// for argument, and every dynamic list it names is a route of the plugin
// that the bot answers.
func TestPluginAutocomplete(t *testing.T) {
	e := newPluginEnv(t, testDatabaseURLs(t)["sqlite"])
	if e.cmd == nil || e.cmd.Trigger != "playbook" || e.cmd.AutocompleteData == nil {
		t.Fatalf("registered %+v, want /playbook with autocomplete data", e.cmd)
	}
	ad := e.cmd.AutocompleteData
	if err := ad.IsValid(); err != nil {
		t.Fatalf("autocomplete data invalid: %v", err)
	}
	reg := commands.Commands()
	if len(ad.SubCommands) != len(reg) {
		t.Errorf("%d subcommands, want one per registered command (%d)", len(ad.SubCommands), len(reg))
	}
	lists := map[string]bool{}
	for i, c := range reg {
		if i >= len(ad.SubCommands) {
			break
		}
		sub := ad.SubCommands[i]
		if sub.Trigger != c.Name || sub.Hint != c.Usage() || sub.HelpText != c.Help {
			t.Errorf("subcommand %d = %q %q %q, want %q %q %q", i, sub.Trigger, sub.Hint, sub.HelpText, c.Name, c.Usage(), c.Help)
		}
		if len(sub.Arguments) != len(c.Args) {
			t.Errorf("%s: %d arguments, want %d", c.Name, len(sub.Arguments), len(c.Args))
			continue
		}
		for j, a := range c.Args {
			got := sub.Arguments[j]
			if got.HelpText != a.Help {
				t.Errorf("%s argument %d: help %q, want %q", c.Name, j, got.HelpText, a.Help)
			}
			switch d := got.Data.(type) {
			case *model.AutocompleteDynamicListArg:
				if a.List == "" || d.FetchURL != "autocomplete/"+a.List+"/"+c.Name || got.Required != !a.Optional {
					t.Errorf("%s argument %d: dynamic list %q required %v, want list %q required %v", c.Name, j, d.FetchURL, got.Required, a.List, !a.Optional)
				}
				lists[a.List] = true
			case *model.AutocompleteTextArg:
				// Mattermost has no optional positional text argument: the
				// hint says it.
				hint := a.Usage
				if a.Optional {
					hint = "[" + hint + "]"
				}
				if a.List != "" || d.Hint != hint || !got.Required {
					t.Errorf("%s argument %d: text %q, want list %q / hint %q", c.Name, j, d.Hint, a.List, hint)
				}
			default:
				t.Errorf("%s argument %d: data %T", c.Name, j, got.Data)
			}
		}
	}
	// Mattermost makes a plugin's relative fetch URLs absolute under
	// /plugins/<id>; each must reach the plugin's list route, and the bot
	// must answer it (an empty list where the channel has no run).
	if err := ad.UpdateRelativeURLsForPluginCommands(&url.URL{Path: "/plugins/" + mmplugin.ID}); err != nil {
		t.Fatal(err)
	}
	for _, l := range commands.Lists() {
		if !lists[l] {
			t.Errorf("list %q is named by no argument", l)
		}
	}
	for _, sub := range ad.SubCommands {
		for _, a := range sub.Arguments {
			d, ok := a.Data.(*model.AutocompleteDynamicListArg)
			if !ok {
				continue
			}
			path, ok := strings.CutPrefix(d.FetchURL, "/plugins/playbooks/")
			if !ok {
				t.Fatalf("%s: fetch URL %q is not under /plugins/playbooks/", sub.Trigger, d.FetchURL)
			}
			w := e.serve(t, e.site.alice.Id, "GET", "/"+path+"?channel_id="+e.site.town.Id+"&team_id="+e.site.team.Id, nil)
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
				t.Errorf("%s: GET %s in a channel without a run: %d %s, want 200 []", sub.Trigger, path, w.Code, w.Body)
			}
		}
	}
}

// TestPluginMode runs the plugin against a bot in plugin mode: the REST
// API proxied for the Mattermost user making the request, a dynamic list
// from a run's channel, and /playbook executed through the plugin; and the
// bot refuses a plugin request that lacks the secret.
func TestPluginMode(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			e := newPluginEnv(t, dbURL)
			alice, bob, team := e.site.alice, e.bob, e.site.team
			ctx := context.Background()

			// Through the plugin's REST proxy, as alice: a playbook and a
			// private run (its channel has alice, not bob).
			w := e.serve(t, alice.Id, "POST", "/api/v0/playbooks", map[string]any{
				"title": "Outage", "team_id": team.Id, "create_public_playbook_run": false,
				"checklists": []any{
					map[string]any{"title": "Triage", "items": []any{map[string]any{"title": "Page DBA"}, map[string]any{"title": "Open a bridge"}}},
					map[string]any{"title": "Mitigate", "items": []any{map[string]any{"title": "Fail over"}}},
				},
			})
			var pb struct{ ID string }
			if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &pb) != nil {
				t.Fatalf("POST playbooks via the plugin: %d %s", w.Code, w.Body)
			}
			w = e.serve(t, alice.Id, "POST", "/api/v0/runs", map[string]any{
				"name": "DB down", "owner_user_id": alice.Id, "team_id": team.Id, "playbook_id": pb.ID,
			})
			var r bot.Run
			if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &r) != nil || r.ChannelID == "" {
				t.Fatalf("POST runs via the plugin: %d %s", w.Code, w.Body)
			}

			// GET /runs for the right user: alice sees her private run, bob
			// (same team, not in its channel) does not.
			list := func(userID string) bot.RunList {
				t.Helper()
				w := e.serve(t, userID, "GET", "/api/v0/runs?team_id="+team.Id, nil)
				var l bot.RunList
				if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &l) != nil {
					t.Fatalf("GET runs via the plugin as %s: %d %s", userID, w.Code, w.Body)
				}
				return l
			}
			if l := list(alice.Id); l.TotalCount != 1 || len(l.Items) != 1 || l.Items[0].ID != r.ID {
				t.Errorf("alice's runs: %+v, want her run", l)
			}
			if l := list(bob.Id); l.TotalCount != 0 || len(l.Items) != 0 {
				t.Errorf("bob's runs: %+v, want none (the run is private to a channel he is not in)", l)
			}
			if w := e.serve(t, "", "GET", "/api/v0/runs?team_id="+team.Id, nil); w.Code != 401 {
				t.Errorf("GET runs via the plugin without a Mattermost user: %d, want 401", w.Code)
			}

			// The dynamic lists of the run's channel.
			suggest := func(userID, list, channelID string) []model.AutocompleteListItem {
				t.Helper()
				w := e.serve(t, userID, "GET", "/autocomplete/"+list+"?channel_id="+channelID+"&team_id="+team.Id, nil)
				var items []model.AutocompleteListItem
				if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &items) != nil {
					t.Fatalf("list %s: %d %s", list, w.Code, w.Body)
				}
				return items
			}
			// Without a command (TestPluginItemSuggestionsFitCommand has
			// them), each item says where it is.
			want := []model.AutocompleteListItem{
				{Item: "0 0", Hint: "Page DBA", HelpText: "An item of Triage"},
				{Item: "0 1", Hint: "Open a bridge", HelpText: "An item of Triage"},
				{Item: "1 0", Hint: "Fail over", HelpText: "An item of Mitigate"},
			}
			if got := suggest(alice.Id, commands.ListItems, r.ChannelID); !slices.Equal(got, want) {
				t.Errorf("items = %+v, want %+v", got, want)
			}
			if got := suggest(alice.Id, commands.ListStages, r.ChannelID); len(got) != 1 || got[0].Item != "next" || !strings.Contains(got[0].Hint, "Mitigate") {
				t.Errorf("stages = %+v, want next (to Mitigate)", got)
			}
			if got := suggest(alice.Id, commands.ListChecklists, r.ChannelID); len(got) != 2 || got[0].Item != "0" || got[1].Hint != "Mitigate" {
				t.Errorf("checklists = %+v, want 0 Triage and 1 Mitigate", got)
			}
			// The bot refuses an unknown list; Mattermost gets an empty one,
			// the only answer it decodes.
			if got := suggest(alice.Id, "nonsense", r.ChannelID); len(got) != 0 {
				t.Errorf("an unknown list: %+v, want none", got)
			}
			if got := suggest(alice.Id, commands.ListUsers, r.ChannelID); len(got) != 1 || got[0].Item != "@alice" {
				t.Errorf("users = %+v, want @alice", got)
			}
			if got := suggest(bob.Id, commands.ListItems, r.ChannelID); len(got) != 0 {
				t.Errorf("items for bob, outside the private run's channel = %+v, want none", got)
			}

			// /playbook through the plugin: its answer, and its effect.
			exec := func(userID, text string) *model.CommandResponse {
				t.Helper()
				resp, appErr := e.plugin.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{
					Command: "/playbook " + text, UserId: userID, TeamId: team.Id, ChannelId: r.ChannelID,
					TriggerId: e.site.mm.IssueTrigger(userID, r.ChannelID),
				})
				if appErr != nil || resp == nil {
					t.Fatalf("/playbook %s: %v", text, appErr)
				}
				return resp
			}
			if resp := exec(alice.Id, "check 0 1"); resp.ResponseType != model.CommandResponseTypeInChannel || !strings.Contains(resp.Text, "Checked **Open a bridge**") {
				t.Errorf("/playbook check 0 1 answered %+v", resp)
			}
			if resp := exec(alice.Id, "info"); !strings.Contains(resp.Text, "`0 1` [x] Open a bridge") {
				t.Errorf("/playbook info answered %q, want item 0 1 checked", resp.Text)
			}
			// A dialog opens with the command's trigger, and submits to the
			// bot's own URL, never a /plugins one.
			n := len(e.site.mm.Dialogs())
			if resp := exec(alice.Id, "check"); resp.Text != "" {
				t.Errorf("/playbook check (the picker) answered %+v, want nothing posted", resp)
			}
			if d, ok := e.site.mm.LastDialog(); !ok || len(e.site.mm.Dialogs()) != n+1 || d.URL != e.site.public+"/mattermost/dialog" {
				t.Errorf("/playbook check opened %+v, want the picker submitting to %s/mattermost/dialog", d, e.site.public)
			}
			if resp := exec(bob.Id, "check 0 0"); resp.ResponseType != model.CommandResponseTypeEphemeral || strings.Contains(resp.Text, "Checked") {
				t.Errorf("bob's /playbook check in a private run's channel answered %+v, want a refusal", resp)
			}
			var got bot.Run
			if code := call(t, "GET", e.srv.URL+"/plugins/playbooks/api/v0/runs/"+r.ID, e.site.mm.AddToken(alice.Id), nil, &got); code != 200 ||
				got.Checklists[0].Items[1].State != bot.ItemClosed || got.Checklists[0].Items[0].State == bot.ItemClosed {
				t.Errorf("after the commands: %d, items %+v, want only 0 1 closed", code, got.Checklists[0].Items)
			}

			// The bot believes a user ID only from a request signed with
			// the secret, once.
			direct := func(secret string, sign bool) *http.Request {
				req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/plugins/playbooks/api/v0/runs?team_id="+team.Id, nil)
				if err != nil {
					t.Fatal(err)
				}
				if sign {
					if err := mmplugin.Sign(req, nil, secret, mmplugin.Identity{UserID: alice.Id, TeamIDs: []string{team.Id}}, time.Now()); err != nil {
						t.Fatal(err)
					}
				} else {
					req.Header.Set(mmplugin.HeaderUserID, alice.Id)
					req.Header.Set(mmplugin.HeaderTeamIDs, team.Id)
				}
				return req
			}
			do := func(req *http.Request) int {
				t.Helper()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if code := do(direct("", false)); code != 401 {
				t.Errorf("unsigned request naming alice: %d, want 401", code)
			}
			if code := do(direct(strings.Repeat("w", 40), true)); code != 401 {
				t.Errorf("request signed with another secret: %d, want 401", code)
			}
			// Bad input from a plugin that signs correctly: a clear 400 with
			// the error body, and nothing run.
			bad := func(method, path, body string) (int, string) {
				t.Helper()
				req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := mmplugin.Sign(req, []byte(body), e.secret, mmplugin.Identity{UserID: alice.Id}, time.Now()); err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var eb struct{ Error string }
				_ = json.NewDecoder(resp.Body).Decode(&eb)
				return resp.StatusCode, eb.Error
			}
			if code, msg := bad("POST", mmplugin.CommandPath, `check 0 0`); code != 400 || !strings.Contains(msg, "malformed command request") {
				t.Errorf("a command request that is not JSON: %d %q, want 400 malformed command request", code, msg)
			}
			if code, msg := bad("GET", mmplugin.ListPath+"items?channel_id=nope&team_id="+team.Id, ""); code != 400 || !strings.Contains(msg, "must be Mattermost IDs") {
				t.Errorf("a list for a channel that is no ID: %d %q, want 400", code, msg)
			}
			var after bot.Run
			if code := call(t, "GET", e.srv.URL+"/plugins/playbooks/api/v0/runs/"+r.ID, e.site.mm.AddToken(alice.Id), nil, &after); code != 200 ||
				after.Checklists[0].Items[0].State == bot.ItemClosed {
				t.Errorf("after the bad requests: %d, item 0 0 %q, want it still open", code, after.Checklists[0].Items[0].State)
			}

			signed := direct(e.secret, true)
			replay := signed.Clone(ctx)
			if code := do(signed); code != 200 {
				t.Errorf("request signed with the secret: %d, want 200", code)
			}
			if code := do(replay); code != 401 {
				t.Errorf("the same signed request again: %d, want 401", code)
			}
		})
	}
}

// BenchmarkPluginPath measures what plugin mode adds: /playbook info
// through the plugin's ExecuteCommand against the same command as
// Mattermost's slash command request, and GET /runs through the plugin's
// REST proxy against the bot's REST API with a Mattermost token, on
// Postgres (the plugin path also records each request's message ID, to
// refuse replays). The plugin here is called in process, as Mattermost's
// RPC would call it; what it adds is one signed HTTP hop.
//
//	go test ./cmd/playbooks -run '^$' -bench PluginPath -benchtime 500x
func BenchmarkPluginPath(b *testing.B) {
	e := newPluginEnvWith(b, testDatabaseURLs(b)["postgres"], true)
	alice, team := e.site.alice, e.site.team
	w := e.serve(b, alice.Id, "POST", "/api/v0/playbooks", map[string]any{
		"title": "Bench", "team_id": team.Id, "create_public_playbook_run": false,
		"checklists": []any{map[string]any{"title": "All", "items": []any{map[string]any{"title": "Step"}}}},
	})
	var pb struct{ ID string }
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &pb) != nil {
		b.Fatalf("create playbook: %d %s", w.Code, w.Body)
	}
	w = e.serve(b, alice.Id, "POST", "/api/v0/runs", map[string]any{"name": "Bench run", "owner_user_id": alice.Id, "team_id": team.Id, "playbook_id": pb.ID})
	var r bot.Run
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &r) != nil {
		b.Fatalf("create run: %d %s", w.Code, w.Body)
	}
	token := e.site.mm.AddToken(alice.Id)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		do   func() error
	}{
		{"info/slash-command", func() error {
			_, err := e.site.mm.SlashCommand(ctx, mmtest.Slash{UserID: alice.Id, ChannelID: r.ChannelID, Text: "info"})
			return err
		}},
		{"info/plugin", func() error {
			resp, appErr := e.plugin.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{Command: "/playbook info", UserId: alice.Id, TeamId: team.Id, ChannelId: r.ChannelID})
			if appErr != nil || !strings.Contains(resp.Text, "Bench run") {
				return fmt.Errorf("/playbook info: %v %+v", appErr, resp)
			}
			return nil
		}},
		{"runs/rest-token", func() error {
			if code := call(b, "GET", e.srv.URL+"/plugins/playbooks/api/v0/runs?team_id="+team.Id, token, nil, nil); code != 200 {
				return fmt.Errorf("GET runs: %d", code)
			}
			return nil
		}},
		{"runs/plugin", func() error {
			if w := e.serve(b, alice.Id, "GET", "/api/v0/runs?team_id="+team.Id, nil); w.Code != 200 {
				return fmt.Errorf("GET runs via the plugin: %d", w.Code)
			}
			return nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				err := bc.do()
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
