package mattermost

import (
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

func TestValidID(t *testing.T) {
	for _, good := range []string{bot.NewID(), strings.Repeat("a", 26), "playbooksadmin000000000000"} {
		if !ValidID(good) {
			t.Errorf("ValidID(%q) = false, want true", good)
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 27), strings.Repeat("-", 26), strings.Repeat("A", 26), "U024BE7LH", "u024be7lh"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true, want false", bad)
		}
	}
}
