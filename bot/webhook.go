package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxWebhookAttempts is how many delivery attempts a webhook gets before the
// dispatcher gives up on it.
const MaxWebhookAttempts = 10

const (
	// WebhookSecretPrefix marks a PLAYBOOKS_WEBHOOK_SECRET given the
	// Standard Webhooks way: the key, base64-encoded, after the prefix.
	WebhookSecretPrefix = "whsec_"
	// minWebhookKey is the shortest key a whsec_ secret may carry, the
	// Standard Webhooks minimum (192 bits); minWebhookSecret the shortest
	// plain secret, as before.
	minWebhookKey    = 24
	minWebhookSecret = 32

	webhookBackoffBase     = 5 * time.Second
	webhookBackoffCap      = time.Hour
	webhookDefaultTolerate = 5 * time.Minute
)

// WebhookError is the error of a failed delivery attempt.
type WebhookError struct {
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Permanent reports that retrying cannot help: the URL is invalid or its
	// destination is refused. Non-2xx answers, timeouts and network errors
	// are not permanent.
	Permanent bool
	// Err is the cause, nil for a non-2xx answer.
	Err error
}

func (e *WebhookError) Error() string {
	switch {
	case e.Err != nil && e.Status != 0:
		return fmt.Sprintf("webhook: status %d: %v", e.Status, e.Err)
	case e.Err != nil:
		return "webhook: " + e.Err.Error()
	default:
		return fmt.Sprintf("webhook: status %d %s", e.Status, http.StatusText(e.Status))
	}
}

// Unwrap returns the cause.
func (e *WebhookError) Unwrap() error { return e.Err }

// WebhookKey returns the HMAC key that signs webhooks the Standard Webhooks
// way (https://www.standardwebhooks.com) for a PLAYBOOKS_WEBHOOK_SECRET:
//   - "whsec_" and standard base64 (padded, as the spec's libraries decode
//     it): the decoded bytes, at least 24 of them. A receiver passes the
//     secret to its library as it is.
//   - anything else, at least 32 bytes: the secret's own bytes, as the
//     existing X-Playbooks-Signature uses them. A receiver passes these
//     bytes to its library as a raw key (Go: NewWebhookRaw; Python:
//     Webhook(secret.encode())), or their base64, "whsec_"-prefixed or not.
//
// Errors never contain the secret.
func WebhookKey(secret string) ([]byte, error) {
	if enc, ok := strings.CutPrefix(secret, WebhookSecretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, errors.New("webhook secret: whsec_ is not followed by base64")
		}
		if len(key) < minWebhookKey {
			return nil, fmt.Errorf("webhook secret: whsec_ key of %d bytes, want at least %d", len(key), minWebhookKey)
		}
		return key, nil
	}
	if len(secret) < minWebhookSecret {
		return nil, fmt.Errorf("webhook secret: %d bytes, want at least %d (or whsec_ and a base64 key)", len(secret), minWebhookSecret)
	}
	return []byte(secret), nil
}

// SignWebhook returns the webhook-signature header of a Standard Webhooks
// delivery: "v1," and the base64 HMAC-SHA256 under key of
// "<id>.<timestamp>.<body>", where id is the webhook-id header (the
// delivery ID) and timestamp the webhook-timestamp header (Unix seconds).
func SignWebhook(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// PlaybooksSignature is the X-Playbooks-Signature value: "v1=" and the hex
// HMAC-SHA256 of "<timestamp>.<body>" under key.
//
// Deprecated: it does not cover the delivery ID; receivers verify
// webhook-signature (SignWebhook) instead. Sent until the next major
// release.
func PlaybooksSignature(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Backoff is the wait before attempt n+1 after n failed attempts: 5 s after
// the first, doubling, capped at 1 h, with jitter drawn uniformly from
// [d/2, d] using rnd, which returns values in [0, 1) (math/rand/v2's Float64
// when nil). n below 1 counts as 1.
func Backoff(n int, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	d := webhookBackoffBase
	for i := 1; i < n && d < webhookBackoffCap; i++ {
		d *= 2
	}
	d = min(d, webhookBackoffCap)
	f := min(max(rnd(), 0), 1)
	return d/2 + time.Duration(f*float64(d/2))
}

// VerifyWebhook checks a received delivery by its X-Playbooks-* headers:
// signature (the X-Playbooks-Signature value, possibly several
// comma-separated "v1=" values during a secret rotation) must be the
// signature of timestamp (the X-Playbooks-Timestamp value) and body under
// secret, and timestamp must be within tolerance of now, either way;
// tolerance 0 means 5 minutes. It returns an EUnauthenticated *Error when
// the delivery is not authentic.
//
// Deprecated: receivers verify the Standard Webhooks headers with that
// specification's libraries, keyed as WebhookKey says.
func VerifyWebhook(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return Errorf(EInternal, "webhook secret not set")
	}
	if tolerance <= 0 {
		tolerance = webhookDefaultTolerate
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return Errorf(EUnauthenticated, "invalid webhook timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return Errorf(EUnauthenticated, "webhook timestamp outside the %v window", tolerance)
	}
	want := []byte(PlaybooksSignature([]byte(secret), timestamp, body))
	for _, s := range strings.Split(signature, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), want) {
			return nil
		}
	}
	return Errorf(EUnauthenticated, "invalid webhook signature")
}
