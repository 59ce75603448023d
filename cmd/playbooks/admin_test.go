package main

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestAdminLinkCommand checks `playbooks admin link`: a link under the
// public URL for the user, with the asked lifetime; a clear error without
// a public URL, a key or a user.
func TestAdminLinkCommand(t *testing.T) {
	user := bot.NewID()
	full := map[string]string{"PLAYBOOKS_PUBLIC_URL": "https://pb.example.com", "PLAYBOOKS_SECRET": strings.Repeat("s", 32)}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		wantErr  string
		wantCode int
	}{
		{name: "no public URL", env: map[string]string{"PLAYBOOKS_SECRET": strings.Repeat("s", 32)},
			args: []string{"--user", user}, wantErr: "PLAYBOOKS_PUBLIC_URL", wantCode: 1},
		{name: "no key", env: map[string]string{"PLAYBOOKS_PUBLIC_URL": "https://pb.example.com"},
			args: []string{"--user", user}, wantErr: "PLAYBOOKS_SECRET", wantCode: 1},
		{name: "no user", env: full, wantErr: "--user is required", wantCode: 2},
		{name: "ttl too long", env: full, args: []string{"--user", user, "--ttl", "48h"}, wantErr: "24h", wantCode: 1},
		{name: "a stray argument", env: full, args: []string{"--user", user, "extra"}, wantErr: "extra", wantCode: 2},
		{name: "a link", env: full, args: []string{"--user", user, "--ttl", "30m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			start := time.Now()
			err := run(context.Background(), append([]string{"admin", "link"}, tc.args...),
				func(k string) string { return tc.env[k] }, &out, &errOut)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCode(err) != tc.wantCode {
					t.Fatalf("got %v (exit %d), want an error naming %q, exit %d", err, exitCode(err), tc.wantErr, tc.wantCode)
				}
				if out.Len() != 0 {
					t.Errorf("printed %q on failure", out.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			line, _, _ := strings.Cut(out.String(), "\n")
			u, err := url.Parse(line)
			if err != nil || u.Scheme+"://"+u.Host+u.Path != "https://pb.example.com"+bot.AdminLinkPath || u.Query().Get("user") != user {
				t.Fatalf("printed %q, want a link to https://pb.example.com%s for %s", out.String(), bot.AdminLinkPath, user)
			}
			exp, err := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
			lo, hi := start.Add(30*time.Minute).Unix(), time.Now().Add(30*time.Minute).Unix()
			if err != nil || exp < lo || exp > hi {
				t.Errorf("link expires at %d (%v), want %d..%d (30m from now)", exp, err, lo, hi)
			}
		})
	}
}
