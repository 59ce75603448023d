package dialogs_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/dialogs"
)

// TestSignStable checks that stable tokens issued on one day are the same,
// that one issued the next day differs, and that each verifies for at
// least its ttl and less than a day more.
func TestSignStable(t *testing.T) {
	now := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	s, err := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 48 * time.Hour
	first := s.SignStable("*", "state", ttl)
	issued := now
	now = now.Add(15 * time.Hour)
	if again := s.SignStable("*", "state", ttl); again != first {
		t.Errorf("tokens issued the same day differ: %s and %s", first, again)
	}
	now = now.Add(2 * time.Hour)
	if next := s.SignStable("*", "state", ttl); next == first {
		t.Error("a token issued the next day is the same")
	}
	now = issued.Add(ttl)
	if got, err := s.Verify("*", first); err != nil || got != "state" {
		t.Errorf("at issue + ttl: %q, %v; want the state", got, err)
	}
	now = issued.Add(ttl + 24*time.Hour)
	if _, err := s.Verify("*", first); err == nil {
		t.Error("at issue + ttl + 24h the token still verifies")
	}
}
