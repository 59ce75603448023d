package bot

import (
	"crypto/rand"
	"encoding/base32"
	"regexp"
)

// idEncoding is the alphabet Mattermost uses for its 26-character IDs.
var idEncoding = base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(base32.NoPadding)

// NewID returns a new random 26-character lowercase ID, as Mattermost makes them.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return idEncoding.EncodeToString(b[:])
}

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9]{26}$`)
	slackIDPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{6,20}$`)
)

// ValidID reports whether s has the shape of an ID of a user, team or
// channel: a Mattermost ID (26 lowercase letters and digits, as this server
// makes its own) or a Slack one (an uppercase letter and 6 to 20 uppercase
// letters and digits, e.g. U024BE7LH, T061EG9R6, C2147483705).
func ValidID(s string) bool { return idPattern.MatchString(s) || slackIDPattern.MatchString(s) }

// checkID returns an EInvalid error naming field when id is not a valid ID,
// which also refuses text that is not UTF-8 or holds NUL: use cases check
// the IDs they are given before any query, so both stores answer alike.
func checkID(field, id string) error {
	if id == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if !ValidID(id) {
		return FieldErrorf(field, "%s %q is not a valid ID (26 lowercase letters and digits, or a Slack ID like U024BE7LH)", field, abbrevText(id))
	}
	return nil
}
