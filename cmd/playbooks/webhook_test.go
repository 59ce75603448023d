package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestWebhookDelivered runs serve with webhooks configured: starting a run
// from a playbook with a creation webhook delivers, through the outbox and
// the dispatcher, one signed POST with the run, its details_url included.
func TestWebhookDelivered(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			secret := strings.Repeat("w", 32)
			type delivery struct {
				header http.Header
				body   []byte
			}
			got := make(chan delivery, 4)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- delivery{r.Header.Clone(), b}
			}))
			t.Cleanup(receiver.Close)

			admin := "admin-secret-0123456789"
			srv := startServer(t, map[string]string{
				"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_ADMIN_TOKEN": admin,
				"PLAYBOOKS_PUBLIC_URL": "https://playbooks.example.com", "PLAYBOOKS_WEBHOOK_SECRET": secret,
				"PLAYBOOKS_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "PLAYBOOKS_LINK_SECRET": strings.Repeat("l", 32),
			})
			base := srv.URL + "/plugins/playbooks/api/v0"
			team := bot.NewID()
			var pb struct{ ID string }
			if code := call(t, "POST", base+"/playbooks", admin, map[string]any{
				"title": "Outage", "team_id": team, "create_public_playbook_run": false, "checklists": []any{},
				"webhook_on_creation_url": receiver.URL + "/hook", "webhook_on_creation_enabled": true,
			}, &pb); code != 201 {
				t.Fatalf("create playbook: %d", code)
			}
			var r bot.Run
			if code := call(t, "POST", base+"/runs", admin, map[string]any{
				"name": "DB down", "owner_user_id": bot.NewID(), "team_id": team, "playbook_id": pb.ID,
			}, &r); code != 201 {
				t.Fatalf("create run: %d", code)
			}

			var d delivery
			select {
			case d = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("no webhook delivered within 10 s")
			}
			if err := bot.VerifyWebhook(secret, d.header.Get("X-Playbooks-Timestamp"), d.header.Get("X-Playbooks-Signature"),
				d.body, time.Now(), time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
			// Signed the Standard Webhooks way too: a receiver verifies with
			// that spec's library, the plain secret's bytes as its key.
			wh, _ := standardwebhooks.NewWebhookRaw([]byte(secret))
			if err := wh.Verify(d.body, d.header); err != nil {
				t.Errorf("webhook-signature: %v", err)
			}
			if id := d.header.Get("webhook-id"); len(id) != 26 || id != d.header.Get("X-Playbooks-Delivery") {
				t.Errorf("webhook-id %q, want the delivery (job) ID %q", id, d.header.Get("X-Playbooks-Delivery"))
			}
			var payload struct {
				ID         string `json:"id"`
				DetailsURL string `json:"details_url"`
			}
			if err := json.Unmarshal(d.body, &payload); err != nil {
				t.Fatalf("payload %s: %v", d.body, err)
			}
			if payload.ID != r.ID || !strings.HasPrefix(payload.DetailsURL, "https://playbooks.example.com/") {
				t.Errorf("payload id %q details_url %q; want %s under the public URL", payload.ID, payload.DetailsURL, r.ID)
			}
			// details_url opens the run's page with no token; without its
			// signature the page is refused.
			link, err := url.Parse(payload.DetailsURL)
			if err != nil || link.Query().Get("sig") == "" {
				t.Fatalf("details_url %q, want a signed link", payload.DetailsURL)
			}
			for _, tt := range []struct {
				target string
				status int
			}{{link.RequestURI(), 200}, {link.Path, 401}} {
				resp, err := http.Get(srv.URL + tt.target)
				if err != nil {
					t.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status || (tt.status == 200 && !strings.Contains(string(page), "DB down")) {
					t.Errorf("GET %s: %d, want %d (and the run's page when 200)", tt.target, resp.StatusCode, tt.status)
				}
			}

			select {
			case extra := <-got:
				t.Errorf("a second delivery arrived: %s", extra.body)
			case <-time.After(500 * time.Millisecond):
			}
		})
	}
}
