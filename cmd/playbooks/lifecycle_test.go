package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestMattermostRunLifecycle runs a whole incident through the binary with
// the bot on Mattermost's own hostname (both on 127.0.0.1, where a real
// Mattermost adds the user's session token to /plugins URLs): start from
// the dialog, check an item by button and another through the picker
// dialog, post a status update, end the run. Every used dialog state is
// then replayed, to a second serve on the same database and through
// Mattermost again, and changes nothing. No request to the bot carries a
// user's session token.
func TestMattermostRunLifecycle(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			site := newMMSite(t)
			mm, team, alice, town, public := site.mm, site.team, site.alice, site.town, site.public
			if !sameHost(t, public, mm.URL) {
				t.Fatalf("bot %s and Mattermost %s must share a hostname for this test", public, mm.URL)
			}
			env := printedEnv(t, site.setup(t, "acme"))
			env["PLAYBOOKS_DATABASE_URL"] = dbURL
			srv := startServer(t, env)
			replica := startProcess(t, env) // a second serve, in a process of its own
			base := srv.URL + "/plugins/playbooks/api/v0"
			aliceToken := mm.AddToken(alice.Id)

			var pb struct{ ID string }
			if code := call(t, "POST", base+"/playbooks", aliceToken, map[string]any{
				"title": "Outage", "team_id": team.Id, "create_public_playbook_run": false,
				"checklists": []any{map[string]any{"title": "Triage", "items": []any{
					map[string]any{"title": "Page DBA"}, map[string]any{"title": "Open a bridge"}, map[string]any{"title": "Tell support"},
				}}},
			}, &pb); code != 201 {
				t.Fatalf("create playbook: got %d, want 201", code)
			}

			// used remembers each submitted dialog with its values, for the replays.
			type used struct {
				d      mmtest.OpenedDialog
				values map[string]any
			}
			var submitted []used
			open := func(channelID, text string) mmtest.OpenedDialog {
				t.Helper()
				n := len(mm.Dialogs())
				resp, err := mm.SlashCommand(ctx, mmtest.Slash{UserID: alice.Id, ChannelID: channelID, Text: text})
				if err != nil {
					t.Fatalf("/playbook %s: %v", text, err)
				}
				d, ok := mm.LastDialog()
				if !ok || len(mm.Dialogs()) != n+1 {
					t.Fatalf("/playbook %s opened no dialog; answered %+v", text, resp)
				}
				if d.URL != public+"/mattermost/dialog" {
					t.Fatalf("/playbook %s: dialog submits to %s, want %s/mattermost/dialog", text, d.URL, public)
				}
				return d
			}
			submit := func(d mmtest.OpenedDialog, values map[string]any) {
				t.Helper()
				resp, err := mm.SubmitDialog(ctx, d, values)
				if err != nil || resp.Error != "" || len(resp.Errors) > 0 {
					t.Fatalf("submit %s: %v %+v", d.Dialog.CallbackId, err, resp)
				}
				submitted = append(submitted, used{d, values})
			}

			// Start the run from the dialog.
			submit(open(town.Id, "run"), map[string]any{"playbook_id": pb.ID, "name": "DB down"})
			var r bot.Run
			var list bot.RunList
			if code := call(t, "GET", base+"/runs?team_id="+team.Id, aliceToken, nil, &list); code != 200 || len(list.Items) != 1 {
				t.Fatalf("runs after the start dialog: %d %+v", code, list)
			}
			r = list.Items[0]
			if r.ChecklistPostID == "" {
				t.Fatalf("run %s has no checklist post", r.ID)
			}

			// Item 0 0 by its button on the checklist post.
			if resp, err := mm.Click(ctx, alice.Id, r.ChecklistPostID, "c0i0"); err != nil || resp.EphemeralText != "" {
				t.Fatalf("click c0i0: %v %+v", err, resp)
			}
			// Item 0 1 through the picker: a static list of the run's items.
			picker := open(r.ChannelID, "check")
			if n := len(picker.Dialog.Elements); n != 1 || len(picker.Dialog.Elements[0].Options) != 3 || picker.Dialog.Elements[0].DataSource != "" {
				t.Fatalf("picker elements = %+v, want one static select of the 3 items", picker.Dialog.Elements)
			}
			submit(picker, map[string]any{"item": "0 1"})
			// A status update with a reminder.
			submit(open(r.ChannelID, "update"), map[string]any{"message": "Replica promoted; watching.", "reminder": "900"})
			// End the run, after the confirmation.
			submit(open(r.ChannelID, "end"), map[string]any{})

			check := func(when string) {
				t.Helper()
				var got bot.Run
				if code := call(t, "GET", base+"/runs/"+r.ID, aliceToken, nil, &got); code != 200 {
					t.Fatalf("%s: get run: %d", when, code)
				}
				items := got.Checklists[0].Items
				if items[0].State != bot.ItemClosed || items[1].State != bot.ItemClosed || items[2].State == bot.ItemClosed {
					t.Errorf("%s: item states %q %q %q, want closed closed open", when, items[0].State, items[1].State, items[2].State)
				}
				if len(got.StatusUpdates) != 1 || got.StatusUpdates[0].Message != "Replica promoted; watching." {
					t.Errorf("%s: status updates %+v, want the one posted", when, got.StatusUpdates)
				}
				if got.CurrentStatus != bot.StatusFinished {
					t.Errorf("%s: status %q, want %s", when, got.CurrentStatus, bot.StatusFinished)
				}
				if code := call(t, "GET", base+"/runs?team_id="+team.Id+"&statuses=InProgress&statuses=Finished", aliceToken, nil, &list); code != 200 || list.TotalCount != 1 {
					t.Errorf("%s: %d runs, want 1", when, list.TotalCount)
				}
			}
			check("after the lifecycle")
			if p, ok := mm.Post(r.ChecklistPostID); !ok || countActions(p) != 0 {
				t.Errorf("checklist post of the ended run has %d buttons, want none", countActions(p))
			}

			// Every used state, replayed straight to the second replica and
			// submitted again through Mattermost, is refused.
			for _, u := range submitted {
				req, err := mmtest.DialogSubmission(u.d, u.values)
				if err != nil {
					t.Fatal(err)
				}
				if resp, err := mm.SendDialogSubmission(ctx, replica.URL+"/mattermost/dialog", req); err != nil || !strings.Contains(resp.Error, "already submitted") {
					t.Errorf("replay %s to the replica: %+v %v, want a refusal", u.d.Dialog.CallbackId, resp, err)
				}
				if resp, err := mm.SubmitDialog(ctx, u.d, u.values); err != nil || !strings.Contains(resp.Error, "already submitted") {
					t.Errorf("resubmit %s through Mattermost: %+v %v, want a refusal", u.d.Dialog.CallbackId, resp, err)
				}
			}
			check("after the replays")

			for _, s := range mm.Sent() {
				if !strings.HasPrefix(s.URL, public+"/mattermost/") && !strings.HasPrefix(s.URL, replica.URL+"/mattermost/") {
					t.Errorf("Mattermost sent %s %s: want only the bot's /mattermost/ paths", s.Method, s.URL)
				}
			}
			for _, s := range mm.SessionLeaks() {
				t.Errorf("%s %s carried a user's session token", s.Method, s.URL)
			}
			if len(mm.Sent()) < 5+2*len(submitted) {
				t.Errorf("mmtest recorded %d requests to the bot; the recording is broken", len(mm.Sent()))
			}
		})
	}
}

// sameHost reports whether two URLs have one hostname.
func sameHost(t *testing.T, a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	ub, err := url.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return ua.Hostname() == ub.Hostname()
}

// countActions counts the buttons of a post.
func countActions(p *model.Post) int {
	if p == nil {
		return 0
	}
	n := 0
	for _, a := range p.Attachments() {
		n += len(a.Actions)
	}
	return n
}
