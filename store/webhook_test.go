package store_test

import (
	"context"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// TestWebhooksInUse checks what could send a webhook, on both databases:
// a playbook with a webhook enabled (not one with a URL but disabled, nor
// an archived one), a run with a status-update webhook, a pending webhook
// job (not a reminder, nor a webhook job done).
func TestWebhooksInUse(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		want := func(step string, inUse bool) {
			t.Helper()
			got, err := db.WebhooksInUse(ctx)
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if got != inUse {
				t.Errorf("%s: WebhooksInUse = %v, want %v", step, got, inUse)
			}
		}
		update := func(id string, fn func(p *bot.Playbook)) {
			t.Helper()
			if _, err := db.UpdatePlaybook(ctx, id, func(p *bot.Playbook) error { fn(p); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		want("empty database", false)

		p := testPlaybook("pb1", "team1", "Outage", 1, 1)
		p.WebhookOnCreationURL, p.WebhookOnStatusUpdateURL = "https://hooks.example.com/c", "https://hooks.example.com/s"
		if err := db.CreatePlaybook(ctx, p); err != nil {
			t.Fatal(err)
		}
		want("webhook URLs, disabled", false)
		update("pb1", func(p *bot.Playbook) { p.WebhookOnCreationEnabled = true })
		want("creation webhook enabled", true)
		update("pb1", func(p *bot.Playbook) { p.WebhookOnCreationEnabled, p.WebhookOnStatusUpdateEnabled = false, true })
		want("status-update webhook enabled", true)
		update("pb1", func(p *bot.Playbook) { p.WebhookOnStatusUpdateURL = "" })
		want("status-update webhook enabled without a URL", false)
		update("pb1", func(p *bot.Playbook) { p.WebhookOnCreationEnabled, p.DeleteAt = true, 5000 })
		want("archived playbook with a webhook", false)

		r := testRun("run1", "team1", "Outage", "u1")
		if err := db.CreateRun(ctx, r, nil, testJob("m1", bot.JobReminder, 100)); err != nil {
			t.Fatal(err)
		}
		want("a run without webhook, a reminder pending", false)
		r2 := testRun("run2", "team1", "Outage 2", "u1")
		r2.ChannelID, r2.PostID = "ch-run2", "post-run2"
		if err := db.CreateRun(ctx, r2, nil, testJob("w1", bot.JobWebhook, 100)); err != nil {
			t.Fatal(err)
		}
		want("a webhook job pending", true)
		if got := claimIDs(t, db, "a", 100, 1_000, 2); len(got) != 2 {
			t.Fatalf("claimed %v, want the reminder and the webhook", got)
		}
		if err := db.CompleteJob(ctx, "w1", "a", 200); err != nil {
			t.Fatal(err)
		}
		want("the webhook job done", false)

		r3 := testRun("run3", "team1", "Outage 3", "u1")
		r3.ChannelID, r3.PostID = "ch-run3", "post-run3"
		r3.WebhookOnStatusUpdateURL = "https://hooks.example.com/s"
		if err := db.CreateRun(ctx, r3, nil); err != nil {
			t.Fatal(err)
		}
		want("a run with a status-update webhook", true)
	})
}
