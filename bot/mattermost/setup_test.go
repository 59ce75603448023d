package mattermost_test

import (
	"context"
	"net/http"
	"slices"
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
