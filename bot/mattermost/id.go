package mattermost

import "regexp"

var idPattern = regexp.MustCompile(`^[a-z0-9]{26}$`)

// ValidID reports whether s has the shape of a Mattermost ID of a user,
// team, channel or post: 26 lowercase letters and digits. The core takes
// any bounded opaque ID (bot.ValidID); this is Mattermost's own, narrower
// rule.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidID reports whether id has the shape of a Mattermost ID, so that
// commands tell a user ID from a username.
func (c *Client) ValidID(id string) bool { return ValidID(id) }
