package slack

import (
	"maps"
	"slices"
)

// methodScopes names, for each Web API method Client calls, the bot
// scopes it needs; manifest.yaml must request exactly their union plus
// "commands" (for the slash command). A test checks both against the calls
// a whole run makes.
func methodScopes() map[string][]string {
	return map[string][]string{
		"conversations.create":  {"channels:manage", "groups:write"}, // public, private channels
		"conversations.invite":  {"channels:manage", "groups:write"},
		"conversations.info":    {"channels:read", "groups:read"},
		"conversations.members": {"channels:read", "groups:read"}, // who may see a private run
		"users.conversations":   {"groups:read"},                  // which private runs a user may list
		"chat.postMessage":      {"chat:write"},
		"chat.update":           {"chat:write"},
		"chat.postEphemeral":    {"chat:write"},
		"views.open":            {}, // a trigger ID is the authorization
		"views.update":          {}, // of a modal the bot opened
		"users.info":            {"users:read"},
		"users.list":            {"users:read"},
		"team.info":             {"team:read"},
	}
}

// MethodScopes returns the Web API methods Client calls, each with the bot
// scopes it needs.
func MethodScopes() map[string][]string { return methodScopes() }

// Scopes returns, sorted, the bot scopes the app needs: those of the Web
// API methods Client calls, and "commands" for the slash command.
func Scopes() []string {
	set := map[string]bool{"commands": true}
	for _, scopes := range methodScopes() {
		for _, s := range scopes {
			set[s] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
