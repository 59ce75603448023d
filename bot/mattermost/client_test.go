package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestClientErrors checks how failed REST calls translate: 404 is
// ENotFound, 400 EInvalid, anything else internal.
func TestClientErrors(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	ctx := context.Background()
	badToken, err := mattermost.NewClient(mattermost.Config{URL: e.mm.URL, BotToken: "revoked", Signer: e.signer, PublicURL: e.botURL})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"unknown user", func() error { _, err := e.client.User(ctx, bot.NewID()); return err }, bot.ENotFound},
		{"malformed user ID", func() error { _, err := e.client.User(ctx, "nope"); return err }, bot.EInvalid},
		{"unknown username", func() error { _, err := e.client.UserByName(ctx, "@nobody"); return err }, bot.ENotFound},
		{"unknown channel", func() error { _, err := e.client.ChannelStats(ctx, bot.NewID()); return err }, bot.ENotFound},
		{"channel the bot may not read", func() error {
			ch := e.mm.AddChannel(e.team.Id, "secret", model.ChannelTypePrivate, e.alice.Id)
			_, err := e.client.Post(ctx, ch.Id, "hello")
			return err
		}, bot.EInternal},
		{"unknown command", func() error {
			_, err := e.client.RunCommand(ctx, e.townSquare.Id, e.alice.Id, "/nope")
			return err
		}, bot.ENotFound},
		{"not a slash command", func() error {
			_, err := e.client.RunCommand(ctx, e.townSquare.Id, e.alice.Id, "echo")
			return err
		}, bot.EInvalid},
		{"revoked bot token", func() error { _, err := badToken.User(ctx, e.alice.Id); return err }, bot.EInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := bot.ErrorCode(err); got != tc.want {
				t.Errorf("got %v (code %q), want code %q", err, got, tc.want)
			}
		})
	}
	u, err := e.client.UserByName(ctx, "@carol")
	if err != nil || u != (bot.User{ID: e.carol.Id, Username: "carol"}) {
		t.Errorf("UserByName(@carol) = %+v, %v", u, err)
	}
}

// TestCreateChannel checks channel names that are taken, and members
// Mattermost does not know.
func TestCreateChannel(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	ctx := context.Background()
	nc := bot.NewChannel{TeamID: e.team.Id, DisplayName: "Town square", Public: true,
		MemberIDs: []string{e.alice.Id, bot.NewID(), e.bot.Id}}
	id, err := e.client.CreateChannel(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := e.mm.Channel(id)
	if !strings.HasPrefix(ch.Name, "town-square-") || len(ch.Name) != len("town-square-")+5 || ch.Type != model.ChannelTypeOpen {
		t.Errorf("channel %q of type %s, want town-square-XXXXX (town-square is taken), open", ch.Name, ch.Type)
	}
	if got := e.mm.Members(id); len(got) != 2 {
		t.Errorf("members %v, want the bot and alice (the unknown user skipped)", got)
	}
	if !strings.Contains(e.logs.String(), "add run channel member") {
		t.Error("the skipped member was not logged")
	}

	long := strings.Repeat("Ünïcode display name ", 5)
	id, err = e.client.CreateChannel(ctx, bot.NewChannel{TeamID: e.team.Id, DisplayName: long})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ = e.mm.Channel(id)
	if n := len([]rune(ch.DisplayName)); n != 64 || ch.Type != model.ChannelTypePrivate {
		t.Errorf("display name %q has %d characters, type %s; want 64, private", ch.DisplayName, n, ch.Type)
	}
}

// TestOpenDialogInvalid checks that a dialog Mattermost would refuse is not
// sent, and that a stale trigger ID is reported as invalid.
func TestOpenDialogInvalid(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	ctx := context.Background()
	trigger := e.mm.IssueTrigger(e.alice.Id, e.townSquare.Id)
	d := dialogs.Dialog{CallbackID: "x", Title: "A title longer than 24 bytes", SubmitLabel: "Go"}
	if err := e.client.OpenDialog(ctx, mattermost.DialogTrigger{UserID: e.alice.Id, ChannelID: e.townSquare.Id, TriggerID: trigger}, d); bot.ErrorCode(err) != bot.EInternal {
		t.Errorf("invalid dialog: got %v, want an internal error", err)
	}
	if n := len(e.mm.Dialogs()); n != 0 {
		t.Errorf("%d dialogs opened, want none", n)
	}
	d.Title = "Fine"
	if err := e.client.OpenDialog(ctx, mattermost.DialogTrigger{UserID: e.alice.Id, ChannelID: e.townSquare.Id, TriggerID: trigger}, d); err != nil {
		t.Errorf("valid dialog: %v", err)
	}
	e.clock.Advance(31 * time.Second)
	if err := e.client.OpenDialog(ctx, mattermost.DialogTrigger{UserID: e.alice.Id, ChannelID: e.townSquare.Id, TriggerID: trigger}, d); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("expired trigger: got %v, want EInvalid", err)
	}
}

// TestConfirmationWithoutEphemeralPermission checks point 6 of issue 8:
// the bot lacks create_post_ephemeral, as on a default server, so a
// dialog's confirmation comes as a direct message from the bot, seen by
// that user only. The refusal is remembered: the next confirmation makes
// no failing call, until ephemeralRecheck has passed. Once an admin grants
// the permission (to every user: Team Edition has no other way), the
// confirmation is an ephemeral post in the channel again.
func TestConfirmationWithoutEphemeralPermission(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	e.playbook(t)
	start := func(name string) {
		t.Helper()
		e.slash(t, e.alice, e.townSquare.Id, "run")
		e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": name})
	}

	start("First")
	e.wantDirect(t, e.alice.Id, "Started the run **First**.")
	if n := len(e.mm.Ephemerals()); n != 0 {
		t.Errorf("%d ephemeral posts without the permission, want none", n)
	}
	if n := e.mm.CountRequests("POST", "/api/v4/posts/ephemeral"); n != 1 {
		t.Errorf("%d ephemeral posts tried, want 1", n)
	}
	if posts := e.mm.DirectPosts(e.bot.Id, e.bob.Id); len(posts) != 0 {
		t.Errorf("bob got %d direct messages, want none: the confirmation is alice's", len(posts))
	}

	start("Second")
	e.wantDirect(t, e.alice.Id, "Started the run **Second**.")
	if n := e.mm.CountRequests("POST", "/api/v4/posts/ephemeral"); n != 1 {
		t.Errorf("%d ephemeral posts tried, want still 1: the refusal is remembered", n)
	}
	if n := e.mm.CountRequests("POST", "/api/v4/channels/direct"); n != 2 {
		t.Errorf("%d direct channel requests, want 2", n)
	}

	e.mm.GrantRole(model.SystemUserRoleId, mmtest.PermissionEphemeral)
	e.clock.Advance(11 * time.Minute)
	start("Third")
	if n := e.mm.CountRequests("POST", "/api/v4/posts/ephemeral"); n != 2 {
		t.Errorf("%d ephemeral posts tried, want 2: the permission is checked again after a while", n)
	}
	e.wantEphemeral(t, e.alice.Id, "Started the run **Third**.")
	if posts := e.mm.DirectPosts(e.bot.Id, e.alice.Id); len(posts) != 2 {
		t.Errorf("alice has %d direct messages, want 2 (the third confirmation was ephemeral)", len(posts))
	}
}

// wantDirect asserts that the bot sent a user this direct message.
func (e *env) wantDirect(t *testing.T, userID, message string) {
	t.Helper()
	var got []string
	for _, p := range e.mm.DirectPosts(e.bot.Id, userID) {
		if p.Message == message && p.UserId == e.bot.Id {
			return
		}
		got = append(got, p.Message)
	}
	t.Errorf("the bot did not send user %s the direct message %q; direct messages: %q", userID, message, got)
}

// TestChecklistPostButtons checks the checklist post of a large run: at
// most mattermost.MaxButtons buttons, for the first open items, and a
// note saying so.
func TestChecklistPostButtons(t *testing.T) {
	now := func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	signer, err := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mattermost.NewClient(mattermost.Config{URL: "http://mm.example", BotToken: "t", Signer: signer, PublicURL: "https://bot.example"})
	if err != nil {
		t.Fatal(err)
	}
	r := bot.Run{ID: "runid00000000000000000000a", Name: "Big\nrun", ChannelID: "channel0000000000000000000", IsActive: true,
		ActiveStage: 1, ActiveStageTitle: "Two"}
	for ci, n := range []int{30, 30, 2} {
		cl := bot.Checklist{Title: fmt.Sprintf("List %d", ci)}
		for ii := range n {
			it := bot.ChecklistItem{ID: fmt.Sprintf("item%02d%02d0000000000000000000", ci, ii)[:26], Title: fmt.Sprintf("Item %d.%d", ci, ii)}
			if ci == 0 && ii < 5 {
				it.State = bot.ItemClosed
			}
			cl.Items = append(cl.Items, it)
		}
		r.Checklists = append(r.Checklists, cl)
	}
	p := c.ChecklistPost(context.Background(), r)
	buttons := 0
	for _, a := range p.Attachments() {
		for _, act := range a.Actions {
			buttons++
			if err := act.IsValid(); err != nil {
				t.Errorf("action %s: %v", act.Id, err)
			}
			if strings.HasPrefix(act.Name, "Uncheck") {
				t.Errorf("action %s (%s) is for a closed item", act.Id, act.Name)
			}
		}
		if err := a.IsValid(); err != nil {
			t.Errorf("attachment %q: %v", a.Title, err)
		}
	}
	if buttons != mattermost.MaxButtons {
		t.Errorf("%d buttons, want %d", buttons, mattermost.MaxButtons)
	}
	b, err := json.Marshal(map[string]any{"message": p.Message, "props": p.GetProps()})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "checklist_post_large.json", normalize(t, b, nil))
}

// TestChecklistPostDeleted checks that a deleted checklist post is posted
// anew at the next change, and that the run remembers the new post.
func TestChecklistPostDeleted(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	s.mm.DeletePost(s.postID)
	if _, err := s.svc.SetItemState(context.Background(), s.admin, s.r.ID, 0, 1, bot.ItemClosed); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, s.channel)
	if r.ChecklistPostID == s.postID || r.ChecklistPostID == "" {
		t.Fatalf("checklist post %q, want a new one", r.ChecklistPostID)
	}
	p, ok := s.mm.Post(r.ChecklistPostID)
	if !ok || !strings.Contains(p.Attachments()[0].Text, "- [x] ~~Open a status page incident~~") {
		t.Errorf("new checklist post %+v", p)
	}
}
