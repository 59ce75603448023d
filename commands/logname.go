package commands

import "strings"

// LogName returns what a request log line may say about a slash command's
// text: its subcommand when the registry has it, "help" for no text (what
// Dispatch answers then), and "unknown" otherwise. The arguments (names,
// titles, messages) are never returned, nor an unknown first word, which
// could be anything a user typed.
func LogName(text string) string {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "help"
	}
	if c, ok := lookup(strings.ToLower(fields[0])); ok {
		return c.Name
	}
	return "unknown"
}
