package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/mmplugin"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestPluginRefusalStatus: a plugin request the bot cannot check gets the
// status of why: 401 for a refused signature (a replay among them, saying
// so), 503 when the replay check cannot reach the database (the plugin may
// try again), never a 400 that blames the request.
func TestPluginRefusalStatus(t *testing.T) {
	const secret = "plugin-refusal-test-secret-0123456789"
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	_, botToken := mm.AddBot("playbooks", team.Id)
	alice := mm.AddUser("alice", team.Id)
	signer, err := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	client, err := mattermost.NewClient(mattermost.Config{URL: mm.URL, BotToken: botToken, Signer: signer, PublicURL: srv.URL, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, storetest.SQLite), Chat: client, Logger: logger})
	var (
		mu      sync.Mutex
		seenErr error
		seen    = map[string]bool{}
	)
	verifier, err := mmplugin.NewVerifier(secret, func(_ context.Context, key string, _ time.Duration) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if seenErr != nil {
			return false, seenErr
		}
		fresh := !seen[key]
		seen[key] = true
		return fresh, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := mattermost.NewHandler(mattermost.HandlerConfig{
		Client: client, Plugin: verifier,
		HandlerBase: commands.HandlerBase{Service: svc, Logger: logger, Dispatcher: commands.NewDispatcher(svc).WithUsers(client)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h

	send := func(r *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error
	}
	request := func() *http.Request {
		body := []byte(`{"team_id":"` + team.Id + `","channel_id":"` + mm.AddChannel(team.Id, "town", "O", alice.Id).Id + `","text":"help"}`)
		r, err := http.NewRequest("POST", srv.URL+mmplugin.CommandPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := mmplugin.Sign(r, body, secret, mmplugin.Identity{UserID: alice.Id, TeamIDs: []string{team.Id}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}

	first := request()
	replay := first.Clone(context.Background())
	replay.Body, _ = first.GetBody()
	if code, msg := send(first); code != http.StatusOK {
		t.Fatalf("a signed command: %d %q, want 200", code, msg)
	}
	if code, msg := send(replay); code != http.StatusUnauthorized || !strings.Contains(msg, "replay") {
		t.Errorf("the same request again: %d %q, want 401 saying it is a replay", code, msg)
	}
	mu.Lock()
	seenErr = bot.Errorf(bot.EUnavailable, "the database is unavailable")
	mu.Unlock()
	if code, msg := send(request()); code != http.StatusServiceUnavailable {
		t.Errorf("the replay check without a database: %d %q, want 503", code, msg)
	}
}
