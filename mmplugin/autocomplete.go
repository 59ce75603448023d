package mmplugin

import (
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/commands"
)

// Trigger is the slash command the plugin registers.
const Trigger = "playbook"

// Autocomplete is the /playbook command's autocomplete data, made from the
// commands registry (commands.Commands), the table that also drives
// dispatch and help: a subcommand per command, with its usage as the
// hint and its help, and an argument per commands.Arg. An argument with a
// suggestion list is a dynamic list fetched from the plugin's route
// ListURL(command, list) (relative: Mattermost serves it under
// /plugins/ID), which asks the bot (ListPath); one without is free text.
func Autocomplete() *model.AutocompleteData {
	root := model.NewAutocompleteData(Trigger, commands.AutocompleteHint(), "Run and drive incident playbooks")
	for _, c := range commands.Commands() {
		sub := model.NewAutocompleteData(c.Name, c.Usage(), c.Help)
		for _, a := range c.Args {
			if a.List != "" {
				sub.AddDynamicListArgument(a.Help, ListURL(c.Name, a.List), !a.Optional)
			} else {
				// Mattermost refuses an optional positional text argument
				// (model.AutocompleteData.IsValid); the hint says it is.
				sub.AddTextArgument(a.Help, textHint(a), "")
			}
		}
		root.AddCommand(sub)
	}
	return root
}

// ListURL is the fetch URL of command's dynamic list argument, relative to
// the plugin: PluginListPrefix, the list, then the command as a path
// segment. Not as a query: Mattermost joins a relative fetch URL to the
// plugin's path as a path (model.AutocompleteData.
// UpdateRelativeURLsForPluginCommands), which would escape its "?".
func ListURL(command, list string) string {
	return PluginListPrefix[1:] + list + "/" + command
}

// ParseListPath returns the list and the command of a plugin route path
// under PluginListPrefix (see ListURL); command is "" for a path that
// names the list alone.
func ParseListPath(path string) (list, command string, ok bool) {
	rest, ok := strings.CutPrefix(path, PluginListPrefix)
	if !ok {
		return "", "", false
	}
	list, command, _ = strings.Cut(rest, "/")
	return list, command, list != "" && !strings.Contains(command, "/")
}

// textHint is the hint of a free-text argument: its usage, in brackets
// when optional.
func textHint(a commands.Arg) string {
	if a.Optional {
		return "[" + a.Usage + "]"
	}
	return a.Usage
}
