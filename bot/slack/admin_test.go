package slack_test

import (
	"context"
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
