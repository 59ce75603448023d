package slack

import (
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for _, good := range []string{"U024BE7LH", "T061EG9R6", "C2147483705", "W0123ABCD"} {
		if !ValidID(good) {
			t.Errorf("ValidID(%q) = false, want true", good)
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 26), "u024be7lh", "U0", "U024BE7LH!", "1024BE7LH", "U" + strings.Repeat("A", 21)} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true, want false", bad)
		}
	}
}
