package slack

import (
	"context"
	"net/http"
	"net/http/httptest"
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
