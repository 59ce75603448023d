package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// throttled is an API with failed-authentication throttling on a clock the
// test moves, called in process so that each request can come from any
// address.
type throttled struct {
	h      http.Handler
	token  string
	teamID string
	mu     sync.Mutex
	now    time.Time
}

func newThrottled(t *testing.T, c api.AuthThrottle, ext bot.ExternalAuth) *throttled {
	th := &throttled{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), teamID: bot.NewID()}
	c.Now = func() time.Time { th.mu.Lock(); defer th.mu.Unlock(); return th.now }
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, storetest.SQLite), ExternalAuth: ext})
	secret, _, err := svc.CreateToken(context.Background(), bot.NewID(), []string{th.teamID}, false)
	if err != nil {
		t.Fatal(err)
	}
	th.token = secret
	th.h = api.New(api.Config{Service: svc, Logger: slog.New(slog.DiscardHandler), AuthThrottle: c})
	return th
}

func (th *throttled) advance(d time.Duration) {
	th.mu.Lock()
	th.now = th.now.Add(d)
	th.mu.Unlock()
}

// get lists playbooks with token, from peer (ip:port), with the given
// X-Forwarded-For ("" for none).
func (th *throttled) get(token, peer, xff string) *httptest.ResponseRecorder {
	return th.request("GET", api.BasePath+"/playbooks?team_id="+th.teamID, token, peer, xff)
}

func (th *throttled) request(method, path, token, peer, xff string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = peer
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	rec := httptest.NewRecorder()
	th.h.ServeHTTP(rec, req)
	return rec
}

const badToken = "pbk_0000000000000000000000000000000000000000000000000000000000000000"

// want429 checks a throttled answer: 429, Retry-After in whole seconds,
// the spec's error body.
func want429(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 2 || body["error"] == "" || body["details"] == "" {
		t.Errorf("body %s, want the spec's {error, details}", rec.Body)
	}
}

// TestFailedAuthThrottled: after its 5 failures in a burst, an address
// gets 429 with Retry-After on every request that needs a token, a valid
// one included (its token is not even checked), until it has earned a
// failure back (one per 12 s at 5 per minute); another address's valid
// requests are never affected.
func TestFailedAuthThrottled(t *testing.T) {
	th := newThrottled(t, api.AuthThrottle{Failures: 5, Window: time.Minute}, nil)
	const attacker, other = "198.51.100.7:40000", "203.0.113.9:50000"
	for i := range 5 {
		if rec := th.get(badToken, attacker, ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, rec.Code)
		}
	}
	want429(t, th.get(badToken, attacker, ""), "12")
	want429(t, th.get(th.token, attacker, ""), "12")
	want429(t, th.get("", attacker, ""), "12")
	if rec := th.get(th.token, other, ""); rec.Code != http.StatusOK {
		t.Errorf("another address's valid token: status %d, want 200", rec.Code)
	}
	// The details page with a token is throttled alike.
	if rec := th.request("GET", "/runs/"+bot.NewID(), th.token, attacker, ""); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "12" {
		t.Errorf("details page: status %d, Retry-After %q; want 429, 12", rec.Code, rec.Header().Get("Retry-After"))
	}

	th.advance(6 * time.Second)
	want429(t, th.get(th.token, attacker, ""), "6")
	th.advance(6 * time.Second) // one failure earned back
	if rec := th.get(th.token, attacker, ""); rec.Code != http.StatusOK {
		t.Errorf("after 12 s, a valid token: status %d, want 200", rec.Code)
	}
	if rec := th.get(badToken, attacker, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("after 12 s, a bad token: status %d, want 401", rec.Code)
	}
	want429(t, th.get(badToken, attacker, ""), "12")

	// Valid requests, however many, cost nothing.
	for range 50 {
		if rec := th.get(th.token, other, ""); rec.Code != http.StatusOK {
			t.Fatalf("valid requests: status %d, want 200", rec.Code)
		}
	}
}

// TestThrottleForwardedFor checks which address failures are counted
// against: X-Forwarded-For only from a trusted proxy, its right-most
// untrusted entry; and an IPv6 client by its /64.
func TestThrottleForwardedFor(t *testing.T) {
	th := newThrottled(t, api.AuthThrottle{Failures: 2, Window: time.Minute,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::1/128")}}, nil)
	fail := func(peer, xff string) {
		t.Helper()
		for range 2 {
			if rec := th.get(badToken, peer, xff); rec.Code != http.StatusUnauthorized {
				t.Fatalf("from %s (X-Forwarded-For %q): status %d, want 401", peer, xff, rec.Code)
			}
		}
	}
	// Through two trusted proxies; the left-most entry is the client's own
	// claim, not believed.
	fail("10.0.0.1:1000", "192.0.2.99, 203.0.113.5, 10.0.0.2")
	want429(t, th.get(th.token, "203.0.113.5:2000", ""), "30")                             // the same client, directly
	want429(t, th.get(th.token, "[2001:db8:ffff::1]:443", "203.0.113.5"), "30")            // through another trusted proxy
	if rec := th.get(th.token, "10.0.0.1:1000", "192.0.2.99"); rec.Code != http.StatusOK { // the spoofed address is not the one
		t.Errorf("the address the client claimed: status %d, want 200", rec.Code)
	}
	if rec := th.get(th.token, "10.0.0.1:1000", "203.0.113.6, 10.0.0.2"); rec.Code != http.StatusOK {
		t.Errorf("another client behind the same proxies: status %d, want 200", rec.Code)
	}
	// An untrusted peer's X-Forwarded-For is ignored: changing it does not
	// escape throttling, nor does it throttle the address it names.
	fail("192.0.2.10:1000", "198.51.100.1")
	want429(t, th.get(th.token, "192.0.2.10:1000", "198.51.100.2"), "30")
	if rec := th.get(th.token, "198.51.100.1:1000", ""); rec.Code != http.StatusOK {
		t.Errorf("an address an untrusted peer named: status %d, want 200", rec.Code)
	}
	// IPv6: one /64 is one client.
	fail("[2001:db8:1:2::1]:1000", "")
	want429(t, th.get(th.token, "[2001:db8:1:2::ffff]:1000", ""), "30")
	if rec := th.get(th.token, "[2001:db8:1:3::1]:1000", ""); rec.Code != http.StatusOK {
		t.Errorf("another /64: status %d, want 200", rec.Code)
	}
}

// TestThrottleBeforeMattermost sends 200 different unknown tokens from one
// address to an API that checks unknown tokens with Mattermost: only the
// first few reach Mattermost; the rest are answered 429 without it.
func TestThrottleBeforeMattermost(t *testing.T) {
	mm := mmtest.New(t)
	th := newThrottled(t, api.AuthThrottle{Failures: api.DefaultFailures, Window: api.DefaultFailureWindow},
		mattermost.NewTokenAuth(mm.URL, nil, 0))
	codes := map[int]int{}
	for i := range 200 {
		codes[th.get("guess-"+strconv.Itoa(i), "198.51.100.7:40000", "").Code]++
	}
	if n := mm.CountRequests("GET", "/api/v4/users/me"); n > api.DefaultFailures {
		t.Errorf("200 unknown tokens made %d calls to Mattermost, want at most %d", n, api.DefaultFailures)
	}
	if codes[http.StatusUnauthorized] != api.DefaultFailures || codes[http.StatusTooManyRequests] != 200-api.DefaultFailures {
		t.Errorf("statuses %v, want %d × 401 then 429s", codes, api.DefaultFailures)
	}
}

// TestThrottleOffByDefault: the zero AuthThrottle does not throttle.
func TestThrottleOffByDefault(t *testing.T) {
	th := newThrottled(t, api.AuthThrottle{}, nil)
	for range 100 {
		if rec := th.get(badToken, "198.51.100.7:40000", ""); rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", rec.Code)
		}
	}
}
