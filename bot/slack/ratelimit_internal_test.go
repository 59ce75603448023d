package slack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// A Web API call Slack refuses with 429 fails with EUnavailable and Slack's
// Retry-After, so that whoever retries it waits as long as Slack asked.
func TestRateLimitIsRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
	}))
	defer srv.Close()
	signer, err := dialogs.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{BotToken: "xoxb-x", APIURL: srv.URL + "/api/", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Post(context.Background(), "C0000000001", "hello")
	if got := bot.ErrorCode(err); got != bot.EUnavailable {
		t.Errorf("code = %q, want %q (error: %v)", got, bot.EUnavailable, err)
	}
	if got := bot.RetryAfter(err); got != 30*time.Second {
		t.Errorf("RetryAfter = %v, want 30s (error: %v)", got, err)
	}
}

// A call refused with 429 is retried after Retry-After only when the
// caller's deadline leaves room for the wait: never without a deadline
// (above), never past it, and then once the wait is over.
func TestRateLimitRetriedWithinDeadline(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
			return
		}
		w.Write([]byte(`{"ok":true,"channel":"C0000000001","ts":"1.000001"}`))
	}))
	defer srv.Close()
	signer, err := dialogs.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{BotToken: "xoxb-x", APIURL: srv.URL + "/api/", Signer: signer})
	if err != nil {
		t.Fatal(err)
	}

	short, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := c.Post(short, "C0000000001", "hello"); bot.ErrorCode(err) != bot.EUnavailable || calls.Load() != 1 {
		t.Errorf("deadline too close: %v after %d calls; want EUnavailable after one", err, calls.Load())
	}

	calls.Store(0)
	roomy, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if _, err := c.Post(roomy, "C0000000001", "hello"); err != nil || calls.Load() != 2 {
		t.Errorf("deadline with room: %v after %d calls; want success on the second", err, calls.Load())
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %s, sooner than Retry-After", d)
	}
}
