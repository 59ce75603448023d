package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	_ "github.com/lib/pq"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// emptyDatabaseURLs returns the URLs of empty databases to run the
// program against: an SQLite file (in a folder serve must create), and a
// fresh schema of the test Postgres when it answers.
func emptyDatabaseURLs(t testing.TB) map[string]string {
	urls := map[string]string{"sqlite": filepath.Join(t.TempDir(), "sub", "playbooks.db")}
	base := os.Getenv("PLAYBOOKS_TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("postgres", base)
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Postgres at %s and CI is set: %v", base, err)
		}
		t.Logf("SKIPPING Postgres: no server at %s: %v", base, err)
		return urls
	}
	schema := "t_" + bot.NewID()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	urls["postgres"] = u.String()
	return urls
}

// testDatabaseURLs returns the URLs of the databases a test of the whole
// program runs against, migrated already (copies of storetest's
// templates, so that each serve does not migrate anew): an SQLite file,
// and a Postgres database of its own when the test Postgres answers (as
// emptyDatabaseURLs decides).
func testDatabaseURLs(t testing.TB) map[string]string {
	t.Helper()
	urls := map[string]string{"sqlite": storetest.MigratedURL(t, storetest.SQLite)}
	if _, ok := emptyDatabaseURLs(t)["postgres"]; ok {
		urls["postgres"] = storetest.MigratedURL(t, storetest.Postgres)
	}
	return urls
}

// server is a running `playbooks serve`.
type server struct {
	URL string
}

// startServer runs the whole program's serve on port 0 and waits until it
// listens; it is stopped when the test ends.
func startServer(t testing.TB, env map[string]string) *server {
	t.Helper()
	if env["PLAYBOOKS_LISTEN"] == "" {
		env["PLAYBOOKS_LISTEN"] = "127.0.0.1:0"
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, getenv, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not start: %v", err)
	}
	go io.Copy(io.Discard, pr)
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("serve printed %q, want listening on ...", line)
	}
	return &server{URL: addr}
}

// call sends a JSON request with a bearer token and decodes the JSON answer.
func call(t testing.TB, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, url, data, err)
		}
	}
	return resp.StatusCode
}

var secretPattern = regexp.MustCompile(`secret:\s+(\S+)`)

// TestEndToEnd runs the binary's serve and token commands the way an
// operator and a script would, on SQLite and on Postgres, from empty
// databases that serve migrates.
func TestEndToEnd(t *testing.T) {
	for kind, dbURL := range emptyDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			admin := "admin-secret-0123456789"
			env := map[string]string{"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_ADMIN_TOKEN": admin}
			getenv := func(k string) string { return env[k] }
			var out bytes.Buffer
			if err := run(ctx, []string{"migrate"}, getenv, &out, io.Discard); err != nil {
				t.Fatalf("migrate: %v", err)
			}

			team, other, user := bot.NewID(), bot.NewID(), bot.NewID()
			out.Reset()
			if err := run(ctx, []string{"token", "create", "--user", user, "--team", team}, getenv, &out, io.Discard); err != nil {
				t.Fatalf("token create: %v", err)
			}
			m := secretPattern.FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("token create printed %q, want a secret", out.String())
			}
			token := m[1]
			if err := run(ctx, []string{"token", "create", "--user", user}, getenv, io.Discard, io.Discard); err == nil {
				t.Errorf("token create with neither --team nor --admin succeeded, want an error")
			}

			srv := startServer(t, env)
			base := srv.URL + "/plugins/playbooks/api/v0"

			if code := call(t, "GET", base+"/playbooks?team_id="+team, "", nil, nil); code != 401 {
				t.Errorf("no token: got %d, want 401", code)
			}
			if code := call(t, "GET", base+"/playbooks?team_id="+other, token, nil, nil); code != 403 {
				t.Errorf("other team: got %d, want 403", code)
			}

			var created struct{ ID string }
			code := call(t, "POST", base+"/playbooks", token, map[string]any{
				"title": "Outage", "team_id": team, "create_public_playbook_run": false, "member_ids": []string{user},
				"checklists": []any{map[string]any{"title": "Triage", "items": []any{
					map[string]any{"title": "Page the on-call", "command": "/oncall page dba"}, map[string]any{"title": "Open a bridge"}}}},
			}, &created)
			if code != 201 || created.ID == "" {
				t.Fatalf("create playbook: got %d %+v, want 201 with an id", code, created)
			}
			var r bot.Run
			code = call(t, "POST", base+"/runs", token, map[string]any{
				"name": "DB down", "owner_user_id": user, "team_id": team, "playbook_id": created.ID,
			}, &r)
			if code != 201 || r.ID == "" {
				t.Fatalf("create run: got %d, want 201", code)
			}
			if r.ChannelID != "" {
				t.Errorf("channel_id = %q with no chat platform, want empty", r.ChannelID)
			}
			if code := call(t, "PUT", fmt.Sprintf("%s/runs/%s/checklists/0/item/1/state", base, r.ID), token,
				map[string]string{"new_state": "closed"}, nil); code != 200 {
				t.Fatalf("check item: got %d, want 200", code)
			}
			if code := call(t, "POST", base+"/runs/"+r.ID+"/status", token,
				map[string]any{"message": "Bridge open, DBA paged", "reminder": 600}, nil); code != 200 {
				t.Fatalf("status update: got %d, want 200", code)
			}
			var errBody map[string]string
			if code := call(t, "PUT", base+"/runs/"+r.ID+"/checklists/0/item/7/state", token,
				map[string]string{"new_state": "closed"}, &errBody); code != 400 || errBody["error"] == "" {
				t.Errorf("out-of-range item: got %d %v, want 400 with an error", code, errBody)
			}
			if code := call(t, "PUT", base+"/runs/"+r.ID+"/checklists/0/item/0/run", token, nil, &errBody); code != 400 ||
				!strings.Contains(errBody["error"]+errBody["details"], "no chat platform configured") {
				t.Errorf("item run without chat: got %d %v, want 400 no chat platform configured", code, errBody)
			}

			var got bot.Run
			if code := call(t, "GET", base+"/runs/"+r.ID, admin, nil, &got); code != 200 {
				t.Fatalf("get run as bootstrap admin: got %d, want 200", code)
			}
			if st := got.Checklists[0].Items[1].State; st != "closed" {
				t.Errorf("item state = %q, want closed", st)
			}
			if len(got.StatusUpdates) != 1 || got.StatusUpdates[0].Reminder != 600 {
				t.Errorf("status updates = %+v, want one with reminder 600", got.StatusUpdates)
			}
			if n := len(got.TimelineEvents); n != 4 {
				t.Errorf("timeline has %d events, want 4 (created, checked, status, reminder set)", n)
			}

			// Revoking the token locks its holder out at once.
			out.Reset()
			if err := run(ctx, []string{"token", "list"}, getenv, &out, io.Discard); err != nil || !strings.Contains(out.String(), user) {
				t.Fatalf("token list: %v %q", err, out.String())
			}
			id := strings.Fields(strings.Split(out.String(), "\n")[1])[0]
			if err := run(ctx, []string{"token", "revoke", id}, getenv, io.Discard, io.Discard); err != nil {
				t.Fatalf("token revoke: %v", err)
			}
			if code := call(t, "GET", base+"/runs/"+r.ID, token, nil, nil); code != 401 {
				t.Errorf("revoked token: got %d, want 401", code)
			}
		})
	}
}

// TestConfig checks the environment is read as docs/operating.md and
// docs/configuration.md say.
func TestConfig(t *testing.T) {
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":8080" || c.DatabaseURL != "./data/playbooks.db" || c.Admin.UserID != defaultAdminUserID {
		t.Errorf("defaults = %+v, want :8080, ./data/playbooks.db, %s", c, defaultAdminUserID)
	}
	secret := strings.Repeat("s", 32)
	mm := func(kv ...string) map[string]string {
		env := map[string]string{
			"PLAYBOOKS_MATTERMOST_URL": "https://chat.example.com/", "PLAYBOOKS_MATTERMOST_BOT_TOKEN": "bot",
			"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS": "a, b,", "PLAYBOOKS_PUBLIC_URL": "https://bot.example.com",
			"PLAYBOOKS_SECRET": secret,
		}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string // in the error; "" for none
	}{
		{"invalid admin user id", map[string]string{"PLAYBOOKS_ADMIN_USER_ID": "Nope"}, "PLAYBOOKS_ADMIN_USER_ID"},
		{"short admin token", map[string]string{"PLAYBOOKS_ADMIN_TOKEN": "short"}, "PLAYBOOKS_ADMIN_TOKEN"},
		{"mattermost complete", mm(), ""},
		{"mattermost half configured", mm("PLAYBOOKS_SECRET", "", "PLAYBOOKS_PUBLIC_URL", ""), "PLAYBOOKS_PUBLIC_URL, PLAYBOOKS_SECRET"},
		{"mattermost bad url", mm("PLAYBOOKS_MATTERMOST_URL", "chat.example.com"), "PLAYBOOKS_MATTERMOST_URL must be"},
		{"short secret", mm("PLAYBOOKS_SECRET", "x"), "PLAYBOOKS_SECRET must be at least 32"},
		{"plugin secret short", mm("PLAYBOOKS_MATTERMOST_PLUGIN_SECRET", "short"), "PLAYBOOKS_MATTERMOST_PLUGIN_SECRET must be at least 32"},
		{"neither command tokens nor plugin secret", mm("PLAYBOOKS_MATTERMOST_COMMAND_TOKENS", ""),
			"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS (or PLAYBOOKS_MATTERMOST_PLUGIN_SECRET, in plugin mode)"},
		{"link secret short", map[string]string{"PLAYBOOKS_LINK_SECRET": "short"}, "PLAYBOOKS_LINK_SECRET must be at least 32"},
		{"webhook secret short", map[string]string{"PLAYBOOKS_WEBHOOK_SECRET": "short"}, "PLAYBOOKS_WEBHOOK_SECRET must be at least 32"},
		{"webhook secret reused", map[string]string{"PLAYBOOKS_WEBHOOK_SECRET": secret, "PLAYBOOKS_SECRET": secret}, "must differ from PLAYBOOKS_SECRET"},
		{"webhook timeout garbage", map[string]string{"PLAYBOOKS_WEBHOOK_TIMEOUT": "soon"}, "PLAYBOOKS_WEBHOOK_TIMEOUT"},
		{"public url not http", map[string]string{"PLAYBOOKS_PUBLIC_URL": "playbooks.example.com"}, "PLAYBOOKS_PUBLIC_URL must be"},
		{"slack half configured", map[string]string{"PLAYBOOKS_SLACK_BOT_TOKEN": "xoxb-1"}, "PLAYBOOKS_SECRET, PLAYBOOKS_SLACK_SIGNING_SECRET"},
		{"slack bad api url", mm("PLAYBOOKS_SLACK_BOT_TOKEN", "xoxb-1", "PLAYBOOKS_SLACK_SIGNING_SECRET", "s", "PLAYBOOKS_SLACK_API_URL", "nope"), "PLAYBOOKS_SLACK_API_URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.want == "" {
				if err != nil {
					t.Fatalf("loadConfig: %v", err)
				}
				if m, _ := c.Chats[mattermost.Platform].(mattermostConfig); m.URL != "https://chat.example.com" || !slices.Equal(m.CommandTokens, []string{"a", "b"}) {
					t.Errorf("mattermost config = %+v", c.Chats)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loadConfig error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	// The details-link key: given, derived from PLAYBOOKS_SECRET, or none.
	linkKey := func(env map[string]string) []byte {
		c, err := loadConfig(func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("loadConfig(%v): %v", env, err)
		}
		return c.LinkSecret
	}
	given := strings.Repeat("l", 32)
	if got := linkKey(map[string]string{"PLAYBOOKS_LINK_SECRET": given}); string(got) != given {
		t.Errorf("PLAYBOOKS_LINK_SECRET not used as the link key")
	}
	derived := linkKey(map[string]string{"PLAYBOOKS_SECRET": secret})
	if len(derived) < 32 || string(derived) == secret {
		t.Errorf("link key derived from PLAYBOOKS_SECRET = %x, want a distinct 32-byte key", derived)
	}
	if got := linkKey(map[string]string{}); len(got) != 0 {
		t.Errorf("link key with no secrets = %x, want none (the page then needs a token)", got)
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Errorf("unknown command accepted")
	}
}
