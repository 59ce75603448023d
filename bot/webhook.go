package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// PlaybooksSignature is the X-Playbooks-Signature value: "v1=" and the hex
// HMAC-SHA256 of "<timestamp>.<body>" under key.
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

// VerifyWebhook checks a received delivery: signature (the
// X-Playbooks-Signature value, possibly several comma-separated "v1=" values
// during a secret rotation) must be the signature of timestamp (the
// X-Playbooks-Timestamp value) and body under secret, and timestamp must be
// within tolerance of now, either way; tolerance 0 means 5 minutes. It
// returns an EUnauthenticated *Error when the delivery is not authentic.
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
