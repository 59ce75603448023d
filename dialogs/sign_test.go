package dialogs

import (
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

func TestSigner(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	key := []byte(strings.Repeat("k", 32))
	s, err := NewSigner(key, clock)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewSigner([]byte(strings.Repeat("x", 32)), clock)
	alice, bob := bot.NewID(), bot.NewID()
	tok := s.Sign(alice, `{"run":"r1"}`, time.Minute)

	if got, err := s.Verify(alice, tok); err != nil || got != `{"run":"r1"}` {
		t.Fatalf("Verify = %q, %v, want the state", got, err)
	}
	tests := []struct {
		name  string
		user  string
		token string
		at    time.Time
	}{
		{"missing", alice, "", now},
		{"garbage", alice, "not-a-token", now},
		{"other user", bob, tok, now},
		{"expired", alice, tok, now.Add(61 * time.Second)},
		{"forged signature", alice, tok[:strings.LastIndex(tok, ".")+1] + "AAAA", now},
		{"other key", alice, other.Sign(alice, "x", time.Minute), now},
		{"tampered payload", alice, "e30" + tok[3:], now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			s.now = func() time.Time { return at }
			if _, err := s.Verify(tt.user, tt.token); bot.ErrorCode(err) != bot.EUnauthenticated {
				t.Errorf("Verify error = %v, want EUnauthenticated", err)
			}
		})
	}
	if _, err := NewSigner([]byte("short"), nil); err == nil {
		t.Errorf("NewSigner accepted a short key")
	}
}
