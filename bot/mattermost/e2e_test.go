package mattermost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
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

	// The bot and Mattermost share a hostname, as on one VM: Mattermost
	// would send users' session tokens to the bot's /plugins URLs.
	if mh, bh := hostname(t, e.mm.URL), hostname(t, e.botURL); mh != bh {
		t.Fatalf("Mattermost on %s, the bot on %s: want one hostname", mh, bh)
	}

	// /playbook run opens the start-run dialog, to be submitted to the
	// bot's dialog path; the command answers {} so nothing is posted.
	if resp := e.slash(t, e.alice, e.townSquare.Id, "run"); resp.Text != "" || resp.ResponseType != "" {
		t.Errorf("/playbook run answered %+v, want {}", resp)
	}
	d := e.dialog(t, dialogs.StartRun)
	if want := e.botURL + mattermost.DialogPath; d.URL != want || d.UserID != e.alice.Id {
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

	// The check dialog's item select lists the run's items, open ones
	// first, as static options: Mattermost 10.x has no dynamic selects.
	e.slash(t, e.carol, ch.Id, "check")
	d = e.dialog(t, dialogs.CheckItem)
	e.dialogGolden(t, "check_item", d, ids...)
	var items []string
	for _, o := range d.Dialog.Elements[0].Options {
		items = append(items, o.Value+" "+o.Text)
	}
	want := []string{"0 0 [ ] Page the on-call engineer", "0 2 [ ] Find the blast radius", "1 0 [ ] Roll back the last deploy",
		"1 1 [ ] Confirm recovery", "0 1 [x] Open a status page incident"}
	if el := d.Dialog.Elements[0]; !cmp.Equal(want, items) || el.DataSource != "" || el.DataSourceURL != "" {
		t.Errorf("item select: options %q, data source %q %q; want %q and no data source", items, el.DataSource, el.DataSourceURL, want)
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
	if want := e.botURL + mattermost.DialogPath; d.URL != want {
		t.Errorf("next-stage dialog url %s, want %s", d.URL, want)
	}
	e.dialogGolden(t, "next_stage", d, ids...)
	e.submit(t, d, nil)
	if r := e.run(t, ch.Id); r.ActiveStage != 1 || r.ActiveStageTitle != "Mitigate" {
		t.Errorf("active stage %d %q, want 1 Mitigate", r.ActiveStage, r.ActiveStageTitle)
	}
	e.wantPost(t, ch.Id, "Moved **Checkout errors: EU-west!** to stage 1 (Mitigate).")
	if p, _ := e.mm.Post(post.Id); !strings.Contains(p.Attachments()[0].Pretext, "Stage 2 of 2: **Mitigate**") {
		t.Errorf("checklist post after the stage change: %q", p.Attachments()[0].Pretext)
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
	if want := e.botURL + mattermost.DialogPath; d.URL != want {
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

	// erin is not in the private run's channel: she is added, and told so.
	if slices.Contains(e.mm.Members(ch.Id), e.erin.Id) {
		t.Fatal("erin is in the run channel already; the owner change would not add her")
	}
	e.slash(t, e.alice, ch.Id, "owner @erin")
	if r := e.run(t, ch.Id); r.OwnerUserID != e.erin.Id {
		t.Errorf("owner %s, want erin", r.OwnerUserID)
	}
	e.wantPost(t, ch.Id, "@erin is now the owner of **Checkout errors: EU-west!**. "+
		"@erin was not in this private run's channel and has been added.")
	if !slices.Contains(e.mm.Members(ch.Id), e.erin.Id) {
		t.Errorf("run channel members %v: the new owner erin was not added", e.mm.Members(ch.Id))
	}

	if resp := e.slash(t, e.alice, ch.Id, "info"); !strings.Contains(resp.Text, "Owner: @erin") || resp.ResponseType != model.CommandResponseTypeEphemeral {
		t.Errorf("/playbook info answered %+v", resp)
	}

	// Nothing Mattermost sent the bot carried a user's session token, and
	// no dialog or button of the bot is a plugin route.
	e.noSessionLeaks(t)
}

// noSessionLeaks asserts that no request Mattermost sent the bot carried a
// user's session token, and that every dialog and button URL the bot gave
// Mattermost is on the bot's own /mattermost/ paths.
func (e *env) noSessionLeaks(t *testing.T) {
	t.Helper()
	for _, r := range e.mm.SessionLeaks() {
		t.Errorf("%s %s carried a user's session token (Authorization %q)", r.Method, r.URL, r.Header.Get("Authorization"))
	}
	sent := e.mm.Sent()
	if len(sent) == 0 {
		t.Error("Mattermost sent the bot nothing")
	}
	for _, r := range sent {
		if !strings.HasPrefix(r.URL, e.botURL+"/mattermost/") {
			t.Errorf("Mattermost sent %s %s, want only the bot's /mattermost/ paths", r.Method, r.URL)
		}
		if a := r.Header.Get("Authorization"); a != "" && !strings.HasPrefix(a, "Token ") {
			t.Errorf("%s %s carried Authorization %q, want none but a slash command's token", r.Method, r.URL, a)
		}
	}
}

// hostname returns the hostname of a URL.
func hostname(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
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

// TestCheckItemPicker checks the item picker of /playbook check on a run
// of 130 items: a static list of the first 100 (open ones first), an
// introduction that says so and how to check the others, a pick that
// checks its item, and no way to pick an item that is not listed.
func TestCheckItemPicker(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			ctx := context.Background()
			var lists []bot.Checklist
			for c := range 7 {
				l := bot.Checklist{Title: fmt.Sprint("Stage ", c)}
				for i := 0; i < 20 && c*20+i < 130; i++ {
					l.Items = append(l.Items, bot.ChecklistItem{Title: fmt.Sprintf("Task %d.%d", c, i)})
				}
				lists = append(lists, l)
			}
			pb, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{Title: "Big", TeamID: e.team.Id, Checklists: lists})
			if err != nil {
				t.Fatal(err)
			}
			e.slash(t, e.alice, e.townSquare.Id, "run")
			e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Big outage"})
			ch := e.runChannel(t, "Big outage")
			if _, err := e.svc.ToggleItem(ctx, e.admin, e.run(t, ch).ID, 0, 0); err != nil { // closed: listed last, so left out
				t.Fatal(err)
			}

			e.slash(t, e.alice, ch, "check")
			d := e.dialog(t, dialogs.CheckItem)
			el := d.Dialog.Elements[0]
			if len(el.Options) != 100 || el.DataSource != "" || el.DataSourceURL != "" {
				t.Fatalf("item select: %d options, data source %q %q; want 100 static options", len(el.Options), el.DataSource, el.DataSourceURL)
			}
			if first, last := el.Options[0], el.Options[99]; first.Value != "0 1" || first.Text != "[ ] Task 0.1" || last.Value != "5 0" {
				t.Errorf("options run from %+v to %+v, want the open items from 0 1 (Task 0.1) to 5 0", first, last)
			}
			note := "The run has 130 items: only the first 100 are listed (open ones first). For another, use `/playbook check <checklist> <item>`."
			if !strings.Contains(d.Dialog.IntroductionText, note) {
				t.Errorf("introduction %q, want it to say %q", d.Dialog.IntroductionText, note)
			}

			// An item past the list cannot be picked: Mattermost sends nothing.
			sent := len(e.mm.Sent())
			if _, err := e.mm.SubmitDialog(ctx, d, map[string]any{dialogs.CheckItemItem: "6 9"}); err == nil {
				t.Error("picked item 6 9, which the list does not offer")
			}
			if n := len(e.mm.Sent()); n != sent {
				t.Errorf("%d requests sent for an item not listed, want none", n-sent)
			}
			e.submit(t, d, map[string]any{dialogs.CheckItemItem: "5 0"})
			e.wantItem(t, ch, 5, 0, bot.ItemClosed)
			e.wantPost(t, ch, "Checked **Task 5.0** (item 5 0, Stage 5).")

			// The one the list left out, checked as the introduction says.
			e.slash(t, e.alice, ch, "check 6 9")
			e.wantItem(t, ch, 6, 9, bot.ItemClosed)
			e.noSessionLeaks(t)
		})
	}
}

// TestOpenDialogDynamicSelect checks that the client never sends a select
// Mattermost 10.x would show empty: a dynamic select with no static
// options is an internal error, and nothing is opened.
func TestOpenDialogDynamicSelect(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	trigger := e.mm.IssueTrigger(e.alice.Id, e.townSquare.Id)
	d := dialogs.Dialog{CallbackID: dialogs.CheckItem, Title: "Check an item", Elements: []dialogs.Element{
		{Name: "item", DisplayName: "Item", Type: dialogs.TypeSelect, DataSource: dialogs.DataSourceDynamic}}}
	err := e.client.OpenDialog(context.Background(), mattermost.DialogTrigger{UserID: e.alice.Id, ChannelID: e.townSquare.Id, TriggerID: trigger}, d)
	if bot.ErrorCode(err) != bot.EInternal || !strings.Contains(err.Error(), "no dynamic selects") {
		t.Errorf("got %v, want an internal error about dynamic selects", err)
	}
	if n := len(e.mm.Dialogs()); n != 0 {
		t.Errorf("%d dialogs opened, want none", n)
	}
}

// runChannel returns the ID of the one channel of the team with this
// display name.
func (e *env) runChannel(t *testing.T, displayName string) string {
	t.Helper()
	for _, ch := range e.mm.Channels(e.team.Id) {
		if ch.DisplayName == displayName {
			return ch.Id
		}
	}
	t.Fatalf("no channel %q", displayName)
	return ""
}

// countChannels counts the channels of the team with this display name.
func (e *env) countChannels(displayName string) int {
	n := 0
	for _, ch := range e.mm.Channels(e.team.Id) {
		if ch.DisplayName == displayName {
			n++
		}
	}
	return n
}

// countPosts counts the posts of a channel whose message starts with prefix.
func (e *env) countPosts(channelID, prefix string) int {
	n := 0
	for _, p := range e.mm.Posts(channelID) {
		if strings.HasPrefix(p.Message, prefix) {
			n++
		}
	}
	return n
}

// TestCheckItemPickerNoItems checks that /playbook check on a run with no
// items says so rather than open an empty list no one can submit.
func TestCheckItemPickerNoItems(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	pb, err := e.svc.CreatePlaybook(context.Background(), e.admin, bot.Playbook{Title: "Empty", TeamID: e.team.Id,
		Checklists: []bot.Checklist{{Title: "Later"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Quiet"})
	ch := e.runChannel(t, "Quiet")
	opened := len(e.mm.Dialogs())
	resp := e.slash(t, e.alice, ch, "check")
	if !strings.Contains(resp.Text, "**Quiet** has no items to check") || resp.ResponseType != model.CommandResponseTypeEphemeral {
		t.Errorf("/playbook check answered %+v, want an ephemeral reply saying the run has no items", resp)
	}
	if n := len(e.mm.Dialogs()) - opened; n != 0 {
		t.Errorf("%d dialogs opened, want none", n)
	}
}
