package slack_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// viewGolden compares the view a modal was opened with with
// testdata/modal_<name>.json.
func (e *env) viewGolden(t *testing.T, name string, v slacktest.OpenedView, extra ...string) {
	t.Helper()
	golden(t, "modal_"+name+".json", normalize(t, v.Raw, e.names(extra...)))
}

// messageGolden compares a message's blocks with testdata/<name>.json.
func (e *env) messageGolden(t *testing.T, name string, m slacktest.Message, extra ...string) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"text": m.Text, "blocks": m.Blocks})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, name+".json", normalize(t, b, e.names(extra...)))
}

// TestEndToEnd drives the bot the way Slack does, from starting a run with
// /playbook run to ending it, and checks what the bot did on Slack and in
// the store. Every Web API method it calls must be in the scope table.
func TestEndToEnd(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			endToEnd(t, e)
			scopes := slack.MethodScopes()
			for _, m := range e.sl.Calls() {
				if _, ok := scopes[m]; !ok {
					t.Errorf("the client called %s, which is not in the scope table", m)
				}
			}
		})
	}
}

func endToEnd(t *testing.T, e *env) {
	ctx := context.Background()
	pb := e.playbook(t)

	// /playbook run opens the start-run modal; the command answers with an
	// empty body.
	if resp := e.slash(t, e.alice, e.general.ID, "run"); resp != (commandReply{}) {
		t.Errorf("/playbook run answered %+v, want an empty body", resp)
	}
	v := e.view(t, dialogs.StartRun)
	if v.UserID != e.alice.ID {
		t.Errorf("start-run modal opened for %s, want alice", v.UserID)
	}
	e.viewGolden(t, "start_run", v, pb.ID, "<playbook>")
	e.submit(t, v, map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Checkout errors: EU-west!", dialogs.StartRunDescription: "5xx on /checkout"})

	// The run's channel: private, named after the run, with the bot, the
	// reporter, the default owner and the invited users.
	ch, ok := e.sl.ChannelByName("checkout-errors-eu-west")
	if !ok || !ch.Private {
		t.Fatalf("run channel checkout-errors-eu-west: %+v, found %v; want a private channel", ch, ok)
	}
	wantMembers := []string{e.sl.BotUserID, e.alice.ID, e.bob.ID, e.carol.ID, e.dave.ID}
	slices.Sort(wantMembers)
	if diff := cmp.Diff(wantMembers, ch.Members); diff != "" {
		t.Errorf("run channel members (-want +got):\n%s", diff)
	}
	r := e.run(t, ch.ID)
	if r.OwnerUserID != e.bob.ID || r.ReporterUserID != e.alice.ID || r.Platform != slack.Platform {
		t.Errorf("run: owner %s reporter %s platform %q; want bob, alice, slack", r.OwnerUserID, r.ReporterUserID, r.Platform)
	}
	ids := []string{pb.ID, "<playbook>", r.ID, "<run>", ch.ID, "<run-channel>"}

	// The checklist message: one button per item.
	msg, ok := e.sl.Message(ch.ID, r.ChecklistPostID)
	if !ok || msg.User != e.sl.BotUserID {
		t.Fatalf("checklist message %s: %+v", r.ChecklistPostID, msg)
	}
	if n := strings.Count(string(msg.Blocks), slack.ToggleActionID); n != 5 {
		t.Errorf("checklist message has %d buttons, want 5", n)
	}
	e.messageGolden(t, "checklist_created", msg, ids...)
	e.settle(t)
	if !e.said(e.alice.ID, "Started the run") {
		t.Error("alice was not told that the run started")
	}

	// Check items by button and by command; each rewrites the message.
	versions := msg.Versions
	if resp, err := e.sl.Click(ctx, e.carol.ID, ch.ID, msg.TS, "item-0-0"); err != nil || resp.Status != 200 {
		t.Fatalf("click item-0-0: %+v, %v", resp, err)
	}
	e.wantItem(t, ch.ID, 0, 0, bot.ItemClosed)
	versions = e.wantUpdated(t, ch.ID, msg.TS, versions)

	if resp := e.slash(t, e.dave, ch.ID, "check 0 1"); resp.ResponseType != "in_channel" {
		t.Errorf("/playbook check 0 1 answered %+v, want an in-channel reply", resp)
	}
	e.wantItem(t, ch.ID, 0, 1, bot.ItemClosed)
	versions = e.wantUpdated(t, ch.ID, msg.TS, versions)
	m, _ := e.sl.Message(ch.ID, msg.TS)
	e.messageGolden(t, "checklist_checked", m, ids...)

	// The check modal's item select is looked up as the user types.
	e.slash(t, e.carol, ch.ID, "check")
	v = e.view(t, dialogs.CheckItem)
	e.viewGolden(t, "check_item", v, ids...)
	resp, err := e.sl.Suggest(ctx, v, dialogs.CheckItemItem, "PAGE")
	if err != nil || resp.Status != 200 {
		t.Fatalf("suggest: %+v, %v", resp, err)
	}
	var opts struct {
		Options []struct {
			Text  struct{ Type, Text string } `json:"text"`
			Value string                      `json:"value"`
		} `json:"options"`
	}
	if err := resp.JSON(&opts); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range opts.Options {
		got = append(got, o.Text.Type+"|"+o.Text.Text+"|"+o.Value)
	}
	want := []string{"plain_text|[x] Page the on-call engineer|0 0", "plain_text|[x] Open a status page incident|0 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("options for \"PAGE\" (-want +got):\n%s", diff)
	}
	e.submit(t, v, map[string]string{dialogs.CheckItemItem: "0 0"})
	e.wantItem(t, ch.ID, 0, 0, bot.ItemOpen)
	e.wantUpdated(t, ch.ID, msg.TS, versions)
	// Each rewrite of the message has block IDs of its own, as Slack advises.
	if m, _ := e.sl.Message(ch.ID, msg.TS); len(m.ReusedBlockIDs) > 0 {
		t.Errorf("the checklist message's updates reused block IDs %v", m.ReusedBlockIDs)
	}

	// A status update goes to the run's channel and its broadcast channel.
	e.slash(t, e.bob, ch.ID, "update")
	v = e.view(t, dialogs.StatusUpdate)
	e.viewGolden(t, "status_update", v, ids...)
	e.submit(t, v, map[string]string{dialogs.StatusMessage: "Rolled back; errors are down.", dialogs.StatusReminder: "900"})
	e.wantMessage(t, ch.ID, "Rolled back; errors are down.")
	e.wantMessage(t, e.broadcast.ID, "Rolled back; errors are down.")

	// Triage still has open items: moving on asks first.
	e.slash(t, e.bob, ch.ID, "stage next")
	v = e.view(t, dialogs.NextStage)
	e.viewGolden(t, "next_stage", v, ids...)
	e.submit(t, v, nil)
	if r := e.run(t, ch.ID); r.ActiveStage != 1 {
		t.Errorf("active stage %d, want 1", r.ActiveStage)
	}

	// The run's metadata comes from the channel and the workspace.
	md, err := e.svc.RunMetadata(ctx, e.admin, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if md.ChannelName != ch.Name || md.TeamName != "Acme" || md.NumMembers != 5 {
		t.Errorf("run metadata: %+v", md)
	}

	// Users by mention and by name.
	e.slash(t, e.alice, ch.ID, "owner <@"+e.erin.ID+">")
	if r := e.run(t, ch.ID); r.OwnerUserID != e.erin.ID {
		t.Errorf("owner %s, want erin", r.OwnerUserID)
	}
	e.slash(t, e.alice, ch.ID, "owner @Dave")
	if r := e.run(t, ch.ID); r.OwnerUserID != e.dave.ID {
		t.Errorf("owner %s, want dave", r.OwnerUserID)
	}

	// End, confirmed in a modal.
	e.slash(t, e.alice, ch.ID, "end")
	v = e.view(t, dialogs.EndRun)
	e.viewGolden(t, "end_run", v, ids...)
	e.submit(t, v, nil)
	if r := e.run(t, ch.ID); r.IsActive {
		t.Error("after end: the run is active")
	}
	if resp := e.slash(t, e.alice, ch.ID, "info"); resp.ResponseType != "ephemeral" || resp.Text == "" {
		t.Errorf("/playbook info answered %+v", resp)
	}
}

// wantItem asserts the state of an item of the run of a channel, once
// the work of the requests sent so far has ended (a click is answered
// before its work is done).
func (e *env) wantItem(t *testing.T, channelID string, c, i int, state string) {
	t.Helper()
	e.settle(t)
	if got := e.run(t, channelID).Checklists[c].Items[i].State; got != state {
		t.Errorf("item %d %d is %q, want %q", c, i, got, state)
	}
}

// wantUpdated asserts that a message was updated since it had n versions,
// and returns how many it has.
func (e *env) wantUpdated(t *testing.T, channel, ts string, n int) int {
	t.Helper()
	m, _ := e.sl.Message(channel, ts)
	if m.Versions <= n {
		t.Errorf("message %s has %d versions, want more than %d: it was not updated", ts, m.Versions, n)
	}
	return m.Versions
}

// wantMessage asserts that a channel has a message containing text.
func (e *env) wantMessage(t *testing.T, channel, text string) {
	t.Helper()
	e.settle(t)
	var got []string
	for _, m := range e.sl.Messages(channel) {
		if strings.Contains(m.Text, text) {
			return
		}
		got = append(got, m.Text)
	}
	t.Errorf("no message with %q in channel %s; messages: %q", text, channel, got)
}

// wantEphemeral asserts that a user was shown a message containing text.
func (e *env) wantEphemeral(t *testing.T, userID, text string) {
	t.Helper()
	e.settle(t)
	var got []string
	for _, m := range e.sl.Ephemerals() {
		if m.User == userID && strings.Contains(m.Text, text) {
			return
		}
		got = append(got, m.Text)
	}
	t.Errorf("user %s was not shown %q; ephemerals: %q", userID, text, got)
}

// TestAddItemModal adds an item through /playbook checkadd's modal: the
// item lands in the checklist and the checklist message is rewritten; an
// empty title is shown next to its field.
func TestAddItemModal(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			pb := e.playbook(t)
			e.slash(t, e.alice, e.general.ID, "run")
			e.submit(t, e.view(t, dialogs.StartRun), map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Queue backlog"})
			ch, ok := e.sl.ChannelByName("queue-backlog")
			if !ok {
				t.Fatal("no run channel queue-backlog")
			}
			r := e.run(t, ch.ID)
			msg, _ := e.sl.Message(ch.ID, r.ChecklistPostID)
			before := len(r.Checklists[1].Items)

			e.slash(t, e.alice, ch.ID, "checkadd 1")
			v := e.view(t, dialogs.AddItem)
			e.viewGolden(t, "add_item", v, pb.ID, "<playbook>", r.ID, "<run>", ch.ID, "<run-channel>")

			resp, err := e.sl.Submit(context.Background(), v, map[string]string{dialogs.AddItemTitle: "  "})
			if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), `"response_action":"errors"`) ||
				!strings.Contains(string(resp.Body), dialogs.AddItemTitle) {
				t.Fatalf("empty title: %v, %d %s; want errors keyed by the title block", err, resp.Status, resp.Body)
			}
			if n := len(e.run(t, ch.ID).Checklists[1].Items); n != before {
				t.Fatalf("a refused submission added an item: %d items, want %d", n, before)
			}

			e.submit(t, v, map[string]string{dialogs.AddItemTitle: "Drain the DLQ", dialogs.AddItemDescription: "after the fix"})
			items := e.run(t, ch.ID).Checklists[1].Items
			if len(items) != before+1 || items[before].Title != "Drain the DLQ" || items[before].Description != "after the fix" {
				t.Fatalf("checklist 1 items = %+v, want %q added", items, "Drain the DLQ")
			}
			e.wantUpdated(t, ch.ID, msg.TS, msg.Versions)
		})
	}
}
