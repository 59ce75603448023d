package mattermost_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/commands"
)

// TestSetup runs `playbooks mattermost setup` twice against a Mattermost:
// the first run creates the bot, its token and the command; the second
// reuses the bot and the command, issues a new token and revokes the one
// the first issued (point 8 of issue 8), leaving the bot's other tokens.
func TestSetup(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	admin := mm.AddAdmin("root", team.Id)
	ctx := context.Background()
	cfg := mattermost.SetupConfig{SiteURL: mm.URL, AdminToken: mm.AddToken(admin.Id), Team: "acme", PublicURL: "https://bot.example/"}

	first, err := mattermost.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := mm.User(first.BotUserID)
	if !ok || !u.IsBot || u.Username != "playbooks" || first.TeamID != team.Id {
		t.Errorf("bot user %+v, team %s", u, first.TeamID)
	}
	api := model.NewAPIv4Client(mm.URL)
	api.SetToken(first.BotToken)
	if me, _, err := api.GetMe(ctx, ""); err != nil || me.Id != first.BotUserID {
		t.Errorf("the bot token does not act for the bot: %+v, %v", me, err)
	}
	cmds := mm.Commands(team.Id)
	if len(cmds) != 1 || cmds[0].Trigger != "playbook" || cmds[0].URL != "https://bot.example"+mattermost.CommandPath ||
		cmds[0].Token != first.CommandToken || cmds[0].AutoCompleteHint != commands.AutocompleteHint() {
		t.Errorf("commands %+v, setup result %+v", cmds, first)
	}

	if first.Revoked != 0 {
		t.Errorf("first setup revoked %d tokens, want none", first.Revoked)
	}
	other := mm.AddToken(first.BotUserID) // made by hand, not by setup
	second, err := mattermost.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if second.Revoked != 1 || len(second.Warnings) != 0 {
		t.Errorf("second setup revoked %d tokens (warnings %q), want 1", second.Revoked, second.Warnings)
	}
	if _, resp, err := api.GetMe(ctx, ""); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the first setup's token still works after the second setup: %v", err)
	}
	for name, tok := range map[string]string{"second setup's": second.BotToken, "hand-made": other} {
		api := model.NewAPIv4Client(mm.URL)
		api.SetToken(tok)
		if me, _, err := api.GetMe(ctx, ""); err != nil || me.Id != first.BotUserID {
			t.Errorf("the %s token does not act for the bot: %v", name, err)
		}
	}
	if second.BotUserID != first.BotUserID || second.CommandToken != first.CommandToken || second.BotToken == first.BotToken {
		t.Errorf("second setup %+v, first %+v: want the same bot and command, a new token", second, first)
	}
	if !slices.Equal(second.Created, []string{"bot access token"}) {
		t.Errorf("second setup created %v, want only a token", second.Created)
	}
	if n := len(mm.Commands(team.Id)); n != 1 {
		t.Errorf("%d commands after two setups, want 1", n)
	}

	notAdmin := cfg
	notAdmin.AdminToken = mm.AddToken(mm.AddUser("alice", team.Id).Id)
	if _, err := mattermost.Setup(ctx, notAdmin); err == nil {
		t.Error("setup with a non-admin token succeeded")
	}
}

// TestTokenAuth checks REST callers authenticated by Mattermost tokens.
func TestTokenAuth(t *testing.T) {
	mm := mmtest.New(t)
	acme, other := mm.AddTeam("acme"), mm.AddTeam("other")
	alice := mm.AddUser("alice", acme.Id)
	auth := mattermost.NewTokenAuth(mm.URL, nil, 0)
	ctx := context.Background()

	a, err := auth.Authenticate(ctx, mm.AddToken(alice.Id))
	if err != nil || a.UserID != alice.Id || a.Admin || !a.CanTeam(acme.Id) || a.CanTeam(other.Id) {
		t.Errorf("alice's token: %+v, %v", a, err)
	}
	if _, err := auth.Authenticate(ctx, "not-a-token"); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("unknown token: got %v, want EUnauthenticated", err)
	}
	root := mm.AddAdmin("root")
	if a, err := auth.Authenticate(ctx, mm.AddToken(root.Id)); err != nil || !a.Admin {
		t.Errorf("an admin's token: %+v, %v", a, err)
	}
}

// TestSetupEphemeralPermission checks that setup reports whether the bot
// may post ephemeral messages: not on a default server, yes once an admin
// grants create_post_ephemeral to system_user.
func TestSetupEphemeralPermission(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	admin := mm.AddAdmin("root", team.Id)
	cfg := mattermost.SetupConfig{SiteURL: mm.URL, AdminToken: mm.AddToken(admin.Id), Team: "acme", PublicURL: "https://bot.example"}
	res, err := mattermost.Setup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.EphemeralAllowed || len(res.Warnings) != 0 {
		t.Errorf("default server: EphemeralAllowed %v, warnings %q; want false, none", res.EphemeralAllowed, res.Warnings)
	}
	mm.GrantRole(model.SystemUserRoleId, mmtest.PermissionEphemeral)
	if res, err = mattermost.Setup(context.Background(), cfg); err != nil || !res.EphemeralAllowed {
		t.Errorf("after the grant: EphemeralAllowed %v, %v; want true", res.EphemeralAllowed, err)
	}
}

// TestSetupPlugin checks setup in plugin mode: it does what setup does
// (bot, team membership, a new token revoking the earlier one) but
// registers no command, and deletes the custom /playbook command an
// earlier setup registered, since the plugin registers its own; other
// commands, and other teams' /playbook, are left alone.
func TestSetupPlugin(t *testing.T) {
	mm := mmtest.New(t)
	team, other := mm.AddTeam("acme"), mm.AddTeam("other")
	admin := mm.AddAdmin("root", team.Id, other.Id)
	ctx := context.Background()
	cfg := mattermost.SetupConfig{SiteURL: mm.URL, AdminToken: mm.AddToken(admin.Id), Team: "acme", PublicURL: "https://bot.example/"}
	mm.RegisterCommand(team.Id, "deploy", "https://ci.example/deploy")
	mm.RegisterCommand(other.Id, "playbook", "https://bot.example/mattermost/command")

	first, err := mattermost.Setup(ctx, cfg) // not in plugin mode
	if err != nil {
		t.Fatal(err)
	}
	var playbook *model.Command
	for _, c := range mm.Commands(team.Id) {
		if c.Trigger == "playbook" {
			playbook = c
		}
	}
	if playbook == nil {
		t.Fatalf("the first setup registered no /playbook: %+v", mm.Commands(team.Id))
	}

	cfg.Plugin = true
	res, err := mattermost.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.BotUserID != first.BotUserID || res.TeamID != team.Id || res.BotToken == "" || res.BotToken == first.BotToken ||
		res.Revoked != 1 || res.CommandToken != "" || res.CommandURL != "" || len(res.Warnings) != 0 {
		t.Errorf("plugin setup %+v, first %+v: want the same bot, a new token revoking the first, no command", res, first)
	}
	if !slices.Equal(res.Created, []string{"bot access token"}) {
		t.Errorf("plugin setup created %v, want only a token", res.Created)
	}
	if len(res.Removed) != 1 || !strings.Contains(res.Removed[0], playbook.Id) || !strings.Contains(res.Removed[0], "/playbook") {
		t.Errorf("plugin setup removed %q, want the /playbook command %s", res.Removed, playbook.Id)
	}
	for _, c := range mm.Commands(team.Id) {
		switch {
		case c.Trigger == "playbook" && c.DeleteAt == 0:
			t.Errorf("a /playbook command is left after the plugin setup: %+v", c)
		case c.Trigger == "deploy" && c.DeleteAt != 0:
			t.Errorf("the plugin setup deleted another command: %+v", c)
		}
	}
	if n := len(mm.Commands(team.Id)); n != 2 {
		t.Errorf("%d commands of the team, deleted included; want 2 (/deploy and the deleted /playbook): none created", n)
	}
	if cmds := mm.Commands(other.Id); len(cmds) != 1 || cmds[0].DeleteAt != 0 {
		t.Errorf("another team's /playbook: %+v, want it untouched", cmds)
	}
	api := model.NewAPIv4Client(mm.URL)
	api.SetToken(res.BotToken)
	if me, _, err := api.GetMe(ctx, ""); err != nil || me.Id != first.BotUserID {
		t.Errorf("the plugin setup's token does not act for the bot: %v", err)
	}

	again, err := mattermost.Setup(ctx, cfg)
	if err != nil || len(again.Removed) != 0 || len(mm.Commands(team.Id)) != 2 {
		t.Errorf("a second plugin setup: removed %q, %v, commands %+v; want nothing removed or created", again.Removed, err, mm.Commands(team.Id))
	}

	fresh := mm.AddTeam("fresh")
	cfg.Team = "fresh"
	if res, err := mattermost.Setup(ctx, cfg); err != nil || len(res.Removed) != 0 || len(mm.Commands(fresh.Id)) != 0 {
		t.Errorf("plugin setup of a team without commands: %+v, %v, commands %+v; want none", res, err, mm.Commands(fresh.Id))
	}
}
