package bot_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// recordingMetrics is a bot.JobMetrics that remembers what it was told.
type recordingMetrics struct {
	mu       sync.Mutex
	webhooks map[bot.WebhookOutcome]int
	late     []time.Duration
}

func (m *recordingMetrics) WebhookDelivered(o bot.WebhookOutcome) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.webhooks[o]++
}

func (m *recordingMetrics) ReminderFired(late time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.late = append(m.late, late)
}

// TestDispatcherMetrics checks what the dispatcher reports through its
// JobMetrics hook: each webhook attempt by outcome (a delivery, retries
// then giving up, a permanent refusal, one never sent for want of a
// sender) and how late each reminder was posted.
func TestDispatcherMetrics(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	ok := newReceiver(t)
	okSrv := httptest.NewServer(ok)
	defer okSrv.Close()
	bad := newReceiver(t)
	bad.fail = 1000
	badSrv := httptest.NewServer(bad)
	defer badSrv.Close()
	delivered := webhookJob(t, okSrv.URL+"/hook", 0)
	always := webhookJob(t, badSrv.URL+"/hook", 1)
	refused := webhookJob(t, "ftp://example.com/hook", 2)
	reminder := reminderJob()
	reminder.DueAt = time.Now().UnixMilli()
	r := testRun(0)
	if err := db.CreateRun(ctx, r, nil, delivered, always, refused, reminder); err != nil {
		t.Fatal(err)
	}
	m := &recordingMetrics{webhooks: map[bot.WebhookOutcome]int{}}
	svc := bot.NewService(bot.Config{Store: db, Chat: newPostingChat()})
	stop := startDispatcher(t, bot.DispatcherConfig{Service: svc, Metrics: m,
		Sender: newSender(t, 5*time.Second), Poll: 5 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Millisecond }})
	waitNotPending(t, db.Jobs, r.ID)
	stop()

	// A dispatcher without a sender does not send a webhook, and says so.
	unsent := webhookJob(t, okSrv.URL+"/hook", 3)
	r2 := testRun(1)
	if err := db.CreateRun(ctx, r2, nil, unsent); err != nil {
		t.Fatal(err)
	}
	stop = startDispatcher(t, bot.DispatcherConfig{Service: svc, Metrics: m, Poll: 5 * time.Millisecond})
	waitNotPending(t, db.Jobs, r2.ID)
	stop()

	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[bot.WebhookOutcome]int{
		bot.WebhookDelivered: 1,
		bot.WebhookRetried:   bot.MaxWebhookAttempts - 1,
		bot.WebhookGaveUp:    1,
		bot.WebhookFailed:    1,
		bot.WebhookNotSent:   1,
	}
	if diff := cmp.Diff(want, m.webhooks); diff != "" {
		t.Errorf("webhook outcomes (-want +got):\n%s", diff)
	}
	if len(m.late) != 1 || m.late[0] < 0 {
		t.Errorf("reminder lateness %v, want one non-negative observation", m.late)
	}
}

// waitNotPending waits (a minute at most) until no job of the run is
// pending.
func waitNotPending(t *testing.T, jobs func(context.Context, string) ([]bot.Job, error), runID string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		js, err := jobs(context.Background(), runID)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, j := range js {
			if j.State == bot.JobPending {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs still pending after a minute: %+v", js)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
