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

var idPattern = regexp.MustCompile(`^[a-z0-9]{26}$`)

// ValidID reports whether s has the shape of a Mattermost ID: 26 lowercase
// letters and digits.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// checkID returns an EInvalid error naming field when id is not a valid ID.
func checkID(field, id string) error {
	if id == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if !ValidID(id) {
		return FieldErrorf(field, "%s %q is not a valid ID (26 lowercase letters and digits)", field, id)
	}
	return nil
}
