package main

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
)

// TestAuthConfig checks the throttling settings: defaults, values, and
// refusals naming the variable.
func TestAuthConfig(t *testing.T) {
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Auth; a.Throttle.Failures != api.DefaultFailures || a.Throttle.Window != api.DefaultFailureWindow ||
		len(a.Throttle.TrustedProxies) != 0 || a.UnknownTokenTTL != mattermost.DefaultNegativeTTL {
		t.Errorf("defaults: %+v", a)
	}
	env := map[string]string{
		"PLAYBOOKS_AUTH_FAILURES": "3", "PLAYBOOKS_AUTH_FAILURE_WINDOW": "30s",
		"PLAYBOOKS_TRUSTED_PROXIES":              " 10.0.0.0/8, 192.168.1.5,2001:db8::/48, ::ffff:172.16.0.1",
		"PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL": "0s",
	}
	c, err = loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.5/32"),
		netip.MustParsePrefix("2001:db8::/48"), netip.MustParsePrefix("172.16.0.1/32")}
	if a := c.Auth; a.Throttle.Failures != 3 || a.Throttle.Window != 30*time.Second ||
		!slices.Equal(a.Throttle.TrustedProxies, want) || a.UnknownTokenTTL != 0 {
		t.Errorf("set: %+v, want proxies %v", a, want)
	}
	for name, value := range map[string]string{
		"PLAYBOOKS_AUTH_FAILURES": "-1", "PLAYBOOKS_AUTH_FAILURE_WINDOW": "0s",
		"PLAYBOOKS_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal", "PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL": "forever",
	} {
		if _, err := loadConfig(func(k string) string { return map[string]string{name: value}[k] }); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming it", name, value, err)
		}
	}
}

// TestServeThrottlesFailedAuth runs serve with PLAYBOOKS_AUTH_FAILURES=3:
// the fourth bad token in a row from one address gets 429 with
// Retry-After, and so does a valid token from it.
func TestServeThrottlesFailedAuth(t *testing.T) {
	admin := strings.Repeat("a", 32)
	srv := startServer(t, map[string]string{
		"PLAYBOOKS_DATABASE_URL": t.TempDir() + "/playbooks.db", "PLAYBOOKS_ADMIN_TOKEN": admin,
		"PLAYBOOKS_AUTH_FAILURES": "3", "PLAYBOOKS_AUTH_FAILURE_WINDOW": "24h", // none earned back during the test
	})
	get := func(token string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/plugins/playbooks/api/v0/playbooks?team_id=abcdefghijklmnopqrstuvwxyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := get(admin); res.StatusCode != http.StatusOK {
		t.Fatalf("admin token: status %d", res.StatusCode)
	}
	for i := range 3 {
		if res := get("wrong-token"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	for _, token := range []string{"wrong-token", admin} {
		if res := get(token); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Errorf("after 3 failures: status %d, Retry-After %q; want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
}
