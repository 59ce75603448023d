package mmplugin_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// TestVerifyRefusalSays: each refusal of a plugin request says its own
// cause, for the admin who reads it in the plugin's reply or the log: a
// replay is a replay (not a matter of secrets or clocks), a signature
// that does not verify points at the secret, a timestamp out of the
// window at the clocks.
func TestVerifyRefusalSays(t *testing.T) {
	alice := mmplugin.Identity{UserID: "alice"}
	now := time.Now()
	v, err := mmplugin.NewVerifier(secret, seenOnce())
	if err != nil {
		t.Fatal(err)
	}
	replayed := signed(t, "GET", "/x", "", alice, now)
	if _, err := v.Verify(replayed.Clone(context.Background())); err != nil {
		t.Fatal(err)
	}
	tampered := signed(t, "POST", "/x", "a", alice, now)
	tampered.Body = io.NopCloser(strings.NewReader("b"))
	unsigned := signed(t, "GET", "/x", "", alice, now)
	unsigned.Header.Del("Webhook-Signature")
	for _, c := range []struct {
		name    string
		r       *http.Request
		want    []string
		notWant []string
	}{
		{"replayed", replayed, []string{"replay", "already"}, []string{"secret", "clock"}},
		{"body changed", tampered, []string{"signature does not verify", "PLAYBOOKS_MATTERMOST_PLUGIN_SECRET"}, []string{"replay", "clock"}},
		{"no signature", unsigned, []string{"not signed"}, []string{"replay", "clock"}},
		{"signed too long ago", signed(t, "GET", "/x", "", alice, now.Add(-6*time.Minute)), []string{"clock", "5 minutes"}, []string{"replay"}},
		{"signed in the future", signed(t, "GET", "/x", "", alice, now.Add(6*time.Minute)), []string{"clock", "5 minutes"}, []string{"replay"}},
		{"no user", signed(t, "GET", "/x", "", mmplugin.Identity{}, now), []string{"no user"}, []string{"replay", "clock"}},
	} {
		_, err := v.Verify(c.r)
		msg := bot.ErrorMessage(err)
		if bot.ErrorCode(err) != bot.EUnauthenticated {
			t.Errorf("%s: got %v, want EUnauthenticated", c.name, err)
		}
		for _, s := range c.want {
			if !strings.Contains(msg, s) {
				t.Errorf("%s: got %q, want it to say %q", c.name, msg, s)
			}
		}
		for _, s := range c.notWant {
			if strings.Contains(msg, s) {
				t.Errorf("%s: got %q, want no %q in it", c.name, msg, s)
			}
		}
	}
}
