package commands_test

import (
	"slices"
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

// TestRegistryArgs checks that each command's Args (what its usage, the
// help and the Mattermost plugin's autocomplete are made from) say what
// dispatch accepts: as many words required as it needs at least, as many
// in all as it takes at most. A command added or changed without its
// arguments fails here.
func TestRegistryArgs(t *testing.T) {
	for _, c := range commands.Commands() {
		min, max := commands.ArgCounts(c)
		required, all := 0, 0
		for i, a := range c.Args {
			n := len(strings.Fields(a.Usage))
			if n == 0 || a.Help == "" {
				t.Errorf("%s argument %d: usage %q, help %q; want both", c.Name, i, a.Usage, a.Help)
			}
			if a.List != "" && !slices.Contains(commands.Lists(), a.List) {
				t.Errorf("%s argument %d: list %q is not one of %v", c.Name, i, a.List, commands.Lists())
			}
			if !a.Optional {
				if all > required {
					t.Errorf("%s argument %d: required after an optional one", c.Name, i)
				}
				required += n
			}
			all += n
		}
		if required != min {
			t.Errorf("%s: its Args require %d words, dispatch at least %d", c.Name, required, min)
		}
		switch {
		case max >= 0 && all != max:
			t.Errorf("%s: its Args have %d words, dispatch takes at most %d", c.Name, all, max)
		case max < 0 && (len(c.Args) == 0 || c.Args[len(c.Args)-1].List != ""):
			t.Errorf("%s takes any number of words: its last argument must be free text", c.Name)
		}
	}
}
