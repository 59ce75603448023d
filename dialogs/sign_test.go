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

// TestSignerPreviousKey checks the grace period after a secret change:
// tokens signed with the previous key still verify, new tokens are signed
// with the current key only, and a key that is neither is refused.
func TestSignerPreviousKey(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	oldKey, newKey := []byte(strings.Repeat("o", 32)), []byte(strings.Repeat("n", 32))
	before, _ := NewSigner(oldKey, clock)
	alice := bot.NewID()
	oldTok := before.Sign(alice, "old", time.Minute)

	after, err := NewSigner(newKey, clock, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := after.Verify(alice, oldTok); err != nil || got != "old" {
		t.Errorf("token of the previous key: %q, %v; want it accepted", got, err)
	}
	newTok := after.Sign(alice, "new", time.Minute)
	if got, err := after.Verify(alice, newTok); err != nil || got != "new" {
		t.Errorf("token of the current key: %q, %v", got, err)
	}
	if _, err := before.Verify(alice, newTok); err == nil {
		t.Error("a new token verifies with the previous key alone: it was not signed with the current key")
	}
	onlyNew, _ := NewSigner(newKey, clock)
	if _, err := onlyNew.Verify(alice, oldTok); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("previous key dropped: got %v, want EUnauthenticated", err)
	}
	if _, err := after.Verify(bot.NewID(), oldTok); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("previous key, other user: got %v, want EUnauthenticated", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := after.Verify(alice, oldTok); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("previous key, expired: got %v, want EUnauthenticated", err)
	}
	if _, err := NewSigner(newKey, clock, []byte("short")); err == nil {
		t.Error("NewSigner accepted a short previous key")
	}
}
