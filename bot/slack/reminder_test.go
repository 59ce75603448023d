package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// reminderActions is the block ID of a reminder's controls.
const reminderActions = "reminder-actions"

// TestReminder sends a status update reminder through the reminder job's
// handler and uses its controls the way Slack does: a forged control is
// refused, Snooze reschedules the reminder and rewrites the message without
// its controls, Update status opens the status update modal whose
// submission posts the update, and a snooze of an ended run is explained
// to the user.
func TestReminder(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			reminder(t, e)
			scopes := slack.MethodScopes()
			for _, m := range e.sl.Calls() {
				if _, ok := scopes[m]; !ok {
					t.Errorf("the client called %s, which is not in the scope table", m)
				}
			}
		})
	}
}

func reminder(t *testing.T, e *env) {
	ctx := context.Background()
	pb := e.playbook(t)
	e.slash(t, e.alice, e.general.ID, "run")
	e.submit(t, e.view(t, dialogs.StartRun), map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Payment latency"})
	ch, ok := e.sl.ChannelByName("payment-latency")
	if !ok {
		t.Fatal("no run channel payment-latency")
	}
	r := e.run(t, ch.ID)
	ids := []string{pb.ID, "<playbook>", r.ID, "<run>", ch.ID, "<run-channel>"}

	// The reminder job's handler posts the reminder with its controls.
	ts := e.sendReminder(t, r)
	msg, _ := e.sl.Message(ch.ID, ts)
	// Bob is mentioned as Slack notifies him: a plain @bob notifies nobody.
	if !strings.Contains(msg.Text, "<@"+e.bob.ID+">, it is time for a status update on Payment latency") {
		t.Errorf("reminder text %q, want it to mention <@%s>", msg.Text, e.bob.ID)
	}
	e.messageGolden(t, "reminder", msg, ids...)
	for _, v := range optionValues(t, msg) {
		if len(v) > slacktest.MaxOptionValue {
			t.Errorf("a Snooze option's value has %d characters; Slack allows %d", len(v), slacktest.MaxOptionValue)
		}
	}
	if e.events(t, ch.ID, bot.EventReminderSent) != 1 {
		t.Errorf("the timeline has no %s event", bot.EventReminderSent)
	}

	// Forged controls are refused and change nothing: a snooze signed with
	// another key, a delay the reminder does not offer, and the genuine
	// snooze token sent as the Update status button's value.
	jobsBefore := e.jobs(t, r.ID)
	p, err := e.sl.ActionPayload(e.alice.ID, ch.ID, ts, reminderActions, slack.SnoozeActionID, "1 hour")
	if err != nil {
		t.Fatal(err)
	}
	other, err := dialogs.NewSigner(bytes.Repeat([]byte("x"), 32), e.tokens.Now)
	if err != nil {
		t.Fatal(err)
	}
	act := p["actions"].([]any)[0].(map[string]any)
	genuine, _ := strings.CutPrefix(act["block_id"].(string), reminderActions+".")
	act["block_id"] = reminderActions + "." + other.Sign("*", "z "+r.ID+" 0", time.Hour)
	e.wantRefused(t, p)
	p, _ = e.sl.ActionPayload(e.alice.ID, ch.ID, ts, reminderActions, slack.SnoozeActionID, "1 hour")
	p["actions"].([]any)[0].(map[string]any)["selected_option"].(map[string]any)["value"] = "86400"
	e.wantRefused(t, p)
	p, err = e.sl.ActionPayload(e.alice.ID, ch.ID, ts, reminderActions, slack.UpdateStatusActionID, "")
	if err != nil {
		t.Fatal(err)
	}
	p["actions"].([]any)[0].(map[string]any)["value"] = genuine
	e.wantRefused(t, p)
	if got := e.jobs(t, r.ID); len(got) != len(jobsBefore) {
		t.Errorf("forged controls changed the jobs: %d, want %d", len(got), len(jobsBefore))
	}
	if n := e.events(t, ch.ID, bot.EventReminderSnoozed); n != 0 {
		t.Errorf("forged controls snoozed the reminder: %d %s events", n, bot.EventReminderSnoozed)
	}
	if m, _ := e.sl.Message(ch.ID, ts); m.Versions != 1 {
		t.Errorf("forged controls rewrote the reminder: %d versions", m.Versions)
	}
	if n := len(e.sl.Views()); n != 1 { // the start-run modal
		t.Errorf("forged controls opened a modal: %d modals opened, want 1", n)
	}

	// Snooze 1h: one pending reminder, due in an hour; a timeline event;
	// the reminder rewritten without its controls.
	before := time.Now()
	e.act(t, e.alice, ch.ID, ts, slack.SnoozeActionID, "1 hour")
	after := time.Now()
	pending := e.pendingReminders(t, r.ID)
	if len(pending) != 1 {
		t.Fatalf("after snooze: %d pending reminders, want 1", len(pending))
	}
	if due := time.UnixMilli(pending[0].DueAt); due.Before(before.Add(time.Hour).Add(-time.Second)) || due.After(after.Add(time.Hour).Add(time.Second)) {
		t.Errorf("snoozed reminder due at %s, want an hour after %s", due, before)
	}
	if n := e.events(t, ch.ID, bot.EventReminderSnoozed); n != 1 {
		t.Errorf("after snooze: %d %s events, want 1", n, bot.EventReminderSnoozed)
	}
	m, _ := e.sl.Message(ch.ID, ts)
	if m.Versions != 2 || !strings.Contains(m.Text, "— snoozed for 1h by <@"+e.alice.ID+">") ||
		!strings.HasPrefix(m.Text, msg.Text) {
		t.Errorf("snoozed reminder: %d versions, text %q", m.Versions, m.Text)
	}
	if bytes.Contains(m.Blocks, []byte(`"actions"`)) || bytes.Contains(m.Blocks, []byte(`"action_id"`)) {
		t.Errorf("the snoozed reminder still has controls: %s", m.Blocks)
	}
	e.messageGolden(t, "reminder_snoozed", m, ids...)

	// Update status opens the status update modal for the clicking user;
	// its submission posts the update and replaces the snoozed reminder.
	ts = e.sendReminder(t, r)
	e.act(t, e.bob, ch.ID, ts, slack.UpdateStatusActionID, "")
	v := e.view(t, dialogs.StatusUpdate)
	if v.UserID != e.bob.ID {
		t.Errorf("status update modal opened for %s, want bob", v.UserID)
	}
	before = time.Now()
	e.submit(t, v, map[string]string{dialogs.StatusMessage: "Latency is back to normal.", dialogs.StatusReminder: "900"})
	e.wantMessage(t, ch.ID, "Latency is back to normal.")
	e.wantMessage(t, e.broadcast.ID, "Latency is back to normal.")
	pending = e.pendingReminders(t, r.ID)
	if len(pending) != 1 || time.UnixMilli(pending[0].DueAt).After(before.Add(16*time.Minute)) {
		t.Errorf("after the status update: pending reminders %+v, want one due in 15 minutes", pending)
	}

	// Snoozing the reminder of an ended run is explained to the user.
	if _, err := e.svc.EndRun(ctx, e.admin, r.ID); err != nil {
		t.Fatal(err)
	}
	e.act(t, e.alice, ch.ID, ts, slack.SnoozeActionID, "15 minutes")
	e.wantEphemeral(t, e.alice.ID, "has ended")
	if m, _ := e.sl.Message(ch.ID, ts); !bytes.Contains(m.Blocks, []byte(slack.SnoozeActionID)) {
		t.Errorf("a refused snooze rewrote the reminder: %s", m.Blocks)
	}
}

// sendReminder runs the reminder job of run r, due now, and returns the
// reminder message's ts: the newest message of the run's channel, which
// must carry the reminder's controls.
func (e *env) sendReminder(t *testing.T, r bot.Run) string {
	t.Helper()
	p, _ := json.Marshal(bot.ReminderJob{After: e.run(t, r.ChannelID).LastStatusUpdateAt})
	now := time.Now().UnixMilli()
	j := bot.Job{ID: bot.NewID(), Kind: bot.JobReminder, RunID: r.ID, DueAt: now, Payload: string(p), CreateAt: now, State: bot.JobPending}
	if err := e.svc.SendReminder(context.Background(), j); err != nil {
		t.Fatalf("send reminder: %v", err)
	}
	ms := e.sl.Messages(r.ChannelID)
	m := ms[len(ms)-1]
	for _, id := range []string{slack.UpdateStatusActionID, slack.SnoozeActionID} {
		if !bytes.Contains(m.Blocks, []byte(`"action_id":"`+id+`"`)) {
			t.Fatalf("the newest message has no %s control: %s %s", id, m.Text, m.Blocks)
		}
	}
	return m.TS
}

// act uses a reminder's control as user; the answer must be 200 with an
// empty body.
func (e *env) act(t *testing.T, user slacktest.User, channel, ts, actionID, choice string) {
	t.Helper()
	resp, err := e.sl.Act(context.Background(), user.ID, channel, ts, reminderActions, actionID, choice)
	if err != nil || resp.Status != 200 || len(resp.Body) > 0 {
		t.Fatalf("%s %q: %v, status %d: %s", actionID, choice, err, resp.Status, resp.Body)
	}
	e.settle(t) // answered before its work is done
}

// wantRefused sends a forged control's payload: the user is told it is not
// valid (in a 200: Slack shows nothing of other answers).
func (e *env) wantRefused(t *testing.T, p map[string]any) {
	t.Helper()
	before := len(e.sl.Ephemerals())
	resp, err := e.sl.SendPayload(context.Background(), "/slack/interactivity", p)
	if err != nil || resp.Status != 200 {
		t.Errorf("forged control: %v, status %d: %s; want 200", err, resp.Status, resp.Body)
	}
	e.settle(t)
	if got := e.sl.Ephemerals()[before:]; len(got) != 1 || !strings.Contains(got[0].Text, "not valid") {
		t.Errorf("forged control: the user was shown %+v, want one message saying it is not valid", got)
	}
}

// jobs returns the jobs of a run.
func (e *env) jobs(t *testing.T, runID string) []bot.Job {
	t.Helper()
	js, err := e.db.Jobs(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// pendingReminders returns the pending reminder jobs of a run.
func (e *env) pendingReminders(t *testing.T, runID string) []bot.Job {
	t.Helper()
	var out []bot.Job
	for _, j := range e.jobs(t, runID) {
		if j.Kind == bot.JobReminder && j.State == bot.JobPending {
			out = append(out, j)
		}
	}
	return out
}

// events counts the events of type typ of the run of a channel.
func (e *env) events(t *testing.T, channelID, typ string) int {
	t.Helper()
	n := 0
	for _, ev := range e.run(t, channelID).TimelineEvents {
		if ev.EventType == typ {
			n++
		}
	}
	return n
}

// optionValues returns the values of the options of a message's selects.
func optionValues(t *testing.T, m slacktest.Message) []string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			Options []struct {
				Value string `json:"value"`
			} `json:"options"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range blocks {
		for _, el := range b.Elements {
			for _, o := range el.Options {
				out = append(out, o.Value)
			}
		}
	}
	if len(out) != len(bot.SnoozeOptions) {
		t.Errorf("the reminder offers %d Snooze options, want %d", len(out), len(bot.SnoozeOptions))
	}
	return out
}
