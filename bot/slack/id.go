package slack

import "regexp"

var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{6,20}$`)

// ValidID reports whether s has the shape of a Slack ID of a user, team or
// channel: an uppercase letter and 6 to 20 uppercase letters and digits,
// e.g. U024BE7LH, T061EG9R6, C2147483705. The core takes any bounded
// opaque ID (bot.ValidID); this is Slack's own, narrower rule.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidID reports whether id has the shape of a Slack ID, so that commands
// tell a user ID from a username.
func (c *Client) ValidID(id string) bool { return ValidID(id) }
