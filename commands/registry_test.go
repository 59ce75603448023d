package commands_test

import (
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/commands"
)

func TestHelpGolden(t *testing.T) {
	checkGolden(t, "help.golden", commands.HelpText())
	checkGolden(t, "hint.golden", commands.AutocompleteHint()+"\n")
}

func TestRegistry(t *testing.T) {
	help := commands.HelpText()
	hint := commands.AutocompleteHint()
	seen := map[string]bool{}
	for _, c := range commands.Commands() {
		t.Run(c.Name, func(t *testing.T) {
			if seen[c.Name] {
				t.Errorf("got %q twice, want unique names", c.Name)
			}
			seen[c.Name] = true
			if c.Name != strings.ToLower(c.Name) || strings.ContainsAny(c.Name, " |") {
				t.Errorf("got name %q, want one lower-case word", c.Name)
			}
			if c.Help == "" {
				t.Error("got no help, want a sentence")
			}
			if !strings.Contains(help, "`"+c.UsageLine()+"`") {
				t.Errorf("help text lacks %q", c.UsageLine())
			}
			if !strings.Contains(hint, c.Name) {
				t.Errorf("autocomplete hint %q lacks %q", hint, c.Name)
			}
		})
	}
	if !strings.Contains(help, "numbered from 0, as `/playbook info` shows them") {
		t.Errorf("got help %q, want it to say indexes start at 0", help)
	}
}
