package bot

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	limited := RateLimitedf(30*time.Second, "Slack is rate-limiting the bot")
	tests := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"nil", nil, 0},
		{"plain error", errors.New("boom"), 0},
		{"an Error without one", Errorf(EUnavailable, "down"), 0},
		{"a rate limit", limited, 30 * time.Second},
		{"wrapped", fmt.Errorf("post: %w", limited), 30 * time.Second},
		{"beside a platform's error", fmt.Errorf("slack: %w (%w)", limited, errors.New("ratelimited")), 30 * time.Second},
		{"after an Error without one", fmt.Errorf("%w (%w)", Errorf(ENotFound, "x"), limited), 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RetryAfter(tt.err); got != tt.want {
				t.Errorf("RetryAfter(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if got := ErrorCode(limited); got != EUnavailable {
		t.Errorf("ErrorCode(rate limit) = %q, want %q", got, EUnavailable)
	}
}
