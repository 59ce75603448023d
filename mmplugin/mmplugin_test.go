package mmplugin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

const secret = "0123456789abcdef0123456789abcdef-plugin"

// seenOnce is a Seen over a map, as bot.Service.FirstSeen is over the
// database.
func seenOnce() mmplugin.Seen {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(_ context.Context, key string, _ time.Duration) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if seen[key] {
			return false, nil
		}
		seen[key] = true
		return true, nil
	}
}

// signed returns a request as the plugin sends it: signed at now for id.
func signed(t *testing.T, method, target, body string, id mmplugin.Identity, now time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if err := mmplugin.Sign(r, []byte(body), secret, id, now); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestVerify checks what the bot believes of a plugin request: the
// identity of one signed with the secret within 5 minutes, once; nothing
// of one whose method, path, query, identity or body changed after
// signing, or signed with another secret or too long ago.
func TestVerify(t *testing.T) {
	alice := mmplugin.Identity{UserID: "alice", TeamIDs: []string{"t1", "t2"}}
	now := time.Now()
	v, err := mmplugin.NewVerifier(secret, seenOnce())
	if err != nil {
		t.Fatal(err)
	}
	r := signed(t, "POST", "/plugins/playbooks/api/v0/runs?x=1", `{"name":"A"}`, alice, now)
	if !mmplugin.Claims(r) {
		t.Fatal("a signed request does not claim to come from the plugin")
	}
	id, err := v.Verify(r)
	if err != nil || id.UserID != "alice" || strings.Join(id.TeamIDs, ",") != "t1,t2" || id.Admin {
		t.Fatalf("Verify = %+v, %v; want alice of t1 and t2", id, err)
	}
	if b, _ := io.ReadAll(r.Body); string(b) != `{"name":"A"}` {
		t.Errorf("body after Verify = %q, want it readable again", b)
	}
	if a := id.Actor(); a.UserID != "alice" || a.Admin || len(a.TeamIDs) != 2 {
		t.Errorf("actor = %+v", a)
	}

	for name, tamper := range map[string]func(*http.Request){
		"replayed": func(*http.Request) {},
		"method":   func(r *http.Request) { r.Method = "DELETE" },
		"path":     func(r *http.Request) { r.URL.Path = "/plugins/playbooks/api/v0/playbooks" },
		"query":    func(r *http.Request) { r.URL.RawQuery = "x=2" },
		"user":     func(r *http.Request) { r.Header.Set(mmplugin.HeaderUserID, "mallory") },
		"teams":    func(r *http.Request) { r.Header.Set(mmplugin.HeaderTeamIDs, "t1,t2,t3") },
		"admin":    func(r *http.Request) { r.Header.Set(mmplugin.HeaderAdmin, "true") },
		"body":     func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"name":"B"}`)) },
		"no signature": func(r *http.Request) {
			r.Header.Del("Webhook-Signature")
		},
	} {
		r := signed(t, "POST", "/plugins/playbooks/api/v0/runs?x=1", `{"name":"A"}`, alice, now)
		if name == "replayed" {
			if _, err := v.Verify(r.Clone(context.Background())); err != nil {
				t.Fatal(err)
			}
			r.Body = io.NopCloser(strings.NewReader(`{"name":"A"}`))
		}
		tamper(r)
		if id, err := v.Verify(r); bot.ErrorCode(err) != bot.EUnauthenticated {
			t.Errorf("%s: Verify = %+v, %v; want EUnauthenticated", name, id, err)
		}
	}

	other, err := mmplugin.NewVerifier(strings.Repeat("x", 40), seenOnce())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Verify(signed(t, "GET", "/x", "", alice, now)); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("another secret: %v, want EUnauthenticated", err)
	}
	for _, at := range []time.Time{now.Add(-6 * time.Minute), now.Add(6 * time.Minute)} {
		if _, err := v.Verify(signed(t, "GET", "/x", "", alice, at)); bot.ErrorCode(err) != bot.EUnauthenticated {
			t.Errorf("signed at %s: %v, want EUnauthenticated", at.Sub(now), err)
		}
	}
	if _, err := v.Verify(signed(t, "GET", "/x", "", mmplugin.Identity{}, now)); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("no user: %v, want EUnauthenticated", err)
	}
	if _, err := mmplugin.NewVerifier("short", seenOnce()); err == nil {
		t.Error("a short secret was accepted")
	}
	if err := mmplugin.Sign(httptest.NewRequest("GET", "/x", nil), nil, "short", alice, now); err == nil {
		t.Error("Sign accepted a short secret")
	}
}
