package bot_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// eventTypes lists the types of a run's timeline events, oldest first.
func eventTypes(t *testing.T, svc *bot.Service, a bot.Actor, runID string) []string {
	t.Helper()
	r, err := svc.Run(context.Background(), a, runID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range r.TimelineEvents {
		types = append(types, e.EventType)
	}
	return types
}

// TestRunJobs checks the jobs a run's changes enqueue in their transaction:
// the creation and status-update webhooks with the spec's payload, and a
// reminder that each status update replaces and the end of the run cancels.
func TestRunJobs(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, kind)
			svc := bot.NewService(bot.Config{Store: db, Chat: newPostingChat(), PublicURL: "https://pb.example.com/",
				ChannelURL: func(r bot.Run) string { return "https://chat.example.com/channels/" + r.ChannelID }})
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{},
				WebhookOnCreationEnabled: true, WebhookOnCreationURL: "https://hooks.example.com/created",
				WebhookOnStatusUpdateEnabled: true, WebhookOnStatusUpdateURL: "https://hooks.example.com/status"})
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "Outage", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			// Later edits of the playbook do not change the run's webhook.
			pb.WebhookOnStatusUpdateURL = "https://hooks.example.com/elsewhere"
			if _, err := svc.UpdatePlaybook(ctx, admin, pb.ID, pb); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UpdateStatus(ctx, admin, r.ID, "first", 600); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UpdateStatus(ctx, admin, r.ID, "second", 300); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.EndRun(ctx, admin, r.ID); err != nil {
				t.Fatal(err)
			}
			jobs, err := db.Jobs(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range jobs {
				var p bot.WebhookJob
				if j.Kind == bot.JobWebhook {
					if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
						t.Fatal(err)
					}
					var body bot.WebhookPayload
					if err := json.Unmarshal([]byte(p.Body), &body); err != nil {
						t.Fatal(err)
					}
					if body.ID != r.ID || body.DetailsURL != "https://pb.example.com/runs/"+r.ID ||
						body.ChannelURL != "https://chat.example.com/channels/"+r.ChannelID {
						t.Errorf("webhook body = %s", p.Body)
					}
				}
				got = append(got, j.Kind+" "+j.State+" "+strings.TrimPrefix(p.URL, "https://hooks.example.com/"))
			}
			slices.Sort(got)
			want := []string{
				// Each status update's post in the run's channel, made
				// after its commit.
				"post_message done ", "post_message done ",
				"reminder cancelled ", "reminder cancelled ",
				"webhook pending created", "webhook pending status", "webhook pending status",
			}
			if !slices.Equal(got, want) {
				t.Errorf("jobs = %q, want %q", got, want)
			}
			ended, err := svc.Run(ctx, admin, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			evs := ended.TimelineEvents
			finished, cancelled := evs[len(evs)-2], evs[len(evs)-1]
			if finished.EventType != bot.EventRunFinished || cancelled.EventType != bot.EventReminderCanceled ||
				!strings.Contains(cancelled.Details, "reminder") {
				t.Errorf("last events = %+v, %+v; want run_finished, then the reminder's cancellation", finished, cancelled)
			}
		})
	}
}

// TestReminderTiming runs a dispatcher over reminders of a second: one
// fires (how late is logged, not asserted: the machine may be loaded);
// none fires after a newer update reset it without a reminder, nor after
// its run ended, and their jobs are cancelled.
func TestReminderTiming(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	chat := newPostingChat()
	svc := bot.NewService(bot.Config{Store: db, Chat: chat})
	admin := bot.Actor{UserID: bot.NewID(), Admin: true}
	pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{}})
	if err != nil {
		t.Fatal(err)
	}
	var runs []bot.Run
	for _, name := range []string{"fires", "reset", "ended"} {
		r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: name, PlaybookID: pb.ID})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	startDispatcher(t, bot.DispatcherConfig{Service: svc, Poll: 50 * time.Millisecond})
	for _, r := range runs {
		if _, err := svc.UpdateStatus(ctx, admin, r.ID, "looking", 1); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Now().Add(time.Second)
	if _, err := svc.UpdateStatus(ctx, admin, runs[1].ID, "fixed", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EndRun(ctx, admin, runs[2].ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reminder fires", func() bool {
		msgs, _ := chat.reminders(runs[0].ChannelID)
		return len(msgs) > 0
	})
	msgs, at := chat.reminders(runs[0].ChannelID)
	t.Logf("reminder fired %v after its due time", at[0].Sub(due))
	if len(msgs) != 1 || !strings.Contains(msgs[0], "fires") {
		t.Errorf("reminders = %q, want one naming the run", msgs)
	}
	for _, r := range runs[1:] {
		for _, j := range jobsByID(t, db, r.ID) {
			if j.Kind == bot.JobReminder && j.State != bot.JobCancelled {
				t.Errorf("run %s has reminder %s %s, want every reminder cancelled", r.Name, j.ID, j.State)
			}
		}
		if msgs, _ := chat.reminders(r.ChannelID); len(msgs) != 0 {
			t.Errorf("run %s got reminders %q, want none", r.Name, msgs)
		}
	}
	eventually(t, "the reminder recorded", func() bool {
		types := eventTypes(t, svc, admin, runs[0].ID)
		return types[len(types)-1] == bot.EventReminderSent
	})
}

// TestSendReminderStale: a reminder older than the run's latest status
// update, or of an ended run, is dropped without a post.
func TestSendReminderStale(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	chat := newPostingChat()
	svc := bot.NewService(bot.Config{Store: db, Chat: chat})
	r := testRun(0)
	r.LastStatusUpdateAt = 5000
	if err := db.CreateRun(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		want    int
	}{
		{"older than the latest update", `{"after":4000}`, 0},
		{"set by the latest update", `{"after":5000}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := chat.reminders(r.ChannelID)
			if err := svc.SendReminder(ctx, bot.Job{ID: bot.NewID(), Kind: bot.JobReminder, RunID: r.ID, Payload: tt.payload}); err != nil {
				t.Fatal(err)
			}
			after, _ := chat.reminders(r.ChannelID)
			if got := len(after) - len(before); got != tt.want {
				t.Errorf("posted %d reminders, want %d", got, tt.want)
			}
		})
	}
	admin := bot.Actor{UserID: bot.NewID(), Admin: true}
	if _, err := svc.EndRun(ctx, admin, r.ID); err != nil {
		t.Fatal(err)
	}
	before, _ := chat.reminders(r.ChannelID)
	if err := svc.SendReminder(ctx, bot.Job{ID: bot.NewID(), Kind: bot.JobReminder, RunID: r.ID, Payload: `{"after":5000}`}); err != nil {
		t.Fatal(err)
	}
	if after, _ := chat.reminders(r.ChannelID); len(after) != len(before) {
		t.Errorf("an ended run got a reminder: %q", after[len(before):])
	}
	if err := svc.SendReminder(ctx, bot.Job{ID: bot.NewID(), Kind: bot.JobReminder, RunID: r.ID, Payload: `nope`}); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("bad payload: error %v, want EInvalid", err)
	}
}

// TestSnoozeReminder checks that snoozing replaces the pending reminder by
// one due later, is a timeline event, still fires, and refuses bad delays
// and ended runs.
func TestSnoozeReminder(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			chat := newPostingChat()
			svc := bot.NewService(bot.Config{Store: db, Chat: chat})
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{}})
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "snoozy", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UpdateStatus(ctx, admin, r.ID, "looking", 600); err != nil {
				t.Fatal(err)
			}
			before := time.Now()
			if _, err := svc.SnoozeReminder(ctx, admin, r.ID, time.Hour); err != nil {
				t.Fatal(err)
			}
			jobs, err := db.Jobs(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			var pending []bot.Job
			for _, j := range jobs {
				if j.Kind == bot.JobReminder && j.State == bot.JobPending {
					pending = append(pending, j)
				}
			}
			if len(pending) != 1 {
				t.Fatalf("%d pending reminders after a snooze, want 1", len(pending))
			}
			if due := time.UnixMilli(pending[0].DueAt); due.Before(before.Add(59*time.Minute)) || due.After(time.Now().Add(61*time.Minute)) {
				t.Errorf("snoozed reminder due at %s, want about an hour from now", due)
			}
			if types := eventTypes(t, svc, admin, r.ID); types[len(types)-1] != bot.EventReminderSnoozed {
				t.Errorf("timeline = %v, want it to end with %s", types, bot.EventReminderSnoozed)
			}
			// The snoozed reminder is not stale: when it comes due, it is sent.
			if err := svc.SendReminder(ctx, pending[0]); err != nil {
				t.Fatal(err)
			}
			if types := eventTypes(t, svc, admin, r.ID); types[len(types)-1] != bot.EventReminderSent {
				t.Errorf("after the snoozed reminder fired, timeline = %v, want %s last", types, bot.EventReminderSent)
			}

			for _, d := range []time.Duration{0, 30 * time.Second, 25 * time.Hour} {
				if _, err := svc.SnoozeReminder(ctx, admin, r.ID, d); bot.ErrorCode(err) != bot.EInvalid {
					t.Errorf("snooze %s: error %v, want EInvalid", d, err)
				}
			}
			if _, err := svc.EndRun(ctx, admin, r.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.SnoozeReminder(ctx, admin, r.ID, time.Hour); bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("snooze on an ended run: error %v, want EInvalid", err)
			}
		})
	}
}
