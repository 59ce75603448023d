package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestReminder delivers a status update reminder and clicks its buttons
// the way Mattermost does: a snooze reschedules it and rewrites the post
// without buttons, "Update status" opens the status update dialog, and a
// forged click is refused.
func TestReminder(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) { reminder(t, newEnv(t, kind)) })
	}
}

func reminder(t *testing.T, e *env) {
	ctx := context.Background()
	pb := e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": "Checkout errors", "description": "5xx"})
	chans := e.mm.Channels(e.team.Id)
	ch := chans[len(chans)-1]
	r := e.run(t, ch.Id)
	ids := []string{pb.ID, "<playbook>", r.ID, "<run>", ch.Id, "<run-channel>"}

	// A status update with a reminder in 15 minutes.
	e.slash(t, e.bob, ch.Id, "update")
	e.submit(t, e.dialog(t, dialogs.StatusUpdate), map[string]any{dialogs.StatusMessage: "Looking into it.", dialogs.StatusReminder: "900"})
	r = e.run(t, ch.Id)
	if got := e.pendingReminders(t, r.ID); len(got) != 1 {
		t.Fatalf("pending reminders after the status update: %+v, want 1", got)
	}

	// The reminder comes due: a post with five buttons.
	post := e.sendReminder(t, r)
	if n := countButtons(post); n != 5 {
		t.Errorf("reminder post has %d buttons, want 5", n)
	}
	for _, id := range []string{"updatestatus", "snooze15m", "snooze30m", "snooze1h", "snooze4h"} {
		if a := post.GetAction(id); a == nil || a.Integration == nil || a.Integration.URL != e.botURL+mattermost.ActionsPath {
			t.Errorf("reminder post action %s: %+v", id, a)
		}
	}
	e.postGolden(t, "reminder_post", post.Id, ids...)
	original := post.Message

	// A forged click: refused with an explanation, nothing changes.
	versions := len(e.mm.PostHistory(post.Id))
	url, req, err := e.mm.ActionRequest(e.carol.Id, post.Id, "snooze1h")
	if err != nil {
		t.Fatal(err)
	}
	forger, err := dialogs.NewSigner(bytes.Repeat([]byte("x"), 32), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	req.Context = map[string]any{"token": forger.Sign("*", `{"r":"`+r.ID+`","a":"snooze","s":60}`, time.Hour)}
	forged, err := e.mm.SendAction(ctx, url, req)
	refusedClick(t, "forged snooze", forged, err)
	if got := e.pendingReminders(t, r.ID); len(got) != 1 || got[0].DueAt != r.LastStatusUpdateAt+900_000 {
		t.Errorf("pending reminders after a forged click: %+v, want the one due 15 minutes after the update", got)
	}
	if e.hasEvent(t, r.ID, bot.EventReminderSnoozed) {
		t.Error("a forged click snoozed the reminder")
	}
	if got := len(e.mm.PostHistory(post.Id)); got != versions {
		t.Errorf("a forged click rewrote the reminder post (%d versions, want %d)", got, versions)
	}

	// Snooze 1h: rescheduled, on the timeline, and the buttons are gone.
	before := time.Now()
	resp, err := e.mm.Click(ctx, e.carol.Id, post.Id, "snooze1h")
	if err != nil || resp.EphemeralText != "" || resp.Update == nil {
		t.Fatalf("click snooze1h: %+v, %v", resp, err)
	}
	got := e.pendingReminders(t, r.ID)
	if len(got) != 1 {
		t.Fatalf("pending reminders after the snooze: %+v, want 1", got)
	}
	if due := time.UnixMilli(got[0].DueAt); due.Before(before.Add(time.Hour-time.Second)) || due.After(time.Now().Add(time.Hour+time.Second)) {
		t.Errorf("snoozed reminder due at %v, want an hour after %v", due, before)
	}
	if !e.hasEvent(t, r.ID, bot.EventReminderSnoozed) {
		t.Error("the timeline has no reminder_snoozed event")
	}
	p, _ := e.mm.Post(post.Id)
	if want := original + " — snoozed for 1h by @carol"; p.Message != want {
		t.Errorf("snoozed reminder post: %q, want %q", p.Message, want)
	}
	if n := countButtons(p); n != 0 || len(p.Attachments()) != 0 {
		t.Errorf("snoozed reminder post still has %d buttons, attachments %v", n, p.Attachments())
	}
	// Mattermost applied the update as 10.12 does (mmtest keeps only
	// from_webhook and the override props of the old post): the post is
	// still the bot's reminder, with its BOT tag.
	if p.GetProp(model.PostPropsFromBot) != "true" || p.GetProp(mattermost.ReminderProp) != r.ID {
		t.Errorf("snoozed reminder post props %v, want from_bot true and %s %s", p.GetProps(), mattermost.ReminderProp, r.ID)
	}

	// The next reminder: "Update status" opens the status update dialog
	// for the clicking user, submitted as /playbook update's.
	post = e.sendReminder(t, e.run(t, ch.Id))
	resp, err = e.mm.Click(ctx, e.bob.Id, post.Id, "updatestatus")
	if err != nil || resp.EphemeralText != "" || resp.Update != nil {
		t.Fatalf("click updatestatus: %+v, %v", resp, err)
	}
	d := e.dialog(t, dialogs.StatusUpdate)
	if d.UserID != e.bob.Id || d.URL != e.botURL+mattermost.DialogPath {
		t.Errorf("status dialog for %s at %s, want bob at %s", d.UserID, d.URL, e.botURL+mattermost.DialogPath)
	}
	e.submit(t, d, map[string]any{dialogs.StatusMessage: "Fixed.", dialogs.StatusReminder: "0"})
	e.wantPost(t, ch.Id, "#### Status update: Checkout errors\nPosted by @bob\n> Fixed.")
	if r := e.run(t, ch.Id); len(r.StatusUpdates) != 2 {
		t.Errorf("status updates: %d, want 2", len(r.StatusUpdates))
	}
	if got := e.pendingReminders(t, r.ID); len(got) != 0 {
		t.Errorf("pending reminders after an update with no reminder: %+v", got)
	}

	// A snooze's answer on the wire: the post's new message, and its props
	// but the attachments.
	third := e.sendReminder(t, e.run(t, ch.Id))
	url, req, err = e.mm.ActionRequest(e.dave.Id, third.Id, "snooze15m")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(req)
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var answer map[string]map[string]any
	if err := json.Unmarshal(raw, &answer); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("snooze answer: %d %s (%v)", res.StatusCode, raw, err)
	}
	want := map[string]map[string]any{"update": {"message": third.Message + " — snoozed for 15m by @dave",
		"props": map[string]any{"from_bot": "true", mattermost.ReminderProp: r.ID}}}
	if diff := cmp.Diff(want, answer); diff != "" {
		t.Errorf("snooze answer (-want +got):\n%s", diff)
	}

	// Once the run has ended, a snooze is refused in an ephemeral message
	// and the post stays as it is.
	if _, err := e.svc.EndRun(ctx, e.admin, r.ID); err != nil {
		t.Fatal(err)
	}
	versions = len(e.mm.PostHistory(post.Id))
	resp, err = e.mm.Click(ctx, e.carol.Id, post.Id, "snooze15m")
	if err != nil || resp.EphemeralText == "" || resp.Update != nil {
		t.Fatalf("click snooze15m on an ended run: %+v, %v; want an ephemeral error", resp, err)
	}
	if n := e.countEvents(t, r.ID, bot.EventReminderSnoozed); n != 2 {
		t.Errorf("%d reminder_snoozed events, want 2", n)
	}
	if got := len(e.mm.PostHistory(post.Id)); got != versions {
		t.Errorf("a refused snooze rewrote the reminder post")
	}
}

// sendReminder delivers the reminder of run r's latest status update as
// the dispatcher does and returns the reminder post it made.
func (e *env) sendReminder(t *testing.T, r bot.Run) *model.Post {
	t.Helper()
	payload, err := json.Marshal(bot.ReminderJob{After: r.LastStatusUpdateAt})
	if err != nil {
		t.Fatal(err)
	}
	j := bot.Job{ID: bot.NewID(), Kind: bot.JobReminder, RunID: r.ID, Payload: string(payload)}
	if err := e.svc.SendReminder(context.Background(), j); err != nil {
		t.Fatalf("send reminder: %v", err)
	}
	posts := e.mm.Posts(r.ChannelID)
	for i := len(posts) - 1; i >= 0; i-- {
		if p := posts[i]; p.GetProp(mattermost.ReminderProp) == r.ID {
			if p.UserId != e.bot.Id {
				t.Errorf("reminder post by %s, want the bot", p.UserId)
			}
			return p
		}
	}
	t.Fatalf("no reminder post in channel %s", r.ChannelID)
	return nil
}

// pendingReminders returns the run's pending reminder jobs.
func (e *env) pendingReminders(t *testing.T, runID string) []bot.Job {
	t.Helper()
	jobs, err := e.db.Jobs(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	var out []bot.Job
	for _, j := range jobs {
		if j.Kind == bot.JobReminder && j.State == bot.JobPending {
			out = append(out, j)
		}
	}
	return out
}

// hasEvent reports whether the run's timeline has an event of type typ.
func (e *env) hasEvent(t *testing.T, runID, typ string) bool {
	t.Helper()
	return e.countEvents(t, runID, typ) > 0
}

// countEvents counts the events of type typ on the run's timeline.
func (e *env) countEvents(t *testing.T, runID, typ string) int {
	t.Helper()
	r, err := e.svc.Run(context.Background(), e.admin, runID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range r.TimelineEvents {
		if ev.EventType == typ {
			n++
		}
	}
	return n
}
