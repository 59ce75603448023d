package mattermost_test

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// withLinks makes the env's Service sign details links under the bot's URL.
func withLinks(e *env, c *bot.Config) {
	c.PublicURL = e.botURL
	c.LinkSecret = bytes.Repeat([]byte("l"), 32)
}

// startLinkedRun starts a run named "Checkout [EU]" from the start-run
// dialog in an env with links, and returns it with its channel.
func startLinkedRun(t *testing.T) (*env, bot.Run) {
	t.Helper()
	e := newEnv(t, storetest.SQLite, withLinks)
	e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": "Checkout [EU]", "description": "5xx"})
	chans := e.mm.Channels(e.team.Id)
	return e, e.run(t, chans[len(chans)-1].Id)
}

// wantDetailsLink asserts that text links the run's escaped name to a
// signed details link under the bot's URL that opens the run.
func (e *env) wantDetailsLink(t *testing.T, what, text string, r bot.Run) {
	t.Helper()
	re := regexp.MustCompile(`\[Checkout \\\[EU\\\]\]\((` + regexp.QuoteMeta(e.botURL+"/runs/"+r.ID) + `\?sig=[^)\s]+)\)`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Errorf("%s: %q has no link to the details page of run %s", what, text, r.ID)
		return
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.RunForLink(context.Background(), r.ID, u.Query().Get("sig")); err != nil || got.ID != r.ID {
		t.Errorf("%s: the link %s opens %q, %v; want run %s", what, m[1], got.ID, err, r.ID)
	}
}

// TestChecklistPostRewrites follows a checklist post through a run's life
// on a Mattermost that marks edits as the real one does: the message (the
// run's name, linked to its details page) never changes; a rewrite after a
// change that does not show on the post leaves it unedited; assignees are
// named; ending the run rewrites it without buttons, restarting brings
// them back.
func TestChecklistPostRewrites(t *testing.T) {
	ctx := context.Background()
	e, r := startLinkedRun(t)
	post, ok := e.mm.Post(r.ChecklistPostID)
	if !ok {
		t.Fatalf("no checklist post %s", r.ChecklistPostID)
	}
	message := post.Message
	if !strings.HasPrefix(message, "#### ") || strings.Contains(message, "\n") {
		t.Errorf("checklist post message %q, want one heading line", message)
	}
	e.wantDetailsLink(t, "checklist post", message, r)

	// Changes that do not show on the post: rewritten (the Service cannot
	// tell), but identical, so not marked edited.
	versions := len(e.mm.PostHistory(post.Id))
	e.clock.Advance(time.Minute)
	if _, err := e.svc.UpdateStatus(ctx, e.admin, r.ID, "Looking into it.", 900); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if _, _, err := e.svc.ChangeOwner(ctx, e.admin, r.ID, e.carol.Id); err != nil {
		t.Fatal(err)
	}
	versions = e.wantPatched(t, post.Id, versions)
	if p, _ := e.mm.Post(post.Id); p.EditAt != 0 {
		t.Errorf("EditAt %d after rewrites that changed nothing on the post, want 0", p.EditAt)
	}

	// The reminder of that status update links the run too.
	reminder := e.sendReminder(t, e.run(t, r.ChannelID))
	e.wantDetailsLink(t, "reminder post", reminder.Message, r)

	// An assignee shows as @username; a toggle changes the attachments,
	// which a real Mattermost marks as an edit, never the message.
	if _, _, err := e.svc.SetItemAssignee(ctx, e.admin, r.ID, 0, 1, e.bob.Id); err != nil {
		t.Fatal(err)
	}
	p, _ := e.mm.Post(post.Id)
	if text := p.Attachments()[0].Text; !strings.Contains(text, "- [ ] Open a status page incident · @bob `0 1`") {
		t.Errorf("checklist 0 after assigning item 0 1 to bob:\n%s", text)
	}
	for _, id := range []string{"c0i0", "c0i1", "c0i0"} {
		if _, err := e.mm.Click(ctx, e.dave.Id, post.Id, id); err != nil {
			t.Fatalf("click %s: %v", id, err)
		}
	}
	versions = e.wantPatched(t, post.Id, versions)
	for i, v := range e.mm.PostHistory(post.Id) {
		if v.Message != message {
			t.Errorf("version %d of the checklist post has message %q, want %q", i, v.Message, message)
		}
		if v.GetProp(model.PostPropsFromBot) != "true" {
			t.Errorf("version %d of the checklist post lost from_bot: %v", i, v.GetProps())
		}
	}
	if p, _ := e.mm.Post(post.Id); p.EditAt == 0 {
		t.Error("EditAt 0 after toggles changed the attachments; Mattermost marks that as an edit")
	}

	// /playbook finish in the run's channel: the reply there links the
	// run, and the post is rewritten with no buttons.
	resp := e.slash(t, e.alice, r.ChannelID, "finish")
	if resp.ResponseType != model.CommandResponseTypeInChannel {
		t.Errorf("/playbook finish answered %+v, want an in-channel reply", resp)
	}
	e.wantDetailsLink(t, "finish reply", resp.Text, r)
	e.wantPatched(t, post.Id, versions)
	p, _ = e.mm.Post(post.Id)
	if n := countButtons(p); n != 0 {
		t.Errorf("the ended run's checklist post has %d buttons, want none", n)
	}
	if pre := p.Attachments()[0].Pretext; !strings.HasPrefix(pre, "**This run has ended**") {
		t.Errorf("the ended run's checklist post says %q, want that it ended", pre)
	}
	if p.Message != message {
		t.Errorf("the ended run's checklist post message %q, want %q", p.Message, message)
	}
	if _, err := e.mm.Click(ctx, e.dave.Id, post.Id, "c0i2"); err == nil {
		t.Error("a button of the ended run's checklist post could be clicked")
	}

	e.slash(t, e.alice, r.ChannelID, "restart")
	if p, _ := e.mm.Post(post.Id); countButtons(p) != 5 {
		t.Errorf("the restarted run's checklist post has %d buttons, want 5", countButtons(p))
	}
}

// TestChecklistPostAssigneeFallback checks that an assignee Mattermost
// does not know is shown by ID, and that a known one is @username.
func TestChecklistPostAssigneeFallback(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	gone := bot.NewID()
	r := bot.Run{ID: bot.NewID(), Name: "R", ChannelID: e.townSquare.Id, IsActive: true, ActiveStageTitle: "A",
		Checklists: []bot.Checklist{{Title: "A", Items: []bot.ChecklistItem{
			{ID: bot.NewID(), Title: "One", AssigneeID: gone},
			{ID: bot.NewID(), Title: "Two", AssigneeID: e.erin.Id, State: bot.ItemClosed},
		}}}}
	text := e.client.ChecklistPost(context.Background(), r).Attachments()[0].Text
	want := "- [ ] One · `" + gone + "` `0 0`\n- [x] ~~Two~~ · @erin `0 1`"
	if text != want {
		t.Errorf("checklist text:\n%s\nwant:\n%s", text, want)
	}
}

// TestChecklistPostDueDates: an item's due date is shown in UTC, and
// marked overdue when past and the item not closed.
func TestChecklistPostDueDates(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	past := time.Date(2001, 2, 3, 4, 5, 0, 0, time.UTC).UnixMilli()
	future := time.Date(9000, 12, 1, 14, 0, 0, 0, time.UTC).UnixMilli()
	r := bot.Run{ID: bot.NewID(), Name: "R", ChannelID: e.townSquare.Id, IsActive: true, ActiveStageTitle: "A",
		Checklists: []bot.Checklist{{Title: "A", Items: []bot.ChecklistItem{
			{ID: bot.NewID(), Title: "Late", AssigneeID: e.erin.Id, DueDate: past},
			{ID: bot.NewID(), Title: "Soon", DueDate: future},
			{ID: bot.NewID(), Title: "Done", DueDate: past, State: bot.ItemClosed},
		}}}}
	text := e.client.ChecklistPost(context.Background(), r).Attachments()[0].Text
	want := "- [ ] Late · **overdue** (due 2001-02-03 04:05 UTC) · @erin `0 0`\n" +
		"- [ ] Soon · due 9000-12-01 14:00 UTC `0 1`\n" +
		"- [x] ~~Done~~ · due 2001-02-03 04:05 UTC `0 2`"
	if text != want {
		t.Errorf("checklist text:\n%s\nwant:\n%s", text, want)
	}
}
