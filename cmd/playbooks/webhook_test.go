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

// jsonLogLines returns serve's JSON log lines whose msg contains msg.
func jsonLogLines(t *testing.T, logs, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if s, _ := m["msg"].(string); strings.Contains(s, msg) {
			out = append(out, m)
		}
	}
	return out
}

// TestWebhookSecretWarning checks when serve without
// PLAYBOOKS_WEBHOOK_SECRET warns that webhooks will fail unsent: not at
// the start of a database where nothing could send one, nor for a
// playbook without a webhook; when a playbook is given one (naming it);
// when its webhook then fails unsent; at every start from then on, unless
// the secret is set. (What could send one is store.WebhooksInUse, tested
// on both databases.)
func TestWebhookSecretWarning(t *testing.T) {
	const warning = "PLAYBOOKS_WEBHOOK_SECRET is not set"
	admin := "admin-secret-0123456789"
	env := map[string]string{
		"PLAYBOOKS_DATABASE_URL": testDatabaseURLs(t)["sqlite"], "PLAYBOOKS_ADMIN_TOKEN": admin, "PLAYBOOKS_LOG_FORMAT": "json",
	}
	srv, logs, stop := startServerStop(t, env)
	if got := jsonLogLines(t, logs.String(), warning); len(got) != 0 {
		t.Errorf("warned at the start of an empty database: %v", got)
	}
	base := srv.URL + "/plugins/playbooks/api/v0"
	team := bot.NewID()
	var plain, hooked struct{ ID, Error, Details string }
	if code := call(t, "POST", base+"/playbooks", admin, map[string]any{
		"title": "Plain", "team_id": team, "create_public_playbook_run": false, "checklists": []any{},
		"webhook_on_creation_url": "https://hooks.example.com/c", "webhook_on_creation_enabled": false,
	}, &plain); code != 201 {
		t.Fatalf("create playbook: %d %s %s", code, plain.Error, plain.Details)
	}
	if got := jsonLogLines(t, logs.String(), warning); len(got) != 0 {
		t.Errorf("warned of a playbook without a webhook enabled: %v", got)
	}
	if code := call(t, "POST", base+"/playbooks", admin, map[string]any{
		"title": "Hooked", "team_id": team, "create_public_playbook_run": false, "checklists": []any{},
		"webhook_on_status_update_url": "https://hooks.example.com/s", "webhook_on_status_update_enabled": true,
	}, &hooked); code != 201 {
		t.Fatalf("create playbook: %d %s %s", code, hooked.Error, hooked.Details)
	}
	got := jsonLogLines(t, logs.String(), warning)
	if len(got) != 1 || got[0]["level"] != "WARN" || got[0]["playbook_id"] != hooked.ID {
		t.Errorf("playbook given a webhook: warnings %v, want one WARN naming playbook %s", got, hooked.ID)
	}
	// Its webhook fails unsent, saying why.
	var r bot.Run
	if code := call(t, "POST", base+"/runs", admin, map[string]any{
		"name": "DB down", "owner_user_id": bot.NewID(), "team_id": team, "playbook_id": hooked.ID,
	}, &r); code != 201 {
		t.Fatalf("create run: %d", code)
	}
	if code := call(t, "POST", base+"/runs/"+r.ID+"/status", admin, map[string]any{"message": "looking"}, nil); code != 200 && code != 201 {
		t.Fatalf("status update: %d", code)
	}
	waitFor(t, "the webhook to fail unsent", func() bool {
		for _, l := range jsonLogLines(t, logs.String(), "job failed for good") {
			if e, _ := l["error"].(string); l["level"] == "WARN" && l["run_id"] == r.ID && strings.Contains(e, "PLAYBOOKS_WEBHOOK_SECRET") {
				return true
			}
		}
		return false
	})
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}

	// From then on, every start warns; not with the secret set.
	_, logs, stop = startServerStop(t, env)
	stop()
	if got := jsonLogLines(t, logs.String(), warning); len(got) != 1 || got[0]["level"] != "WARN" {
		t.Errorf("start with a webhook playbook: warnings %v, want one WARN", got)
	}
	env["PLAYBOOKS_WEBHOOK_SECRET"] = strings.Repeat("w", 32)
	_, logs, stop = startServerStop(t, env)
	stop()
	if got := jsonLogLines(t, logs.String(), warning); len(got) != 0 {
		t.Errorf("warned with the secret set: %v", got)
	}
}
