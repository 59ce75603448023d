package main

import (
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/dialogs"
)

// TestPreviousSecret checks PLAYBOOKS_SECRET_PREVIOUS: validated as
// PLAYBOOKS_SECRET is, and accepted by the signer serve builds, which signs
// with PLAYBOOKS_SECRET only.
func TestPreviousSecret(t *testing.T) {
	oldSecret, newSecret := strings.Repeat("o", 32), strings.Repeat("n", 32)
	env := map[string]string{
		"PLAYBOOKS_MATTERMOST_URL": "https://chat.example.com", "PLAYBOOKS_MATTERMOST_BOT_TOKEN": "bot",
		"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS": "a", "PLAYBOOKS_PUBLIC_URL": "https://bot.example.com",
		"PLAYBOOKS_SECRET": newSecret, "PLAYBOOKS_SECRET_PREVIOUS": oldSecret,
	}
	c, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	signer, err := c.signer()
	if err != nil {
		t.Fatal(err)
	}
	old, _ := dialogs.NewSigner([]byte(oldSecret), nil)
	if got, err := signer.Verify("u", old.Sign("u", "state", time.Minute)); err != nil || got != "state" {
		t.Errorf("a token of the previous secret: %q, %v; want it accepted", got, err)
	}
	// Details links follow the same rotation: the old secret's link key
	// is kept to verify, the new one signs.
	if string(c.PreviousLinkSecret) != string(deriveLinkSecret(oldSecret)) || string(c.LinkSecret) != string(deriveLinkSecret(newSecret)) {
		t.Errorf("link keys: previous %x, current %x; want the ones derived from the old and new secrets", c.PreviousLinkSecret, c.LinkSecret)
	}
	current, _ := dialogs.NewSigner([]byte(newSecret), nil)
	if _, err := current.Verify("u", signer.Sign("u", "state", time.Minute)); err != nil {
		t.Errorf("serve's signer does not sign with PLAYBOOKS_SECRET: %v", err)
	}

	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"short":           {map[string]string{"PLAYBOOKS_SECRET": newSecret, "PLAYBOOKS_SECRET_PREVIOUS": "short"}, "PLAYBOOKS_SECRET_PREVIOUS must be at least 32"},
		"without current": {map[string]string{"PLAYBOOKS_SECRET_PREVIOUS": oldSecret}, "PLAYBOOKS_SECRET is not"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(func(k string) string { return tc.env[k] })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("loadConfig error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if c, err := loadConfig(func(k string) string { return map[string]string{"PLAYBOOKS_SECRET": newSecret}[k] }); err != nil || c.PreviousSecret != "" {
		t.Errorf("no previous secret: %q, %v", c.PreviousSecret, err)
	}
}
