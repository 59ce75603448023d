package mattermost_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestTodoCommand checks /playbook todo through a signed slash command:
// erin gets, ephemerally and nowhere else, her open items of two runs,
// the overdue one first and the one without a due date last, each linked
// to its run with its channel; not bob's item, nor her item of a private
// run whose channel she has left, nor a closed one; and the run she owns
// whose status update is overdue, not the one still on time. dave, with
// nothing to do, gets the friendly lines.
func TestTodoCommand(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, kind, func(e *env, c *bot.Config) {
				c.Now = e.clock.Now
				c.PublicURL = "https://playbooks.example.com"
				c.LinkSecret = []byte("0123456789abcdef0123456789abcdef")
			})
			alice := bot.Actor{UserID: e.alice.Id, TeamIDs: []string{e.team.Id}}
			erin := bot.Actor{UserID: e.erin.Id, TeamIDs: []string{e.team.Id}}
			now := e.clock.Now().UnixMilli()
			day := int64(24 * time.Hour / time.Millisecond)
			due := map[string]int64{"Overdue": now - day, "Tomorrow": now + day, "Closed": now - 2*day}
			playbook := func(public bool) bot.Playbook {
				pb, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{Title: "Todo", TeamID: e.team.Id, CreatePublicPlaybookRun: public,
					Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{
						{Title: "Ask around"}, {Title: "Overdue", DueDate: due["Overdue"]}, {Title: "Tomorrow", DueDate: due["Tomorrow"]}, {Title: "Closed", DueDate: due["Closed"]},
					}}}})
				if err != nil {
					t.Fatal(err)
				}
				return pb
			}
			pub, priv := playbook(true), playbook(false)
			run := func(name string, pb bot.Playbook, owner bot.Actor) bot.Run {
				r, err := e.svc.CreateRun(ctx, owner, bot.NewRun{Name: name, PlaybookID: pb.ID, OwnerUserID: owner.UserID})
				if err != nil {
					t.Fatal(err)
				}
				// The run's items get their due dates, whether or not the
				// playbook's are copied to the run.
				if _, err := e.db.UpdateRun(ctx, r.ID, func(r *bot.Run) (bot.RunChange, error) {
					for j := range r.Checklists[0].Items {
						r.Checklists[0].Items[j].DueDate = due[r.Checklists[0].Items[j].Title]
					}
					return bot.RunChange{}, nil
				}); err != nil {
					t.Fatal(err)
				}
				return r
			}
			assign := func(r bot.Run, item int, to *model.User) {
				if _, _, err := e.svc.SetItemAssignee(ctx, alice, r.ID, 0, item, to.Id); err != nil {
					t.Fatal(err)
				}
			}
			db, cache, secret := run("Database down", pub, alice), run("Cache down", pub, alice), run("Secret down", priv, alice)
			assign(db, 0, e.erin)     // no due date: last
			assign(db, 2, e.erin)     // due tomorrow: second
			assign(cache, 1, e.erin)  // overdue: first
			assign(cache, 3, e.erin)  // closed below: absent
			assign(db, 1, e.bob)      // bob's: absent
			assign(secret, 1, e.erin) // adds erin to the private channel, which she then leaves: absent
			e.mm.RemoveChannelMember(secret.ChannelID, e.erin.Id)
			if _, err := e.svc.SetItemState(ctx, alice, cache.ID, 0, 3, bot.ItemClosed); err != nil {
				t.Fatal(err)
			}
			late, onTime := run("Late update", pub, erin), run("Timely update", pub, erin)
			if _, err := e.svc.UpdateStatus(ctx, erin, late.ID, "looking", 600); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(20 * time.Minute) // late's reminder is due; onTime's is not
			if _, err := e.svc.UpdateStatus(ctx, erin, onTime.ID, "looking", 3600); err != nil {
				t.Fatal(err)
			}
			before := len(e.mm.Posts(e.townSquare.Id))

			resp := e.slash(t, e.erin, e.townSquare.Id, "todo")
			if resp.ResponseType != model.CommandResponseTypeEphemeral {
				t.Errorf("todo was answered as %q, want ephemeral", resp.ResponseType)
			}
			if after := len(e.mm.Posts(e.townSquare.Id)); after != before {
				t.Errorf("the channel got %d posts, want none: the list is for its caller alone", after-before)
			}
			text := resp.Text
			link := func(r bot.Run) string {
				return `\[` + regexp.QuoteMeta(r.Name) + `\]\(https://playbooks\.example\.com/runs/` + r.ID + `\?sig=[^)]+\)`
			}
			channel := func(r bot.Run) string {
				ch, err := e.client.ChannelStats(ctx, r.ChannelID)
				if err != nil {
					t.Fatal(err)
				}
				return "in ~" + regexp.QuoteMeta(ch.ChannelName)
			}
			want := regexp.MustCompile(`(?s)\*\*Items assigned to you\*\* \(3\)\n` +
				`- \*\*Overdue\*\*: \*\*overdue\*\*, was due 2025-02-28 12:00 UTC · ` + link(cache) + " " + channel(cache) + `, checklist \*\*Triage\*\* \(` + "`0 1`" + `\)\n` +
				`- \*\*Tomorrow\*\*: due 2025-03-02 12:00 UTC · ` + link(db) + " " + channel(db) + `.*\n` +
				`- \*\*Ask around\*\*: no due date · ` + link(db) + ".*\n\n" +
				`\*\*Your runs waiting for a status update\*\* \(1\)\n` +
				`- ` + link(late) + " " + channel(late) + `: due since 2025-03-01 12:10 UTC`)
			if !want.MatchString(text) {
				t.Errorf("erin's todo:\n%s\nwant it to match %s", text, want)
			}
			for _, absent := range []string{"Secret down", "Closed", "Timely update", secret.ID} {
				if strings.Contains(text, absent) {
					t.Errorf("erin's todo shows %q:\n%s", absent, text)
				}
			}

			resp = e.slash(t, e.dave, e.townSquare.Id, "todo")
			for _, want := range []string{"No open items are assigned to you", "None of your runs is waiting for a status update."} {
				if !strings.Contains(resp.Text, want) || resp.ResponseType != model.CommandResponseTypeEphemeral {
					t.Errorf("dave's todo (%s):\n%s\nwant it to say %q", resp.ResponseType, resp.Text, want)
				}
			}
		})
	}
}
