package mmplugin

import (
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
// PluginListPrefix + list (relative: Mattermost serves it under
// /plugins/ID), which asks the bot (ListPath); one without is free text.
func Autocomplete() *model.AutocompleteData {
	root := model.NewAutocompleteData(Trigger, commands.AutocompleteHint(), "Run and drive incident playbooks")
	for _, c := range commands.Commands() {
		sub := model.NewAutocompleteData(c.Name, c.Usage(), c.Help)
		for _, a := range c.Args {
			if a.List != "" {
				sub.AddDynamicListArgument(a.Help, ListURL(a.List), !a.Optional)
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

// ListURL is the fetch URL of a dynamic list argument, relative to the
// plugin.
func ListURL(list string) string {
	return PluginListPrefix[1:] + list
}

// textHint is the hint of a free-text argument: its usage, in brackets
// when optional.
func textHint(a commands.Arg) string {
	if a.Optional {
		return "[" + a.Usage + "]"
	}
	return a.Usage
}
