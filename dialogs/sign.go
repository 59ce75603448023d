package dialogs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// Signer signs the state of dialogs and buttons the bot hands to a chat
// platform, because the platform sends their submissions back with no
// authentication: a signed token binds the state to the user it was issued
// for and to an expiry.
//
// A Signer signs with one key and verifies with that key and, optionally,
// the keys it replaced, so that the buttons and dialogs already out there
// keep working for a while after the secret changes.
type Signer struct {
	keys [][]byte // keys[0] signs; every key verifies
	now  func() time.Time
}

// MinKeyLen is the shortest signing key a Signer accepts.
const MinKeyLen = 32

// NewSigner returns a Signer that signs with key and verifies with key,
// then with each of previous (keys it replaced, still accepted). Every key
// must be at least MinKeyLen bytes. now is the clock (time.Now when nil).
func NewSigner(key []byte, now func() time.Time, previous ...[]byte) (*Signer, error) {
	if len(key) < MinKeyLen {
		return nil, errors.New("signing secret must be at least 32 bytes")
	}
	keys := [][]byte{key}
	for _, p := range previous {
		if len(p) < MinKeyLen {
			return nil, errors.New("previous signing secret must be at least 32 bytes")
		}
		keys = append(keys, p)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{keys: keys, now: now}, nil
}

// signed is what a token carries.
type signed struct {
	User    string `json:"u"`
	Expires int64  `json:"e"` // Unix seconds
	State   string `json:"s"`
}

// Sign returns a token for state, valid for userID until ttl has passed.
// It is signed with the current key only.
func (s *Signer) Sign(userID, state string, ttl time.Duration) string {
	payload, _ := json.Marshal(signed{User: userID, Expires: s.now().Add(ttl).Unix(), State: state})
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(s.keys[0], p))
}

// Verify returns the state of a token issued by Sign for userID, with the
// current key or a previous one. EUnauthenticated when the token is
// missing, malformed, forged, expired or was issued for another user.
func (s *Signer) Verify(userID, token string) (string, error) {
	refuse := bot.Errorf(bot.EUnauthenticated, "this dialog or button is not valid (anymore); run the command again")
	i := len(token) - 1
	for i >= 0 && token[i] != '.' {
		i--
	}
	if i <= 0 {
		return "", refuse
	}
	p, sig := token[:i], token[i+1:]
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !s.signedByAKey(p, got) {
		return "", refuse
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(p)
	if err != nil {
		return "", refuse
	}
	var v signed
	if err := json.Unmarshal(payload, &v); err != nil {
		return "", refuse
	}
	if v.User != userID || s.now().Unix() > v.Expires {
		return "", refuse
	}
	return v.State, nil
}

// signedByAKey reports whether sig is payload's MAC under one of the keys.
// Every key is tried, so the time does not tell which one matched.
func (s *Signer) signedByAKey(payload string, sig []byte) bool {
	ok := false
	for _, k := range s.keys {
		if hmac.Equal(sig, mac(k, payload)) {
			ok = true
		}
	}
	return ok
}

func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("playbooks/v1\n"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}
