package main

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// TestSlackAndMattermost runs the binary with Slack and Mattermost
// configured at once: a run started from Slack lives in Slack, one started
// from Mattermost in Mattermost, and one started by REST on the default
// platform (Mattermost).
func TestSlackAndMattermost(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			addr := freeAddr(t)
			public := "http://" + addr
			signing := "slack-signing-secret-0123456789"
			admin := "admin-secret-0123456789"

			sl := slacktest.New(t, nil)
			sl.SetBot(public, signing)
			alice := sl.AddUser("alice")
			general := sl.AddChannel("general", alice.ID, sl.BotUserID)

			mm := mmtest.New(t)
			team := mm.AddTeam("acme")
			_, botToken := mm.AddBot("playbooks", team.Id)
			bob := mm.AddUser("bob", team.Id)
			town := mm.AddChannel(team.Id, "town-square", model.ChannelTypeOpen, bob.Id)
			cmdToken := mm.RegisterCommand(team.Id, "playbook", public+"/mattermost/command")

			env := map[string]string{
				"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_LISTEN": addr, "PLAYBOOKS_ADMIN_TOKEN": admin,
				"PLAYBOOKS_SECRET":          strings.Repeat("s", 32),
				"PLAYBOOKS_SLACK_BOT_TOKEN": sl.BotToken, "PLAYBOOKS_SLACK_SIGNING_SECRET": signing,
				"PLAYBOOKS_SLACK_API_URL":  sl.URL,
				"PLAYBOOKS_MATTERMOST_URL": mm.URL, "PLAYBOOKS_MATTERMOST_BOT_TOKEN": botToken,
				"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS": cmdToken, "PLAYBOOKS_PUBLIC_URL": public,
			}
			srv := startServer(t, maps.Clone(env))
			base := srv.URL + "/plugins/playbooks/api/v0"
			playbook := func(teamID string) string {
				var pb struct{ ID string }
				if code := call(t, "POST", base+"/playbooks", admin, map[string]any{
					"title": "Outage", "team_id": teamID, "create_public_playbook_run": false,
					"checklists": []any{map[string]any{"title": "Triage", "items": []any{map[string]any{"title": "Page DBA"}}}},
				}, &pb); code != 201 {
					t.Fatalf("create playbook in %s: got %d, want 201", teamID, code)
				}
				return pb.ID
			}
			slackPB, mmPB := playbook(sl.Team), playbook(team.Id)

			// From Slack: the modal, a Slack channel, the checklist message.
			if resp, err := sl.SlashCommand(ctx, slacktest.Slash{UserID: alice.ID, ChannelID: general.ID, Text: "run"}); err != nil || resp.Status != 200 {
				t.Fatalf("/playbook run in Slack: %v %+v", err, resp)
			}
			views := sl.Views()
			if len(views) != 1 {
				t.Fatalf("%d modals opened, want 1", len(views))
			}
			resp, err := sl.Submit(ctx, views[0], map[string]string{dialogs.StartRunPlaybook: slackPB, dialogs.StartRunName: "API down"})
			if err != nil || resp.Status != 200 || len(resp.Body) > 0 {
				t.Fatalf("submit the start-run modal: %v, %d %s", err, resp.Status, resp.Body)
			}
			ch, ok := sl.ChannelByName("api-down")
			if !ok || !ch.Private || len(sl.Messages(ch.ID)) == 0 {
				t.Fatalf("Slack run channel = %+v, %v; want a private api-down with the checklist", ch, ok)
			}
			if resp, err := sl.SlashCommand(ctx, slacktest.Slash{UserID: alice.ID, ChannelID: ch.ID, Text: "check 0 0"}); err != nil || resp.Status != 200 {
				t.Fatalf("/playbook check 0 0 in Slack: %v %+v", err, resp)
			}
			var r bot.Run
			if code := call(t, "GET", base+"/runs/channel/"+ch.ID, admin, nil, &r); code != 200 {
				t.Fatalf("Slack run by channel: %d", code)
			}
			if r.Platform != "slack" || r.Checklists[0].Items[0].State != bot.ItemClosed {
				t.Errorf("Slack run: platform %q, item %q; want slack, closed", r.Platform, r.Checklists[0].Items[0].State)
			}
			if n := len(mm.Channels(team.Id)); n != 1 {
				t.Errorf("Mattermost has %d channels after a Slack run, want only town-square", n)
			}

			// From Mattermost, and from REST (the default platform).
			if _, err := mm.SlashCommand(ctx, mmtest.Slash{UserID: bob.Id, ChannelID: town.Id, Text: "run"}); err != nil {
				t.Fatalf("/playbook run in Mattermost: %v", err)
			}
			d, _ := mm.LastDialog()
			if sr, err := mm.SubmitDialog(ctx, d, map[string]any{"playbook_id": mmPB, "name": "DB down"}); err != nil || len(sr.Errors) > 0 {
				t.Fatalf("submit the Mattermost dialog: %v %+v", err, sr)
			}
			var rest bot.Run
			if code := call(t, "POST", base+"/runs", admin, map[string]any{
				"name": "Cert expiry", "owner_user_id": bob.Id, "team_id": team.Id, "playbook_id": mmPB,
			}, &rest); code != 201 || rest.Platform != "mattermost" || rest.ChannelID == "" {
				t.Errorf("REST run: %d, platform %q, channel %q; want 201 on mattermost with a channel", code, rest.Platform, rest.ChannelID)
			}
			if n := len(mm.Channels(team.Id)); n != 3 {
				t.Errorf("Mattermost has %d channels, want 3 (town-square and two runs)", n)
			}

			// A second replica on the same database refuses a request the
			// first one accepted: replays are remembered in the database.
			env["PLAYBOOKS_LISTEN"] = freeAddr(t)
			replica := startServer(t, env)
			body := sl.SlashForm(slacktest.Slash{UserID: alice.ID, ChannelID: general.ID, Text: "help"}).Encode()
			signed := slacktest.Sign(signing, time.Now(), body)
			if resp, err := sl.Post(ctx, "/slack/command", signed, body); err != nil || resp.Status != 200 {
				t.Fatalf("first delivery: %v, %d", err, resp.Status)
			}
			sl.SetBot(replica.URL, signing)
			if resp, err := sl.Post(ctx, "/slack/command", signed, body); err != nil || resp.Status != 401 {
				t.Errorf("replay to another replica: %v, status %d, want 401", err, resp.Status)
			}
		})
	}
}
