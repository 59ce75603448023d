package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/playbooks-bot/playbooks/bot"
)

// delivery is one request a recordingReceiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// recordingReceiver keeps every delivery, in order.
type recordingReceiver struct {
	*webhookReceiver
	mu  sync.Mutex
	got []delivery
}

func newRecordingReceiver(t *testing.T) *recordingReceiver {
	r := &recordingReceiver{}
	r.webhookReceiver = newWebhookReceiver(t, func(w http.ResponseWriter, req *http.Request) {
		r.webhookReceiver.mu.Lock()
		d := delivery{r.webhookReceiver.header, r.webhookReceiver.body}
		r.webhookReceiver.mu.Unlock()
		r.mu.Lock()
		r.got = append(r.got, d)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	return r
}

func (r *recordingReceiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// TestSendStandardWebhooks sends deliveries signed the Standard Webhooks
// way and verifies them with the specification's own Go library, as a
// receiver would: with a whsec_ secret passed as it is, and with a plain
// secret passed as its bytes (NewWebhookRaw) or as their base64 with or
// without the whsec_ prefix (NewWebhook), as docs/api.md tells receivers.
// webhook-id is the delivery ID and stays the same when the delivery is
// sent again; webhook-timestamp is the time of each attempt.
func TestSendStandardWebhooks(t *testing.T) {
	const plain = "0123456789abcdef0123456789abcdef-test"
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("twenty-four random bytes"))
	tests := []struct {
		name      string
		secret    string            // PLAYBOOKS_WEBHOOK_SECRET
		receivers map[string]string // how a receiver passes it to NewWebhook
		raw       []byte            // or to NewWebhookRaw; nil to skip
		legacyKey string            // X-Playbooks-Signature's key
	}{
		{
			name:   "plain secret",
			secret: plain,
			receivers: map[string]string{
				"whsec_ and base64 of the secret": "whsec_" + base64.StdEncoding.EncodeToString([]byte(plain)),
				"base64 of the secret":            base64.StdEncoding.EncodeToString([]byte(plain)),
			},
			raw:       []byte(plain),
			legacyKey: plain,
		},
		{
			name:   "whsec_ secret",
			secret: whsec,
			receivers: map[string]string{
				"the secret as it is": whsec,
			},
			raw:       []byte("twenty-four random bytes"),
			legacyKey: whsec,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newRecordingReceiver(t)
			var offset atomic.Int64 // seconds added to the clock
			w, err := New(Config{Secret: tt.secret, Timeout: 5 * time.Second, AllowHosts: []string{"127.0.0.1"},
				Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load()) * time.Second) }})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			id := bot.NewID()
			body := []byte(`{"id":"` + id + `","name":"DB down"}`)
			// The first attempt, then the same delivery again (a retry, or a
			// redelivery after a crash) 2 s later.
			if err := w.Send(context.Background(), rcv.URL+"/hook", id, body); err != nil {
				t.Fatalf("Send: %v", err)
			}
			offset.Store(2)
			if err := w.Send(context.Background(), rcv.URL+"/hook", id, body); err != nil {
				t.Fatalf("Send again: %v", err)
			}
			got := rcv.deliveries()
			if len(got) != 2 {
				t.Fatalf("deliveries: got %d, want 2", len(got))
			}
			var verifiers []*standardwebhooks.Webhook
			for name, s := range tt.receivers {
				wh, err := standardwebhooks.NewWebhook(s)
				if err != nil {
					t.Fatalf("NewWebhook(%s): %v", name, err)
				}
				verifiers = append(verifiers, wh)
			}
			if tt.raw != nil {
				wh, _ := standardwebhooks.NewWebhookRaw(tt.raw)
				verifiers = append(verifiers, wh)
			}
			var stamps []int64
			for i, d := range got {
				if h := d.header.Get("webhook-id"); h != id {
					t.Errorf("delivery %d: webhook-id %q, want the delivery ID %q", i, h, id)
				}
				ts, err := strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)
				if err != nil {
					t.Errorf("delivery %d: webhook-timestamp %q: %v", i, d.header.Get("webhook-timestamp"), err)
				}
				stamps = append(stamps, ts)
				for j, wh := range verifiers {
					if err := wh.Verify(d.body, d.header); err != nil {
						t.Errorf("delivery %d, receiver %d: Verify: %v", i, j, err)
					}
				}
				// The deprecated headers stay for receivers not yet moved.
				if d.header.Get("X-Playbooks-Delivery") != id {
					t.Errorf("delivery %d: X-Playbooks-Delivery %q, want %q", i, d.header.Get("X-Playbooks-Delivery"), id)
				}
				if err := bot.VerifyWebhook(tt.legacyKey, d.header.Get("X-Playbooks-Timestamp"),
					d.header.Get("X-Playbooks-Signature"), d.body, time.Now(), 0); err != nil {
					t.Errorf("delivery %d: legacy X-Playbooks-Signature: %v", i, err)
				}
			}
			if len(stamps) == 2 && stamps[1]-stamps[0] != 2 {
				t.Errorf("webhook-timestamp of the two attempts: %v, want the second 2 s after the first", stamps)
			}
			if got[0].header.Get("webhook-signature") == got[1].header.Get("webhook-signature") {
				t.Errorf("both attempts carry signature %q; each attempt signs its own timestamp", got[0].header.Get("webhook-signature"))
			}
		})
	}
}

// TestStandardWebhooksTampered: a receiver verifying with the library
// rejects a delivery whose id, timestamp, body or signature was changed,
// and one signed under another secret.
func TestStandardWebhooksTampered(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef-test"
	rcv := newRecordingReceiver(t)
	w, err := New(Config{Secret: secret, Timeout: 5 * time.Second, AllowHosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	id := bot.NewID()
	body := []byte(`{"id":"run1","status":"in progress"}`)
	if err := w.Send(context.Background(), rcv.URL, id, body); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := rcv.deliveries()
	if len(got) != 1 {
		t.Fatalf("deliveries: got %d, want 1", len(got))
	}
	orig := got[0]
	wh, _ := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err := wh.Verify(orig.body, orig.header); err != nil {
		t.Fatalf("Verify the delivery as sent: %v", err)
	}
	ts, _ := strconv.ParseInt(orig.header.Get("webhook-timestamp"), 10, 64)
	tests := []struct {
		name   string
		key    []byte
		header func(http.Header)
		body   []byte
	}{
		{name: "another delivery's id", header: func(h http.Header) { h.Set("webhook-id", bot.NewID()) }},
		{name: "id with a character added", header: func(h http.Header) { h.Set("webhook-id", id+"x") }},
		{name: "timestamp a second later", header: func(h http.Header) { h.Set("webhook-timestamp", strconv.FormatInt(ts+1, 10)) }},
		{name: "timestamp a second earlier", header: func(h http.Header) { h.Set("webhook-timestamp", strconv.FormatInt(ts-1, 10)) }},
		{name: "body changed", body: []byte(`{"id":"run1","status":"resolved"}`)},
		{name: "body with a space added", body: append(append([]byte(nil), orig.body...), ' ')},
		{name: "signature of v2", header: func(h http.Header) {
			h.Set("webhook-signature", "v2,"+h.Get("webhook-signature")[3:])
		}},
		{name: "signature from another secret", key: []byte("another-secret-another-secret-xx")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := orig.header.Clone()
			if tt.header != nil {
				tt.header(h)
			}
			body := orig.body
			if tt.body != nil {
				body = tt.body
			}
			v := wh
			if tt.key != nil {
				v, _ = standardwebhooks.NewWebhookRaw(tt.key)
			}
			err := v.Verify(body, h)
			if !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
				t.Errorf("Verify: got %v, want ErrNoMatchingSignature", err)
			}
		})
	}
}
