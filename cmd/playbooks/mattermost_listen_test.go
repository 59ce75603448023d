package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestSetupListenAddress: the PLAYBOOKS_LISTEN setup prints listens where
// the public URL says Mattermost reaches the bot, and no wider: on the
// loopback interface for a loopback URL (every interface would expose
// the bot to the network for nothing), on every interface otherwise; and
// serve accepts it.
func TestSetupListenAddress(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	admin := mm.AddAdmin("root", team.Id)
	for _, c := range []struct{ public, listen string }{
		{"http://127.0.0.1:9901", "127.0.0.1:9901"},
		{"http://127.0.0.1:9901/", "127.0.0.1:9901"},
		{"http://localhost:9901", "127.0.0.1:9901"},
		{"http://LOCALHOST:9901", "127.0.0.1:9901"},
		{"http://127.0.0.2:9901", "127.0.0.2:9901"},
		{"http://[::1]:9901", "[::1]:9901"},
		{"http://127.0.0.1", "127.0.0.1:80"},
		{"https://localhost:8443", "127.0.0.1:8080"},
		{"http://10.0.0.5:9901", ":9901"},
		{"http://playbooks.internal:9901", ":9901"},
		{"https://playbooks.internal", ":8080"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"mattermost", "setup", "--url", mm.URL, "--token", mm.AddToken(admin.Id),
			"--team", "acme", "--public-url", c.public}, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatalf("%s: mattermost setup: %v", c.public, err)
		}
		env := printedEnv(t, out.String())
		if env["PLAYBOOKS_LISTEN"] != c.listen {
			t.Errorf("public URL %s: got PLAYBOOKS_LISTEN=%s, want %s", c.public, env["PLAYBOOKS_LISTEN"], c.listen)
		}
		if cfg, err := loadConfig(func(k string) string { return env[k] }); err != nil || cfg.Listen != c.listen {
			t.Errorf("public URL %s: serve's config from the printed environment: %v, listen %q", c.public, err, cfg.Listen)
		}
	}
}
