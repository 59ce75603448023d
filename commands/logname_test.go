package commands

import "testing"

func TestLogName(t *testing.T) {
	for text, want := range map[string]string{
		"": "help", "  ": "help", "check 0 2": "check", "CHECK": "check",
		"update my password is hunter2": "update", "hunter2": "unknown", "owner @bob": "owner",
	} {
		if got := LogName(text); got != want {
			t.Errorf("LogName(%q) = %q, want %q", text, got, want)
		}
	}
}
