// Package commands is the /playbook grammar: one registry table drives
// dispatch, help and the autocomplete hint. Handlers call bot.Service use
// cases and return what to say or which dialog to open; they never post as a
// side effect. Dialog submissions and dynamic lookups are handled here too,
// so that every chat adapter behaves the same.
package commands

import (
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Request is a /playbook command as any platform sends it.
type Request struct {
	Platform  string    // the chat platform it came from: "mattermost", "slack"
	Actor     bot.Actor // the user, limited to the team the command came from
	TeamID    string
	ChannelID string
	Text      string // everything after "/playbook ", e.g. "check 1 2"
}

// Response is what to answer: a text (ephemeral unless InChannel) and/or a
// dialog to open with the request's trigger ID.
type Response struct {
	Text      string
	InChannel bool
	Dialog    *dialogs.Dialog
}

// Submission is a submitted dialog, its State already verified by the adapter.
type Submission struct {
	Platform   string // the chat platform it came from; runs it starts live there
	Actor      bot.Actor
	CallbackID string
	State      string
	TeamID     string
	ChannelID  string
	Values     map[string]string // element name → value ("true"/"false" for bool)
}
