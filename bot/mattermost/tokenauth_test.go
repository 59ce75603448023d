package mattermost

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestUnknownTokenNotForwarded sends one unknown bearer token 200 times,
// 20 at a time: Mattermost is asked once, and every answer is 401
// (EUnauthenticated). Once the refusal has expired, Mattermost is asked
// again, so a token that becomes valid is accepted after the TTL at most.
func TestUnknownTokenNotForwarded(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	alice := mm.AddUser("alice", team.Id)
	auth := NewTokenAuth(mm.URL, nil, 0)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	auth.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	calls := func() int { return mm.CountRequests("GET", "/api/v4/users/me") }
	ctx := context.Background()

	const bad = "not-a-token-of-anyone"
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 10 {
				if _, err := auth.Authenticate(ctx, bad); bot.ErrorCode(err) != bot.EUnauthenticated {
					t.Errorf("unknown token: %v, want EUnauthenticated", err)
				}
			}
		})
	}
	wg.Wait()
	if n := calls(); n != 1 {
		t.Errorf("200 checks of one unknown token made %d calls to Mattermost, want 1", n)
	}

	// Accepted tokens are unaffected, and a refusal does not outlive its TTL.
	if a, err := auth.Authenticate(ctx, mm.AddToken(alice.Id)); err != nil || a.UserID != alice.Id {
		t.Errorf("alice's token: %+v, %v", a, err)
	}
	before := calls()
	mu.Lock()
	now = now.Add(DefaultNegativeTTL)
	mu.Unlock()
	if _, err := auth.Authenticate(ctx, bad); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("unknown token after the TTL: %v", err)
	}
	if n := calls() - before; n != 1 {
		t.Errorf("after the TTL, the unknown token made %d calls, want 1 (asked again)", n)
	}
}

// TestNegativeCacheBounded fills the cache of refused tokens beyond its
// size: it never holds more than its size, and caching off (TTL 0) asks
// Mattermost every time.
func TestNegativeCacheBounded(t *testing.T) {
	mm := mmtest.New(t)
	auth := NewTokenAuth(mm.URL, nil, 0).WithNegativeCache(time.Minute, 5)
	ctx := context.Background()
	for i := range 12 {
		auth.Authenticate(ctx, "guess-"+string(rune('a'+i)))
		auth.mu.Lock()
		n := len(auth.refused)
		auth.mu.Unlock()
		if n > 5 {
			t.Fatalf("after %d refused tokens the cache holds %d, want at most 5", i+1, n)
		}
	}
	off := NewTokenAuth(mm.URL, nil, 0).WithNegativeCache(0, 0)
	before := mm.CountRequests("GET", "/api/v4/users/me")
	for range 3 {
		off.Authenticate(ctx, "guess")
	}
	if n := mm.CountRequests("GET", "/api/v4/users/me") - before; n != 3 {
		t.Errorf("with the negative cache off, 3 checks made %d calls, want 3", n)
	}
}

// TestTokenAuthMattermostDown checks that a Mattermost that cannot answer
// makes the check EUnavailable (503, try again), not a refusal, and that
// it is not remembered as one.
func TestTokenAuthMattermostDown(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusBadGateway)
	}))
	defer down.Close()
	auth := NewTokenAuth(down.URL, nil, 0)
	for range 2 {
		if _, err := auth.Authenticate(context.Background(), "some-token"); bot.ErrorCode(err) != bot.EUnavailable {
			t.Errorf("Mattermost answering 502: %v, want EUnavailable", err)
		}
	}
	if len(auth.refused) != 0 {
		t.Errorf("a token Mattermost could not check was remembered as refused")
	}
}
