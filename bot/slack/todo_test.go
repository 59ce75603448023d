package slack_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestTodoCommand checks /playbook todo on Slack through a signed slash
// command: erin gets, ephemerally and nowhere else, in mrkdwn, her open
// items of two runs, the overdue one first and the one without a due date
// last, with their channels; not bob's item, nor her item of a private
// run whose channel she has left, nor a closed one; and the run she owns
// whose status update is overdue, not the one still on time. dave, with
// nothing to do, gets the friendly lines.
func TestTodoCommand(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, kind)
			team := e.sl.Team
			alice := bot.Actor{UserID: e.alice.ID, TeamIDs: []string{team}}
			erin := bot.Actor{UserID: e.erin.ID, TeamIDs: []string{team}}
			// The Service reads the wall clock here: the due dates are a day
			// away from it either way, and the overdue update 50 minutes late.
			now := time.Now().UnixMilli()
			day := int64(24 * time.Hour / time.Millisecond)
			due := map[string]int64{"Overdue": now - day, "Tomorrow": now + day, "Closed": now - 2*day}
			playbook := func(public bool) bot.Playbook {
				pb, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{Title: "Todo", TeamID: team, CreatePublicPlaybookRun: public,
					Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{
						{Title: "Ask around"}, {Title: "Overdue", DueDate: due["Overdue"]}, {Title: "Tomorrow", DueDate: due["Tomorrow"]}, {Title: "Closed", DueDate: due["Closed"]},
					}}}})
				if err != nil {
					t.Fatal(err)
				}
				return pb
			}
			pub, priv := playbook(true), playbook(false)
			// change changes a run as stored, past the use cases.
			change := func(id string, fn func(*bot.Run)) {
				if _, err := e.db.UpdateRun(ctx, id, func(r *bot.Run) (bot.RunChange, error) { fn(r); return bot.RunChange{}, nil }); err != nil {
					t.Fatal(err)
				}
			}
			run := func(name string, pb bot.Playbook, owner bot.Actor) bot.Run {
				r, err := e.svc.CreateRun(ctx, owner, bot.NewRun{Name: name, PlaybookID: pb.ID, OwnerUserID: owner.UserID, Platform: slack.Platform})
				if err != nil {
					t.Fatal(err)
				}
				// The run's items get their due dates, whether or not the
				// playbook's are copied to the run.
				change(r.ID, func(r *bot.Run) {
					for j, it := range r.Checklists[0].Items {
						r.Checklists[0].Items[j].DueDate = due[it.Title]
					}
				})
				return r
			}
			assign := func(r bot.Run, item int, to slacktest.User) {
				if _, _, err := e.svc.SetItemAssignee(ctx, alice, r.ID, 0, item, to.ID); err != nil {
					t.Fatal(err)
				}
			}
			db, cache, secret := run("Database down", pub, alice), run("Cache down", pub, alice), run("Secret down", priv, alice)
			assign(db, 0, e.erin)     // no due date: last
			assign(db, 2, e.erin)     // due tomorrow: second
			assign(cache, 1, e.erin)  // overdue: first
			assign(cache, 3, e.erin)  // closed below: absent
			assign(db, 1, e.bob)      // bob's: absent
			assign(secret, 1, e.erin) // invites erin to the private channel, which she then leaves: absent
			e.sl.RemoveMember(secret.ChannelID, e.erin.ID)
			e.clock.Advance(slack.MembershipTTL) // the bot asks Slack again
			if _, err := e.svc.SetItemState(ctx, alice, cache.ID, 0, 3, bot.ItemClosed); err != nil {
				t.Fatal(err)
			}
			late, onTime := run("Late update", pub, erin), run("Timely update", pub, erin)
			for _, r := range []bot.Run{late, onTime} {
				if _, err := e.svc.UpdateStatus(ctx, erin, r.ID, "looking", 3600); err != nil {
					t.Fatal(err)
				}
			}
			change(late.ID, func(r *bot.Run) { r.LastStatusUpdateAt -= int64(110 * time.Minute / time.Millisecond) })
			before := len(e.sl.Messages(e.general.ID))

			reply := e.slash(t, e.erin, e.general.ID, "todo")
			if reply.ResponseType == "in_channel" {
				t.Errorf("todo was answered %q, want ephemeral", reply.ResponseType)
			}
			if after := len(e.sl.Messages(e.general.ID)); after != before {
				t.Errorf("the channel got %d messages, want none: the list is for its caller alone", after-before)
			}
			minute := func(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC") }
			want := regexp.MustCompile(`(?s)\*Items assigned to you\* \(3\)\n` +
				`- \*Overdue\*: \*overdue\*, was due ` + minute(due["Overdue"]) + ` · \*Cache down\* in #cache-down, checklist \*Triage\* \(` + "`0 1`" + `\)\n` +
				`- \*Tomorrow\*: due ` + minute(due["Tomorrow"]) + ` · \*Database down\* in #database-down.*\n` +
				`- \*Ask around\*: no due date · \*Database down\*.*\n\n` +
				`\*Your runs waiting for a status update\* \(1\)\n` +
				`- \*Late update\* in #late-update: due since `)
			if !want.MatchString(reply.Text) {
				t.Errorf("erin's todo:\n%s\nwant it to match %s", reply.Text, want)
			}
			for _, absent := range []string{"Secret down", "Closed", "Timely update", secret.ID} {
				if strings.Contains(reply.Text, absent) {
					t.Errorf("erin's todo shows %q:\n%s", absent, reply.Text)
				}
			}

			reply = e.slash(t, e.dave, e.general.ID, "todo")
			for _, want := range []string{"No open items are assigned to you", "None of your runs is waiting for a status update."} {
				if !strings.Contains(reply.Text, want) || reply.ResponseType == "in_channel" {
					t.Errorf("dave's todo (%s):\n%s\nwant it to say %q", reply.ResponseType, reply.Text, want)
				}
			}
		})
	}
}
