package commands

import (
	"context"
	"strings"
)

// Command is one /playbook subcommand. The registry (Commands) drives
// dispatch, the help text and the autocomplete (the hint of a custom slash
// command, the Mattermost plugin's full autocomplete data), so they cannot
// drift.
type Command struct {
	Name string // what follows /playbook, e.g. "check"
	Args []Arg  // its arguments, in order
	Help string // one sentence

	needsRun bool // runs against the run of the request's channel
	min, max int  // argument counts; max < 0 means any number
	handle   handler
}

// Arg is one argument of a command, as its usage spells it and as
// autocomplete offers it.
type Arg struct {
	Usage    string // as typed, e.g. "<checklist> <item>" (may be several words), "next|prev"
	Help     string // what to give, shown by autocomplete
	Optional bool
	// List names the suggestions autocomplete offers (see
	// Dispatcher.Suggest); "" for free text.
	List string
}

// The suggestion lists an Arg may name.
const (
	ListItems      = "items"      // "<checklist> <item>" pairs of the channel's run, with their titles
	ListChecklists = "checklists" // checklist indexes of the channel's run
	ListStages     = "stages"     // next and prev, with the stage each leads to
	ListUsers      = "users"      // @usernames of the channel's run: its owner and participants
)

// Lists are the suggestion lists Args may name.
func Lists() []string { return []string{ListItems, ListChecklists, ListStages, ListUsers} }

// Usage is the command's arguments, e.g. "[<checklist> <item>]"; "" when
// it takes none.
func (c Command) Usage() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.Usage
		if a.Optional {
			parts[i] = "[" + a.Usage + "]"
		}
	}
	return strings.Join(parts, " ")
}

// UsageLine is the command as typed, e.g. "/playbook check [<checklist> <item>]".
func (c Command) UsageLine() string {
	return strings.TrimSpace("/playbook " + c.Name + " " + c.Usage())
}

// handler answers one command. c.run is set when the command needs a run.
type handler func(d *Dispatcher, ctx context.Context, c *call) (Response, error)

// registry is the table of subcommands, in the order help lists them.
func registry() []Command {
	return []Command{
		{Name: "run", Help: "Start a run from one of the team's playbooks.",
			handle: (*Dispatcher).startRun},
		{Name: "end", Help: "End this channel's run, after a confirmation.",
			needsRun: true, handle: (*Dispatcher).endRun},
		{Name: "finish", Help: "End this channel's run at once.",
			needsRun: true, handle: (*Dispatcher).finishRun},
		{Name: "restart", Help: "Make this channel's ended run active again.",
			needsRun: true, handle: (*Dispatcher).restartRun},
		{Name: "update", Help: "Post a status update and set a reminder for the next one.",
			needsRun: true, handle: (*Dispatcher).updateStatus},
		{Name: "check", Args: []Arg{itemArg(true)},
			Help:     "Check an open item or uncheck a checked one; without arguments, pick the item from a list.",
			needsRun: true, max: 2, handle: (*Dispatcher).checkItem},
		{Name: "checkadd", Args: []Arg{
			{Usage: "<checklist>", Help: "The checklist to add the item to", List: ListChecklists},
			{Usage: "<title>", Help: "The new item's title; without it, a dialog asks", Optional: true}},
			Help:     "Add an item to a checklist; without a title, a dialog asks for it.",
			needsRun: true, min: 1, max: -1, handle: (*Dispatcher).addItem},
		{Name: "checkremove", Args: []Arg{itemArg(false)}, Help: "Remove an item from a checklist.",
			needsRun: true, min: 2, max: 2, handle: (*Dispatcher).removeItem},
		{Name: "assign", Args: []Arg{itemArg(false), userArg(false, "Who to assign it to")}, Help: "Assign an item to someone.",
			needsRun: true, min: 3, max: 3, handle: (*Dispatcher).assignItem},
		{Name: "owner", Args: []Arg{userArg(true, "The new owner; without it, the current owner is shown")},
			Help:     "Show the run's owner, or hand the run to someone else.",
			needsRun: true, max: 1, handle: (*Dispatcher).owner},
		{Name: "stage", Args: []Arg{{Usage: "next|prev", Help: "Where to move the run", List: ListStages}},
			Help:     "Move the run to its next or previous stage.",
			needsRun: true, min: 1, max: 1, handle: (*Dispatcher).stage},
		{Name: "info", Help: "Show the run: owner, status, stage and numbered checklists.",
			needsRun: true, handle: (*Dispatcher).info},
		{Name: "list", Help: "List the team's runs in progress.",
			handle: (*Dispatcher).listRuns},
		{Name: "timeline", Help: "Show the run's latest timeline events.",
			needsRun: true, handle: (*Dispatcher).timeline},
		{Name: "todo", Help: "Show, to you only, your open items across the team's runs, overdue first, and your runs waiting for a status update.",
			handle: (*Dispatcher).todo},
		{Name: "playbooks", Help: "List the team's playbooks.",
			handle: (*Dispatcher).listPlaybooks},
		{Name: "admin", Help: "Get a short-lived link to the admin page of API tokens and OAuth2 clients (chat system admins only; shown only to you).",
			handle: (*Dispatcher).adminLink},
		{Name: "help", Help: "Show this help.",
			handle: (*Dispatcher).help},
	}
}

// itemArg is the "<checklist> <item>" argument of the commands about one
// item.
func itemArg(optional bool) Arg {
	help := "The item"
	if optional {
		help = "The item; without it, pick it from a list"
	}
	return Arg{Usage: "<checklist> <item>", Help: help, Optional: optional, List: ListItems}
}

// userArg is a user argument.
func userArg(optional bool, help string) Arg {
	return Arg{Usage: "<@user|user-id>", Help: help, Optional: optional, List: ListUsers}
}

// Commands returns the registry: every subcommand with its name, argument
// usage and help text.
func Commands() []Command { return registry() }

// lookup returns the registered command named name.
func lookup(name string) (Command, bool) {
	for _, c := range registry() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// AutocompleteHint is the one-line hint for the slash command registration,
// e.g. "[run|end|update|check|...]".
func AutocompleteHint() string {
	names := make([]string, 0, len(registry()))
	for _, c := range registry() {
		names = append(names, c.Name)
	}
	return "[" + strings.Join(names, "|") + "]"
}

// indexNote says once how checklists and items are numbered.
const indexNote = "Checklists and items are numbered from 0, as `/playbook info` shows them."

// HelpText is the full help, as /playbook help shows it.
func HelpText() string {
	var b strings.Builder
	b.WriteString("#### /playbook commands\n")
	for _, c := range registry() {
		b.WriteString("- `" + c.UsageLine() + "`: " + c.Help + "\n")
	}
	b.WriteString("\n" + indexNote + " Commands about a run work in the run's channel; `/playbook list` finds one.\n")
	return b.String()
}
