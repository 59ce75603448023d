package mattermost_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestAdminCommand checks /playbook admin: a system admin of Mattermost gets
// a working link to the admin page, ephemerally; anyone else a refusal
// without a link; and nothing is posted in the channel.
func TestAdminCommand(t *testing.T) {
	e := newEnv(t, "sqlite", func(_ *env, c *bot.Config) {
		c.PublicURL = "https://playbooks.example.com"
		c.LinkSecret = []byte("0123456789abcdef0123456789abcdef")
	})
	root := e.mm.AddAdmin("root", e.team.Id)
	before := len(e.mm.Posts(e.townSquare.Id))

	resp := e.slash(t, e.alice, e.townSquare.Id, "admin")
	if resp.ResponseType != model.CommandResponseTypeEphemeral || !strings.Contains(resp.Text, "Only a system admin") {
		t.Errorf("alice (not a system admin) got %+v, want an ephemeral refusal", resp)
	}
	if strings.Contains(resp.Text, "/admin/open") {
		t.Errorf("a refusal carries a link: %q", resp.Text)
	}

	resp = e.slash(t, root, e.townSquare.Id, "admin")
	if resp.ResponseType != model.CommandResponseTypeEphemeral {
		t.Errorf("the admin's link was answered as %q, want ephemeral", resp.ResponseType)
	}
	m := regexp.MustCompile(`\((https://playbooks\.example\.com/admin/open\?[^)]+)\)`).FindStringSubmatch(resp.Text)
	if m == nil {
		t.Fatalf("the system admin got %q, want a link to /admin/open", resp.Text)
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("user"); got != root.Id {
		t.Errorf("the link is for user %q, want the caller %s", got, root.Id)
	}
	_, sess, err := e.svc.OpenAdminLink(context.Background(), u.Query())
	if err != nil || sess.UserID != root.Id {
		t.Errorf("opening the link: got session of %q, %v; want one of %s", sess.UserID, err, root.Id)
	}
	if after := len(e.mm.Posts(e.townSquare.Id)); after != before {
		t.Errorf("the channel got %d posts, want none: the link is for its caller alone", after-before)
	}
}
