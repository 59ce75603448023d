package bot

import (
	"crypto/rand"
	"encoding/base32"
	"maps"
	"regexp"
	"slices"
)

// idEncoding is the alphabet of the 26-character IDs this server makes.
var idEncoding = base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(base32.NoPadding)

// NewID returns a new random 26-character lowercase ID (runs, playbooks,
// items, jobs and tokens are named by them).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return idEncoding.EncodeToString(b[:])
}

// MaxIDLen is the longest ID the core accepts.
const MaxIDLen = 64

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	ownIDPattern = regexp.MustCompile(`^[a-z0-9]{26}$`)
)

// ValidID reports whether s can be an ID of a user, team, channel or of
// something this server made. The core treats IDs as opaque: 1 to
// MaxIDLen ASCII letters, digits, '_' and '-', which refuses text that is
// not UTF-8 or holds NUL, spaces or punctuation. Each chat platform checks
// its own ID shapes in its adapter, where it receives them.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// OwnID reports whether s has the shape of an ID this server makes
// (NewID): 26 lowercase letters and digits.
func OwnID(s string) bool { return ownIDPattern.MatchString(s) }

// checkID returns an EInvalid error naming field when id is not a valid ID,
// which also refuses text that is not UTF-8 or holds NUL: use cases check
// the IDs they are given before any query, so both stores answer alike.
func checkID(field, id string) error {
	if id == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if !ValidID(id) {
		return FieldErrorf(field, "%s %q is not a valid ID (up to %d letters, digits, '_' and '-')", field, abbrevText(id), MaxIDLen)
	}
	return nil
}

// checkOwnID is checkID for the IDs this server makes (runs, playbooks,
// timeline events): anything but their shape is refused before any query.
func checkOwnID(field, id string) error {
	if id == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	if !OwnID(id) {
		return FieldErrorf(field, "%s %q is not a valid ID (26 lowercase letters and digits)", field, abbrevText(id))
	}
	return nil
}

// IDChecker is implemented by a Chat whose platform knows the shape of its
// IDs (the adapters' clients do): the core then refuses, before any
// query, a chat ID that no configured platform could have made.
type IDChecker interface {
	ValidID(id string) bool
}

// checkChatID is checkID for the IDs of chat users, teams, channels and
// posts. Beyond the opaque rule, when a configured platform checks its
// ID shapes (IDChecker), id must have the shape of one of them, or of the
// IDs this server makes (the default bootstrap admin has one).
func (s *Service) checkChatID(field, id string) error {
	if err := checkID(field, id); err != nil || OwnID(id) {
		return err
	}
	checked := false
	for _, c := range append([]Chat{s.chat}, slices.Collect(maps.Values(s.platforms))...) {
		if ic, ok := c.(IDChecker); ok {
			if ic.ValidID(id) {
				return nil
			}
			checked = true
		}
	}
	if checked {
		return FieldErrorf(field, "%s %q is not an ID of the chat platforms this server serves", field, abbrevText(id))
	}
	return nil
}
