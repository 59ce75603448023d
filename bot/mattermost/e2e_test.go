package mattermost_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// names maps the env's IDs (and the bot's URL) to stable names for golden
// files, plus the extra id/name pairs given.
func (e *env) names(extra ...string) map[string]string {
	m := map[string]string{
		e.botURL: "<bot>", e.team.Id: "<team>", e.bot.Id: "<bot-user>", e.alice.Id: "<alice>",
		e.bob.Id: "<bob>", e.carol.Id: "<carol>", e.dave.Id: "<dave>", e.erin.Id: "<erin>",
		e.townSquare.Id: "<town-square>", e.broadcast.Id: "<broadcast>", e.announcement.Id: "<announcement>",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// dialogGolden compares the body of the POST /actions/dialogs/open that
// opened d with testdata/dialog_<name>.json.
func (e *env) dialogGolden(t *testing.T, name string, d mmtest.OpenedDialog, extra ...string) {
	t.Helper()
	b, err := json.Marshal(d.OpenDialogRequest)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "dialog_"+name+".json", normalize(t, b, e.names(extra...)))
}

// postGolden compares the message and props of a post with
// testdata/<name>.json.
func (e *env) postGolden(t *testing.T, name, postID string, extra ...string) {
	t.Helper()
	p, ok := e.mm.Post(postID)
	if !ok {
		t.Fatalf("no post %s", postID)
	}
	b, err := json.Marshal(map[string]any{"message": p.Message, "props": p.GetProps(), "type": p.Type})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name+".json", normalize(t, b, e.names(extra...)))
}

// TestEndToEnd drives the bot the way Mattermost does, from starting a run
// with /playbook run to ending and restarting it, and checks what the bot
// did on Mattermost and in the store.
func TestEndToEnd(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) { endToEnd(t, newEnv(t, kind)) })
	}
}

func endToEnd(t *testing.T, e *env) {
	ctx := context.Background()
	pb := e.playbook(t)

	// /playbook run opens the start-run dialog, to be submitted to the
	// spec's path; the command answers {} so nothing is posted.
	if resp := e.slash(t, e.alice, e.townSquare.Id, "run"); resp.Text != "" || resp.ResponseType != "" {
		t.Errorf("/playbook run answered %+v, want {}", resp)
	}
	d := e.dialog(t, dialogs.StartRun)
	if want := e.botURL + "/plugins/playbooks/api/v0/runs/dialog"; d.URL != want || d.UserID != e.alice.Id {
		t.Errorf("start-run dialog: url %s for %s, want %s for alice", d.URL, d.UserID, want)
	}
	e.dialogGolden(t, "start_run", d, pb.ID, "<playbook>")
	e.submit(t, d, map[string]any{"name": "Checkout errors: EU-west!", "description": "5xx on /checkout"})

	// The run's channel: private, named after the run, with the bot, the
	// reporter, the default owner and the invited users.
	chans := e.mm.Channels(e.team.Id)
	ch := chans[len(chans)-1]
	if ch.Type != model.ChannelTypePrivate || ch.DisplayName != "Checkout errors: EU-west!" || ch.Name != "checkout-errors-eu-west" {
		t.Errorf("run channel: type %s, display name %q, name %q; want P, the run's name, checkout-errors-eu-west", ch.Type, ch.DisplayName, ch.Name)
	}
	wantMembers := []string{e.bot.Id, e.alice.Id, e.bob.Id, e.carol.Id, e.dave.Id}
	slices.Sort(wantMembers)
	if diff := cmp.Diff(wantMembers, e.mm.Members(ch.Id)); diff != "" {
		t.Errorf("run channel members (-want +got):\n%s", diff)
	}
	r := e.run(t, ch.Id)
	if r.OwnerUserID != e.bob.Id || r.ReporterUserID != e.alice.Id || r.Name != "Checkout errors: EU-west!" {
		t.Errorf("run: owner %s reporter %s name %q; want bob, alice, the dialog's name", r.OwnerUserID, r.ReporterUserID, r.Name)
	}
	ids := []string{pb.ID, "<playbook>", r.ID, "<run>", ch.Id, "<run-channel>"}

	// The checklist post: one attachment per checklist, one button per item.
	post, ok := e.mm.Post(r.ChecklistPostID)
	if !ok || post.UserId != e.bot.Id || post.ChannelId != ch.Id || post.GetProp(mattermost.ChecklistProp) != r.ID {
		t.Fatalf("checklist post %s: %+v", r.ChecklistPostID, post)
	}
	if n := countButtons(post); n != 5 {
		t.Errorf("checklist post has %d buttons, want 5", n)
	}
	e.postGolden(t, "checklist_post_created", post.Id, ids...)
	e.wantPost(t, e.announcement.Id, "#### New run: Checkout errors: EU-west!\nStarted by @alice, owned by @bob, from playbook Incident response.")
	// The bot lacks create_post_ephemeral, as on a default server: the
	// confirmation comes as a direct message.
	e.wantDirect(t, e.alice.Id, "Started the run **Checkout errors: EU-west!**.")

	// Check items three ways; each rewrites the checklist post in place.
	versions := len(e.mm.PostHistory(post.Id))
	if resp, err := e.mm.Click(ctx, e.carol.Id, post.Id, "c0i0"); err != nil || resp.EphemeralText != "" {
		t.Fatalf("click c0i0: %+v, %v", resp, err)
	}
	e.wantItem(t, ch.Id, 0, 0, bot.ItemClosed)
	versions = e.wantPatched(t, post.Id, versions)

	if resp := e.slash(t, e.dave, ch.Id, "check 0 1"); resp.ResponseType != model.CommandResponseTypeInChannel {
		t.Errorf("/playbook check 0 1 answered %+v, want an in-channel reply", resp)
	}
	e.wantItem(t, ch.Id, 0, 1, bot.ItemClosed)
	e.wantPost(t, ch.Id, "Checked **Open a status page incident** (item 0 1, Triage).")
	versions = e.wantPatched(t, post.Id, versions)

	if _, err := e.svc.SetItemState(ctx, e.admin, r.ID, 0, 2, bot.ItemInProgress); err != nil {
		t.Fatal(err)
	}
	versions = e.wantPatched(t, post.Id, versions)
	e.postGolden(t, "checklist_post_checked", post.Id, ids...)

	// A second click on the same button unchecks.
	if _, err := e.mm.Click(ctx, e.alice.Id, post.Id, "c0i0"); err != nil {
		t.Fatal(err)
	}
	e.wantItem(t, ch.Id, 0, 0, bot.ItemOpen)
	versions = e.wantPatched(t, post.Id, versions)

	// The check dialog's item select is looked up as the user types.
	e.slash(t, e.carol, ch.Id, "check")
	d = e.dialog(t, dialogs.CheckItem)
	e.dialogGolden(t, "check_item", d, ids...)
	items, err := e.mm.Lookup(ctx, d, dialogs.CheckItemItem, "PAGE")
	if err != nil {
		t.Fatal(err)
	}
	want := []model.DialogSelectOption{{Text: "[ ] Page the on-call engineer", Value: "0 0"}, {Text: "[x] Open a status page incident", Value: "0 1"}}
	if !cmp.Equal(want, items.Items) {
		t.Errorf("lookup \"PAGE\": got %v, want %v", items.Items, want)
	}
	e.submit(t, d, map[string]any{dialogs.CheckItemItem: "0 0"})
	e.wantItem(t, ch.Id, 0, 0, bot.ItemClosed)
	e.wantPatched(t, post.Id, versions)

	// A status update goes to the run's channel and its broadcast channel.
	e.slash(t, e.bob, ch.Id, "update")
	d = e.dialog(t, dialogs.StatusUpdate)
	if d.URL != e.botURL+mattermost.DialogPath {
		t.Errorf("status dialog url %s, want %s", d.URL, e.botURL+mattermost.DialogPath)
	}
	e.dialogGolden(t, "status_update", d, ids...)
	e.submit(t, d, map[string]any{dialogs.StatusMessage: "Rolled back; errors are down.", dialogs.StatusReminder: "900"})
	update := "#### Status update: Checkout errors: EU-west!\nPosted by @bob\n> Rolled back; errors are down."
	e.wantPost(t, ch.Id, update)
	e.wantPost(t, e.broadcast.Id, update)
	if r := e.run(t, ch.Id); len(r.StatusUpdates) != 1 || r.PreviousReminder != 900 {
		t.Errorf("status updates %v, reminder %d; want one, 900", r.StatusUpdates, r.PreviousReminder)
	}

	// Triage still has an open item: moving on asks first.
	e.slash(t, e.bob, ch.Id, "stage next")
	d = e.dialog(t, dialogs.NextStage)
	if want := e.botURL + "/plugins/playbooks/api/v0/runs/" + r.ID + "/next-stage-dialog"; d.URL != want {
		t.Errorf("next-stage dialog url %s, want %s", d.URL, want)
	}
	e.dialogGolden(t, "next_stage", d, ids...)
	e.submit(t, d, nil)
	if r := e.run(t, ch.Id); r.ActiveStage != 1 || r.ActiveStageTitle != "Mitigate" {
		t.Errorf("active stage %d %q, want 1 Mitigate", r.ActiveStage, r.ActiveStageTitle)
	}
	e.wantPost(t, ch.Id, "Moved **Checkout errors: EU-west!** to stage 1 (Mitigate).")
	if p, _ := e.mm.Post(post.Id); !strings.Contains(p.Message, "Stage 2 of 2: **Mitigate**") {
		t.Errorf("checklist post after the stage change: %q", p.Message)
	}

	// An item's slash command runs as the bot in the run's channel.
	if _, err := e.svc.RunItemCommand(ctx, e.admin, r.ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	if ex := e.mm.Executed(); len(ex) != 1 || ex[0].Command != "/echo rolling back" || ex[0].UserID != e.bot.Id || ex[0].ChannelID != ch.Id {
		t.Errorf("executed commands: %+v", ex)
	}

	// The run's metadata comes from the channel.
	md, err := e.svc.RunMetadata(ctx, e.admin, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if md.ChannelName != ch.Name || md.ChannelDisplayName != ch.DisplayName || md.TeamName != "acme" || md.NumMembers != 5 || md.TotalPosts < 3 {
		t.Errorf("run metadata: %+v", md)
	}

	// End (confirmed in a dialog), restart, hand over.
	e.slash(t, e.alice, ch.Id, "end")
	d = e.dialog(t, dialogs.EndRun)
	if want := e.botURL + "/plugins/playbooks/api/v0/runs/" + r.ID + "/end"; d.URL != want {
		t.Errorf("end dialog url %s, want %s", d.URL, want)
	}
	e.dialogGolden(t, "end_run", d, ids...)
	e.submit(t, d, nil)
	if r := e.run(t, ch.Id); r.IsActive || r.CurrentStatus != bot.StatusFinished {
		t.Errorf("after end: active %v, status %s", r.IsActive, r.CurrentStatus)
	}
	e.wantPost(t, ch.Id, "Ended the run **Checkout errors: EU-west!**.")

	e.slash(t, e.alice, ch.Id, "restart")
	if r := e.run(t, ch.Id); !r.IsActive {
		t.Error("after restart: the run is not active")
	}
	e.wantPost(t, ch.Id, "Restarted the run **Checkout errors: EU-west!**.")

	e.slash(t, e.alice, ch.Id, "owner @erin")
	if r := e.run(t, ch.Id); r.OwnerUserID != e.erin.Id {
		t.Errorf("owner %s, want erin", r.OwnerUserID)
	}
	e.wantPost(t, ch.Id, "@erin is now the owner of **Checkout errors: EU-west!**.")

	if resp := e.slash(t, e.alice, ch.Id, "info"); !strings.Contains(resp.Text, "Owner: @erin") || resp.ResponseType != model.CommandResponseTypeEphemeral {
		t.Errorf("/playbook info answered %+v", resp)
	}
}

// countButtons counts the actions of a post's attachments.
func countButtons(p *model.Post) int {
	n := 0
	for _, a := range p.Attachments() {
		n += len(a.Actions)
	}
	return n
}

// wantItem asserts the state of an item of the run of a channel.
func (e *env) wantItem(t *testing.T, channelID string, c, i int, state string) {
	t.Helper()
	if got := e.run(t, channelID).Checklists[c].Items[i].State; got != state {
		t.Errorf("item %d %d is %q, want %q", c, i, got, state)
	}
}

// wantPatched asserts that a post got a new version since it had n, and
// returns how many it has.
func (e *env) wantPatched(t *testing.T, postID string, n int) int {
	t.Helper()
	got := len(e.mm.PostHistory(postID))
	if got <= n {
		t.Errorf("post %s has %d versions, want more than %d: it was not rewritten", postID, got, n)
	}
	return got
}

// wantPost asserts that a channel has a post with this message.
func (e *env) wantPost(t *testing.T, channelID, message string) {
	t.Helper()
	var got []string
	for _, p := range e.mm.Posts(channelID) {
		if p.Message == message {
			return
		}
		got = append(got, p.Message)
	}
	t.Errorf("no post %q in channel %s; posts: %q", message, channelID, got)
}

// wantEphemeral asserts that a user was shown this message.
func (e *env) wantEphemeral(t *testing.T, userID, message string) {
	t.Helper()
	var got []string
	for _, m := range e.mm.Ephemerals() {
		if m.UserID == userID && m.Message == message {
			return
		}
		got = append(got, m.Message)
	}
	t.Errorf("user %s was not shown %q; ephemerals: %q", userID, message, got)
}
