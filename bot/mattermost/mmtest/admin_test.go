package mmtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

func client(mm *mmtest.Server, token string) *model.Client4 {
	c := model.NewAPIv4Client(mm.URL)
	c.SetToken(token)
	return c
}

func status(resp *model.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// TestDirectChannel checks POST /channels/direct as a real server answers
// it: 201 with the channel of type D named by the two sorted IDs, the same
// channel again the second time, only for one of the two users.
func TestDirectChannel(t *testing.T) {
	ctx := context.Background()
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	bot, botToken := mm.AddBot("playbooks", team.Id)
	alice, bob := mm.AddUser("alice", team.Id), mm.AddUser("bob", team.Id)
	api := client(mm, botToken)

	ch, resp, err := api.CreateDirectChannel(ctx, bot.Id, alice.Id)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create direct channel: %d %v", status(resp), err)
	}
	if ch.Type != model.ChannelTypeDirect || ch.Name != model.GetDMNameFromIds(bot.Id, alice.Id) || ch.TeamId != "" {
		t.Errorf("direct channel %+v", ch)
	}
	again, resp, err := api.CreateDirectChannel(ctx, alice.Id, bot.Id)
	if err != nil || resp.StatusCode != http.StatusCreated || again.Id != ch.Id {
		t.Errorf("direct channel again: %d %v %+v, want 201 and the same channel", status(resp), err, again)
	}
	if _, _, err := api.CreatePost(ctx, &model.Post{ChannelId: ch.Id, Message: "hi"}); err != nil {
		t.Fatalf("post in the direct channel: %v", err)
	}
	if posts := mm.DirectPosts(alice.Id, bot.Id); len(posts) != 1 || posts[0].Message != "hi" || posts[0].UserId != bot.Id {
		t.Errorf("direct posts %+v", posts)
	}
	if _, _, err := client(mm, mm.AddToken(bob.Id)).GetPost(ctx, mm.DirectPosts(alice.Id, bot.Id)[0].Id, ""); err == nil {
		t.Error("bob read a direct message between alice and the bot")
	}
	if _, resp, _ := api.CreateDirectChannel(ctx, alice.Id, bob.Id); status(resp) != http.StatusForbidden {
		t.Errorf("the bot opening alice and bob's channel: %d, want 403", status(resp))
	}
	if _, resp, _ := api.CreateDirectChannel(ctx, bot.Id, model.NewId()); status(resp) != http.StatusBadRequest {
		t.Errorf("an unknown user: %d, want 400", status(resp))
	}
	if _, resp, _ := api.CreateDirectChannel(ctx, bot.Id, "nope"); status(resp) != http.StatusBadRequest {
		t.Errorf("an invalid ID: %d, want 400", status(resp))
	}
}

// TestTokensRevoked checks the listing and revocation of personal access
// tokens: the list never shows secrets, and a revoked token stops working.
func TestTokensRevoked(t *testing.T) {
	ctx := context.Background()
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	root := client(mm, mm.AddToken(mm.AddAdmin("root", team.Id).Id))
	bot, first := mm.AddBot("playbooks", team.Id)
	second, _, err := root.CreateUserAccessToken(ctx, bot.Id, "second", 0)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := root.GetUserAccessTokensForUser(ctx, bot.Id, 0, 100)
	if err != nil || len(list) != 2 || list[1].Id != second.Id || list[0].Token != "" || list[1].Token != "" {
		t.Fatalf("tokens of the bot: %+v, %v; want two, without secrets", list, err)
	}
	if _, resp, _ := client(mm, first).GetUserAccessTokensForUser(ctx, bot.Id, 0, 100); status(resp) != http.StatusForbidden {
		t.Errorf("a non-admin listing tokens: %d, want 403", status(resp))
	}
	if page, _, _ := root.GetUserAccessTokensForUser(ctx, bot.Id, 1, 1); len(page) != 1 || page[0].Id != second.Id {
		t.Errorf("page 1 of 1: %+v", page)
	}
	if _, err := root.RevokeUserAccessToken(ctx, list[0].Id); err != nil {
		t.Fatal(err)
	}
	if _, resp, _ := client(mm, first).GetMe(ctx, ""); status(resp) != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", status(resp))
	}
	if me, _, err := client(mm, second.Token).GetMe(ctx, ""); err != nil || me.Id != bot.Id {
		t.Errorf("the other token: %v", err)
	}
	if resp, _ := root.RevokeUserAccessToken(ctx, list[0].Id); status(resp) != http.StatusNotFound {
		t.Errorf("revoking again: %d, want 404", status(resp))
	}
}

// TestRoles checks that roles are read over the API with their default
// permissions, that system_user lacks create_post_ephemeral (so a bot
// cannot post ephemeral messages), and that granting it to system_user
// lets every user, bots included.
func TestRoles(t *testing.T) {
	ctx := context.Background()
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	bot, botToken := mm.AddBot("playbooks", team.Id)
	alice := mm.AddUser("alice", team.Id)
	ch := mm.AddChannel(team.Id, "town-square", model.ChannelTypeOpen, bot.Id, alice.Id)
	api := client(mm, botToken)
	ephemeral := func() int {
		_, resp, _ := api.CreatePostEphemeral(ctx, &model.PostEphemeral{UserID: alice.Id, Post: &model.Post{ChannelId: ch.Id, Message: "x"}})
		return status(resp)
	}
	roles, _, err := api.GetRolesByNames(ctx, []string{model.SystemUserRoleId, model.SystemAdminRoleId})
	if err != nil || len(roles) != 2 {
		t.Fatalf("roles: %+v, %v", roles, err)
	}
	for _, r := range roles {
		has := slices.Contains(r.Permissions, mmtest.PermissionEphemeral)
		if has != (r.Name == model.SystemAdminRoleId) || r.Id == "" {
			t.Errorf("role %s (id %q) has create_post_ephemeral: %v", r.Name, r.Id, has)
		}
	}
	if got := ephemeral(); got != http.StatusForbidden {
		t.Errorf("ephemeral post by a bot: %d, want 403", got)
	}
	mm.GrantRole(model.SystemUserRoleId, mmtest.PermissionEphemeral)
	if r, _, err := api.GetRoleByName(ctx, model.SystemUserRoleId); err != nil || !slices.Contains(r.Permissions, mmtest.PermissionEphemeral) {
		t.Errorf("system_user after the grant: %+v, %v", r, err)
	}
	if got := ephemeral(); got != http.StatusCreated {
		t.Errorf("ephemeral post once system_user may: %d, want 201", got)
	}
	if _, resp, _ := api.GetRoleByName(ctx, "no_such_role"); status(resp) != http.StatusNotFound {
		t.Errorf("unknown role: %d, want 404", status(resp))
	}
}

// TestDeleteCommand checks DELETE /commands/{id} as Mattermost 10 answers
// it: 200 {"status":"OK"} for an admin; the command is then marked deleted,
// no longer listed and its trigger free again; an unknown or already
// deleted ID is a 404; a user who is no admin gets 403 and deletes nothing.
func TestDeleteCommand(t *testing.T) {
	ctx := context.Background()
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	admin := client(mm, mm.AddToken(mm.AddAdmin("root", team.Id).Id))
	alice := client(mm, mm.AddToken(mm.AddUser("alice", team.Id).Id))
	cmd, _, err := admin.CreateCommand(ctx, &model.Command{TeamId: team.Id, Trigger: "playbook",
		Method: model.CommandMethodPost, URL: "https://bot.example/mattermost/command"})
	if err != nil {
		t.Fatal(err)
	}

	if resp, err := alice.DeleteCommand(ctx, cmd.Id); err == nil || status(resp) != http.StatusForbidden {
		t.Errorf("a user deleting a command: %d %v, want 403", status(resp), err)
	}
	if cmds := mm.Commands(team.Id); len(cmds) != 1 || cmds[0].DeleteAt != 0 {
		t.Fatalf("after a refused delete: %+v, want the command intact", cmds)
	}

	// The raw answer, as the wire has it.
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, mm.URL+"/api/v4/commands/"+cmd.Id, nil)
	req.Header.Set("Authorization", "Bearer "+admin.AuthToken)
	raw, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	err = json.NewDecoder(raw.Body).Decode(&body)
	raw.Body.Close()
	if raw.StatusCode != http.StatusOK || err != nil || body["status"] != "OK" {
		t.Errorf("delete: %d %v %v, want 200 {\"status\":\"OK\"}", raw.StatusCode, body, err)
	}
	cmds := mm.Commands(team.Id)
	if len(cmds) != 1 || cmds[0].DeleteAt == 0 {
		t.Errorf("after the delete: %+v, want the command kept, marked deleted", cmds)
	}
	if listed, _, err := admin.ListCommands(ctx, team.Id, true); err != nil || len(listed) != 0 {
		t.Errorf("list after the delete: %+v %v, want none", listed, err)
	}
	if resp, err := admin.DeleteCommand(ctx, cmd.Id); err == nil || status(resp) != http.StatusNotFound {
		t.Errorf("deleting it again: %d %v, want 404", status(resp), err)
	}
	if resp, err := admin.DeleteCommand(ctx, model.NewId()); err == nil || status(resp) != http.StatusNotFound {
		t.Errorf("deleting an unknown command: %d %v, want 404", status(resp), err)
	}
	if _, _, err := admin.CreateCommand(ctx, &model.Command{TeamId: team.Id, Trigger: "playbook",
		Method: model.CommandMethodPost, URL: "https://bot.example/mattermost/command"}); err != nil {
		t.Errorf("the deleted command's trigger is not free again: %v", err)
	}
}
