package mattermost_test

import (
	"context"
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
// reuses the bot and the command and only issues a new token.
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

	second, err := mattermost.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
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
