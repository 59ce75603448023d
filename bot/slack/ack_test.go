package slack_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// slowEnv is an env whose store is a Postgres behind a latency proxy.
func slowEnv(t *testing.T) (*env, *storetest.Latency) {
	t.Helper()
	db, lat := storetest.OpenPostgresLatency(t)
	e := newEnvOn(t, db)
	return e, lat
}

// said reports whether the bot showed user a text containing s.
func (e *env) said(user, s string) bool {
	for _, x := range e.sl.Said() {
		if (x.User == user || x.User == "") && strings.Contains(x.Text, s) {
			return true
		}
	}
	return false
}

// TestStartRunAcknowledgedInTime: a run started from the modal by a user
// with 10 invitees, while every Web API call takes 250 ms and every
// database round trip 1 s, is acknowledged within Slack's 3 seconds (the
// double drops a later answer and fails the test), and the run is
// complete afterwards: its channel with everyone in it, its checklist
// message, and the user told.
func TestStartRunAcknowledgedInTime(t *testing.T) {
	e, lat := slowEnv(t)
	var invited []string
	for i := range 10 {
		invited = append(invited, e.sl.AddUser(fmt.Sprintf("responder%d", i)).ID)
	}
	pb, err := e.svc.CreatePlaybook(context.Background(), e.admin, bot.Playbook{
		Title: "Incident response", TeamID: e.sl.Team,
		Checklists:     []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page the on-call engineer"}}}},
		InvitedUserIDs: invited, InviteUsersEnabled: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.slash(t, e.alice, e.general.ID, "run")
	v := e.view(t, dialogs.StartRun)

	lat.SetDelay(time.Second)
	e.sl.DelayAll(250 * time.Millisecond)
	resp, err := e.sl.Submit(context.Background(), v, map[string]string{
		dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Slow everything",
	})
	if err != nil || resp.Status != 200 {
		t.Fatalf("submit: %v, status %d: %s", err, resp.Status, resp.Body)
	}
	t.Logf("acknowledged in %s: %s", resp.Elapsed, resp.Body)

	e.settle(t)
	lat.SetDelay(0)
	ch, ok := e.sl.ChannelByName("slow-everything")
	if !ok {
		t.Fatal("the run's channel was not created")
	}
	if !e.said(e.alice.ID, "Started the run") {
		t.Error("alice was not told that the run started")
	}
	for _, id := range append(invited, e.alice.ID) {
		if !slices.Contains(ch.Members, id) {
			t.Errorf("%s is not in the run's channel; members: %v", id, ch.Members)
		}
	}
	r := e.run(t, ch.ID)
	if m, ok := e.sl.Message(ch.ID, r.ChecklistPostID); !ok || !strings.Contains(string(m.Blocks), "Page the on-call engineer") {
		t.Errorf("checklist message %q: %+v, found %v", r.ChecklistPostID, m, ok)
	}
	if got, _ := e.sl.View(v.ID); got.Open && !strings.Contains(string(got.Raw), "Started the run") {
		t.Errorf("the modal is still open and says nothing of the run: %s", got.Raw)
	}
}

// TestSlashCommandSlowDatabase: with a database taking 1 s per round trip,
// a slash command is still acknowledged within Slack's 3 seconds (the
// replay check does not hold the answer back), and its result reaches the
// user through the command's response_url.
func TestSlashCommandSlowDatabase(t *testing.T) {
	e, lat := slowEnv(t)
	lat.SetDelay(time.Second)
	resp, err := e.sl.SlashCommand(context.Background(), slacktest.Slash{UserID: e.alice.ID, ChannelID: e.general.ID, Text: "help"})
	if err != nil || resp.Status != 200 {
		t.Fatalf("/playbook help: %v, status %d: %s", err, resp.Status, resp.Body)
	}
	t.Logf("acknowledged in %s: %s", resp.Elapsed, resp.Body)
	e.settle(t)
	if !strings.Contains(string(resp.Body), "/playbook run") && !slices.ContainsFunc(e.sl.Replies(), func(r slacktest.Reply) bool {
		return strings.Contains(r.Text, "/playbook run")
	}) {
		t.Errorf("the help never reached the user: answered %s, replies %+v", resp.Body, e.sl.Replies())
	}
}

// TestLateErrorsShowTheFormAgain: a submission acknowledged before its work
// ended, whose work then fails, turns the modal back into the form as the
// user filled it in, with what went wrong above it; submitted again, it
// starts the run.
func TestLateErrorsShowTheFormAgain(t *testing.T) {
	e := newEnv(t, storetest.SQLite, func(c *slack.HandlerConfig) { c.AckAfter = 50 * time.Millisecond })
	pb := e.playbook(t)
	if _, err := e.client.CreateChannel(context.Background(), bot.NewChannel{DisplayName: "Earlier"}); err != nil {
		t.Fatal(err)
	}
	e.sl.SetLimit("conversations.create", slacktest.Limit{Calls: 1, Per: time.Hour})
	e.sl.Delay("conversations.create", 200*time.Millisecond)
	e.slash(t, e.alice, e.general.ID, "run")
	v := e.view(t, dialogs.StartRun)
	values := map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Limited", dialogs.StartRunDescription: "db is slow"}
	resp, err := e.sl.Submit(context.Background(), v, values)
	if err != nil || !strings.Contains(string(resp.Body), "Starting the run") {
		t.Fatalf("submit: %v, status %d: %s; want the modal to say the run is starting", err, resp.Status, resp.Body)
	}
	e.settle(t)
	again, _ := e.sl.View(v.ID)
	for _, want := range []string{"Not done:", "Slack is limiting", `"initial_value":"Limited"`, `"initial_value":"db is slow"`, `"submit"`} {
		if !strings.Contains(string(again.Raw), want) {
			t.Errorf("the modal after the failure lacks %s: %s", want, again.Raw)
		}
	}
	if _, ok := e.sl.ChannelByName("limited"); ok {
		t.Fatal("a run channel was created")
	}

	e.sl.SetLimit("conversations.create", slacktest.Tier2)
	e.sl.Delay("conversations.create", 0)
	e.submit(t, again.OpenedView, values)
	if _, ok := e.sl.ChannelByName("limited"); !ok {
		t.Fatal("no run channel after the form was submitted again")
	}
}

// TestReplayFoundLate: a slash command replayed while the database is slow
// is acknowledged like any other (the replay check has not answered yet),
// then does nothing and says nothing: the item is added once and one
// result is posted.
func TestReplayFoundLate(t *testing.T) {
	db, lat := storetest.OpenPostgresLatency(t)
	e := newEnvOn(t, db, func(c *slack.HandlerConfig) { c.AckAfter = 50 * time.Millisecond })
	pb := e.playbook(t)
	e.slash(t, e.alice, e.general.ID, "run")
	e.submit(t, e.view(t, dialogs.StartRun), map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Replayed"})
	ch, _ := e.sl.ChannelByName("replayed")
	before := len(e.run(t, ch.ID).Checklists[0].Items)
	replies := len(e.sl.Replies())

	lat.SetDelay(200 * time.Millisecond)
	form := e.sl.SlashForm(slacktest.Slash{UserID: e.alice.ID, ChannelID: ch.ID, Text: "checkadd 0 Captured once"})
	body := form.Encode()
	h := slacktest.Sign(signingSecret, e.clock.Now(), body)
	for i := range 2 {
		resp, err := e.sl.Post(context.Background(), slack.CommandPath, h, body)
		if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), "Working on it") {
			t.Fatalf("request %d: %v, status %d: %s; want an acknowledgement", i, err, resp.Status, resp.Body)
		}
	}
	e.settle(t)
	lat.SetDelay(0)
	if got := e.run(t, ch.ID).Checklists[0].Items; len(got) != before+1 {
		t.Errorf("checklist 0 has %d items, want %d: added once", len(got), before+1)
	}
	if got := e.sl.Replies()[replies:]; len(got) != 1 {
		t.Errorf("response_url replies %+v, want one", got)
	}
}

// TestClickAnsweredBeforeItsWork: a click is answered as soon as it is
// read, not when its work ends. With AckAfter a minute and the database
// taking 5 s a round trip, Slack still has its 200 within 3 seconds (the
// double fails the test otherwise), and the item is checked once the work
// has ended.
func TestClickAnsweredBeforeItsWork(t *testing.T) {
	db, lat := storetest.OpenPostgresLatency(t)
	s := newEnvOn(t, db, func(c *slack.HandlerConfig) { c.AckAfter = time.Minute }).startRun(t, "Clicks")

	lat.SetDelay(5 * time.Second)
	resp, err := s.sl.Click(context.Background(), s.alice.ID, s.channel, s.run.ChecklistPostID, "item-0-0")
	lat.SetDelay(0)
	if err != nil || resp.Status != 200 || len(resp.Body) > 0 {
		t.Fatalf("click with a slow database: %v, status %d: %s; want an empty 200 within Slack's 3 seconds", err, resp.Status, resp.Body)
	}
	s.wantItem(t, s.channel, 0, 0, bot.ItemClosed)
}
