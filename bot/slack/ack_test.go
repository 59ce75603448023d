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
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// eventually waits until cond holds, polling, for at most d; it fails t
// with what otherwise.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

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

	var ch slacktest.Channel
	eventually(t, 2*time.Minute, "the run was not started, or its checklist not posted", func() bool {
		var ok bool
		ch, ok = e.sl.ChannelByName("slow-everything")
		return ok && len(e.sl.Messages(ch.ID)) > 0
	})
	eventually(t, 2*time.Minute, "alice was not told that the run started", func() bool {
		return e.said(e.alice.ID, "Started the run")
	})
	lat.SetDelay(0)
	for _, id := range append(invited, e.alice.ID) {
		if !slices.Contains(ch.Members, id) {
			t.Errorf("%s is not in the run's channel; members: %v", id, ch.Members)
		}
	}
	r := e.run(t, ch.ID)
	if m, ok := e.sl.Message(ch.ID, r.ChecklistPostID); !ok || !strings.Contains(string(m.Blocks), "Page the on-call engineer") {
		t.Errorf("checklist message %q: %+v, found %v", r.ChecklistPostID, m, ok)
	}
	if got, _ := e.sl.View(v.ID); got.Open && !e.said(e.alice.ID, "Started the run") {
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
	eventually(t, time.Minute, "the help never reached the user", func() bool {
		return strings.Contains(string(resp.Body), "/playbook run") || slices.ContainsFunc(e.sl.Replies(), func(r slacktest.Reply) bool {
			return strings.Contains(r.Text, "/playbook run")
		})
	})
}

var _ = commands.HandlerBase{}
var _ = slack.Platform
