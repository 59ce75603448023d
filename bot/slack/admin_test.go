package slack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestUserSystemAdmin: a workspace admin or owner (is_admin, is_owner) is a
// system admin for /playbook admin; a member is not.
func TestUserSystemAdmin(t *testing.T) {
	c, sl := newClient(t)
	ctx := context.Background()
	member, admin := sl.AddUser("member"), sl.AddAdmin("boss")
	for _, tc := range []struct {
		id   string
		want bot.User
	}{
		{member.ID, bot.User{ID: member.ID, Username: "member"}},
		{admin.ID, bot.User{ID: admin.ID, Username: "boss", SystemAdmin: true}},
	} {
		got, err := c.User(ctx, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("User(%s) = %+v, %v; want %+v", tc.id, got, err, tc.want)
		}
	}
}

// TestAdminCommand: /playbook admin over Slack refuses a member and lets a
// workspace admin through the gate, ephemerally both times. This server
// has no public URL, so the admin is told to set one rather than given a
// link (the link itself is tested over Mattermost and in bot).
func TestAdminCommand(t *testing.T) {
	e := newEnv(t, "sqlite")
	boss := e.sl.AddAdmin("boss")
	r := e.slash(t, e.alice, e.general.ID, "admin")
	if r.ResponseType == "in_channel" || !strings.Contains(r.Text, "Only a system admin") {
		t.Errorf("a member got %+v, want an ephemeral refusal", r)
	}
	r = e.slash(t, boss, e.general.ID, "admin")
	if r.ResponseType == "in_channel" || strings.Contains(r.Text, "Only a system admin") || !strings.Contains(r.Text, "PLAYBOOKS_PUBLIC_URL") {
		t.Errorf("a workspace admin got %+v, want an ephemeral answer past the admin check (no public URL here)", r)
	}
}
