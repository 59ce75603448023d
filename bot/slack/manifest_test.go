package slack_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	slackgo "github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"

	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// baseURL is the placeholder of manifest.yaml for the server's public URL.
const baseURL = "https://playbooks.example.com"

// TestManifest keeps manifest.yaml in sync with the code: it decodes into
// slack-go's Manifest with no unknown field, every URL is a path the
// Handler serves, the slash command's usage hint is the registry's, and
// the bot scopes are exactly those the Client's Web API methods need.
func TestManifest(t *testing.T) {
	raw, err := os.ReadFile("../../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m slackgo.Manifest
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode manifest.yaml: %v", err)
	}
	if m.Display.Name != "Playbooks" || m.Features.BotUser.DisplayName != "playbooks" || !m.Features.BotUser.AlwaysOnline {
		t.Errorf("display name %q, bot user %+v", m.Display.Name, m.Features.BotUser)
	}
	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("%d slash commands, want 1", len(m.Features.SlashCommands))
	}
	sc := m.Features.SlashCommands[0]
	if sc.Command != "/playbook" || sc.UsageHint != commands.AutocompleteHint() || sc.ShouldEscape || sc.Description == "" {
		t.Errorf("slash command %+v; want /playbook, usage hint %q, not escaped", sc, commands.AutocompleteHint())
	}
	in := m.Settings.Interactivity
	if in == nil || !in.IsEnabled {
		t.Fatal("interactivity is not enabled")
	}
	if diff := cmp.Diff(slack.Scopes(), slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))); diff != "" {
		t.Errorf("bot scopes (-code +manifest):\n%s", diff)
	}

	// Every URL is served: a signed request to its path is not a 404.
	e := newEnv(t, storetest.SQLite)
	for name, u := range map[string]string{
		"slash command": sc.Url, "interactivity": in.RequestUrl, "options": in.MessageMenuOptionsUrl,
	} {
		path, ok := strings.CutPrefix(u, baseURL)
		if !ok {
			t.Errorf("%s URL %q is not under %s", name, u, baseURL)
			continue
		}
		resp, err := e.sl.Send(context.Background(), path, url.Values{"payload": {`{"type":"none"}`}})
		if err != nil || resp.Status == http.StatusNotFound || resp.Status == http.StatusMethodNotAllowed {
			t.Errorf("%s URL %s: %v, status %d; want it served", name, u, err, resp.Status)
		}
	}
}

// TestScopeTable: every scope of the table is one Slack knows for bots.
func TestScopeTable(t *testing.T) {
	known := map[string]bool{
		"channels:manage": true, "channels:read": true, "chat:write": true, "commands": true,
		"groups:read": true, "groups:write": true, "team:read": true, "users:read": true,
	}
	for _, s := range slack.Scopes() {
		if !known[s] {
			t.Errorf("scope %q is not a known bot scope", s)
		}
	}
}
