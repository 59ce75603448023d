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
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer with the given secret key (at least 32 bytes)
// and clock (time.Now when nil).
func NewSigner(key []byte, now func() time.Time) (*Signer, error) {
	if len(key) < 32 {
		return nil, errors.New("signing secret must be at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: key, now: now}, nil
}

// signed is what a token carries.
type signed struct {
	User    string `json:"u"`
	Expires int64  `json:"e"` // Unix seconds
	State   string `json:"s"`
}

// Sign returns a token for state, valid for userID until ttl has passed.
func (s *Signer) Sign(userID, state string, ttl time.Duration) string {
	payload, _ := json.Marshal(signed{User: userID, Expires: s.now().Add(ttl).Unix(), State: state})
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

// Verify returns the state of a token issued by Sign for userID.
// EUnauthenticated when the token is missing, malformed, forged, expired
// or was issued for another user.
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
	if err != nil || !hmac.Equal(got, s.mac(p)) {
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

func (s *Signer) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("playbooks/v1\n"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}
