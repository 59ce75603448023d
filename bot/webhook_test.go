package bot

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

const testWebhookSecret = "0123456789abcdef0123456789abcdef-test"

var testWebhookNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"a":1}`)
	ts := fmt.Sprint(testWebhookNow.Unix())
	sig := PlaybooksSignature([]byte(testWebhookSecret), ts, body)
	other := PlaybooksSignature([]byte("another-secret-another-secret-xx"), ts, body)
	tests := []struct {
		name      string
		secret    string
		timestamp string
		signature string
		body      []byte
		now       time.Time
		wantCode  string // "" for success
	}{
		{name: "valid", secret: testWebhookSecret, timestamp: ts, signature: sig, body: body, now: testWebhookNow},
		{name: "valid within tolerance after", secret: testWebhookSecret, timestamp: ts, signature: sig, body: body, now: testWebhookNow.Add(5 * time.Minute)},
		{name: "valid within tolerance before", secret: testWebhookSecret, timestamp: ts, signature: sig, body: body, now: testWebhookNow.Add(-5 * time.Minute)},
		{name: "one of rotated signatures", secret: testWebhookSecret, timestamp: ts, signature: other + ", " + sig, body: body, now: testWebhookNow},
		{name: "body changed", secret: testWebhookSecret, timestamp: ts, signature: sig, body: []byte(`{"a":2}`), now: testWebhookNow, wantCode: EUnauthenticated},
		{name: "timestamp changed", secret: testWebhookSecret, timestamp: fmt.Sprint(testWebhookNow.Unix() + 1), signature: sig, body: body, now: testWebhookNow, wantCode: EUnauthenticated},
		{name: "secret changed", secret: "another-secret-another-secret-yy", timestamp: ts, signature: sig, body: body, now: testWebhookNow, wantCode: EUnauthenticated},
		{name: "stale", secret: testWebhookSecret, timestamp: ts, signature: sig, body: body, now: testWebhookNow.Add(5*time.Minute + time.Second), wantCode: EUnauthenticated},
		{name: "from the future", secret: testWebhookSecret, timestamp: ts, signature: sig, body: body, now: testWebhookNow.Add(-6 * time.Minute), wantCode: EUnauthenticated},
		{name: "bad timestamp", secret: testWebhookSecret, timestamp: "yesterday", signature: sig, body: body, now: testWebhookNow, wantCode: EUnauthenticated},
		{name: "no v1 prefix", secret: testWebhookSecret, timestamp: ts, signature: strings.TrimPrefix(sig, "v1="), body: body, now: testWebhookNow, wantCode: EUnauthenticated},
		{name: "empty signature", secret: testWebhookSecret, timestamp: ts, signature: "", body: body, now: testWebhookNow, wantCode: EUnauthenticated},
		{name: "empty secret", secret: "", timestamp: ts, signature: sig, body: body, now: testWebhookNow, wantCode: EInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyWebhook(tt.secret, tt.timestamp, tt.signature, tt.body, tt.now, 5*time.Minute)
			if got := ErrorCode(err); got != tt.wantCode {
				t.Errorf("VerifyWebhook: got code %q (%v), want %q", got, err, tt.wantCode)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	const almostOne = 0.999999
	tests := []struct {
		name     string
		n        int
		min, max time.Duration // result with rnd 0 and rnd almostOne
	}{
		{name: "first", n: 1, min: 2500 * time.Millisecond, max: 5 * time.Second},
		{name: "second", n: 2, min: 5 * time.Second, max: 10 * time.Second},
		{name: "third", n: 3, min: 10 * time.Second, max: 20 * time.Second},
		{name: "ninth", n: 9, min: 640 * time.Second, max: 1280 * time.Second},
		{name: "tenth", n: 10, min: 1280 * time.Second, max: 2560 * time.Second},
		{name: "capped", n: 11, min: 30 * time.Minute, max: time.Hour},
		{name: "far past cap", n: 1000, min: 30 * time.Minute, max: time.Hour},
		{name: "zero counts as one", n: 0, min: 2500 * time.Millisecond, max: 5 * time.Second},
		{name: "negative counts as one", n: -3, min: 2500 * time.Millisecond, max: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Backoff(tt.n, func() float64 { return 0 }); got != tt.min {
				t.Errorf("Backoff(%d, 0): got %v, want %v", tt.n, got, tt.min)
			}
			got := Backoff(tt.n, func() float64 { return almostOne })
			if got > tt.max || got < tt.max-tt.max/1000 {
				t.Errorf("Backoff(%d, ~1): got %v, want just under %v", tt.n, got, tt.max)
			}
			for range 100 {
				if got := Backoff(tt.n, nil); got < tt.min || got > tt.max {
					t.Fatalf("Backoff(%d, nil): got %v, want in [%v, %v]", tt.n, got, tt.min, tt.max)
				}
			}
		})
	}
	if got := Backoff(1, func() float64 { return 7 }); got != 5*time.Second {
		t.Errorf("Backoff(1, 7): got %v, want 5s (rnd clamped)", got)
	}
}

// TestSignWebhook checks SignWebhook against the Standard Webhooks
// reference vector (the spec's Go library's TestWebhookSign) and shows that
// the id, timestamp and body are all signed.
func TestSignWebhook(t *testing.T) {
	key, err := WebhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	const (
		id   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts   = 1614265330
		want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	if got := SignWebhook(key, id, ts, body); got != want {
		t.Errorf("SignWebhook: got %q, want %q", got, want)
	}
	for name, got := range map[string]string{
		"other id":        SignWebhook(key, id+"x", ts, body),
		"other timestamp": SignWebhook(key, id, ts+1, body),
		"other body":      SignWebhook(key, id, ts, []byte(`{"test": 2432232315}`)),
		"other key":       SignWebhook([]byte(testWebhookSecret), id, ts, body),
	} {
		if got == want {
			t.Errorf("%s: signature unchanged", name)
		}
	}
}

// TestWebhookKey: a whsec_ secret carries a base64 key of 24 bytes or
// more; any other secret of 32 bytes or more is its own key, as before.
func TestWebhookKey(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		secret  string
		want    string // the key; "" for an error
		wantErr bool
	}{
		{name: "plain", secret: testWebhookSecret, want: testWebhookSecret},
		{name: "plain hex", secret: strings.Repeat("ab", 32), want: strings.Repeat("ab", 32)},
		{name: "plain base64-looking is its own bytes", secret: b64("32 bytes of key, not a base64 key"), want: b64("32 bytes of key, not a base64 key")},
		{name: "whsec 24 bytes", secret: "whsec_" + b64("twenty-four random bytes"), want: "twenty-four random bytes"},
		{name: "whsec 64 bytes", secret: "whsec_" + b64(strings.Repeat("k", 64)), want: strings.Repeat("k", 64)},
		{name: "plain too short", secret: "0123456789abcdef", wantErr: true},
		{name: "empty", secret: "", wantErr: true},
		{name: "whsec too short", secret: "whsec_" + b64("twenty-three random byte"[:23]), wantErr: true},
		{name: "whsec not base64", secret: "whsec_not*base64*at*all*0123456789abcdef", wantErr: true},
		{name: "whsec unpadded", secret: "whsec_" + strings.TrimRight(b64("twenty-five random bytes!"), "="), wantErr: true},
		{name: "whsec only", secret: "whsec_", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := WebhookKey(tt.secret)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("WebhookKey: got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if len(tt.secret) > 6 && strings.Contains(err.Error(), tt.secret[6:]) {
					t.Errorf("error %q contains the secret", err)
				}
				return
			}
			if string(key) != tt.want {
				t.Errorf("WebhookKey: got %q, want %q", key, tt.want)
			}
		})
	}
}
