package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// TestTokenCommandsAudited: token create|list|revoke go through the
// admin use cases: the new flags reach the token, list shows them, and the
// audit log has the issue and the revocation via=cli, never the secret.
func TestTokenCommandsAudited(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			env := []string{"PLAYBOOKS_DATABASE_URL=" + dbURL}
			if r := runCLI(t, env, "migrate"); r.code != 0 {
				t.Fatalf("migrate: %+v", r)
			}
			user := bot.NewID()
			before := time.Now()
			r := runCLI(t, env, "token", "create", "--user", user, "--admin", "--name", "status page", "--expires-in", "48h")
			if r.code != 0 {
				t.Fatalf("token create: %+v", r)
			}
			m := secretPattern.FindStringSubmatch(r.stdout)
			id := regexp.MustCompile(`token id:\s+(\S+)`).FindStringSubmatch(r.stdout)
			if m == nil || id == nil || !strings.Contains(r.stdout, "expires:") {
				t.Fatalf("token create printed %q, want an id, a secret and the expiry", r.stdout)
			}
			secret := m[1]
			for _, bad := range [][]string{
				{"token", "create", "--user", user, "--admin", "--expires-in", "9000h"},
				{"token", "create", "--user", user, "--admin", "--expires-in", "-1h"},
				{"token", "create", "--user", user, "--admin", "--expires-in", "soon"},
			} {
				if r := runCLI(t, env, bad...); r.code == 0 {
					t.Errorf("%v succeeded, want an error", bad)
				}
			}

			r = runCLI(t, env, "token", "list")
			if r.code != 0 {
				t.Fatalf("token list: %+v", r)
			}
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "NAME") || !strings.Contains(lines[0], "LAST USED") ||
				!strings.Contains(lines[0], "EXPIRES") || !strings.Contains(lines[0], "CREATED BY") {
				t.Fatalf("token list printed %q, want a header with NAME, CREATED BY, LAST USED, EXPIRES and one token", r.stdout)
			}
			if !strings.Contains(lines[1], "status page") || strings.Contains(r.stdout, secret) {
				t.Errorf("token list line %q: want the name and never the secret", lines[1])
			}
			if r := runCLI(t, env, "token", "revoke", id[1]); r.code != 0 {
				t.Fatalf("token revoke: %+v", r)
			}
			if r := runCLI(t, env, "token", "revoke", id[1]); r.code != 0 {
				t.Errorf("token revoke again: %+v, want it to succeed", r)
			}

			ctx := context.Background()
			db, err := store.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tok, err := db.TokenByID(ctx, id[1])
			if err != nil {
				t.Fatal(err)
			}
			wantExpiry := before.Add(48 * time.Hour).UnixMilli()
			if tok.Name != "status page" || tok.ExpireAt < wantExpiry || tok.ExpireAt > time.Now().Add(48*time.Hour).UnixMilli() || tok.RevokeAt == 0 {
				t.Errorf("stored token %+v: want name %q, expiry 48h after its creation, revoked", tok, "status page")
			}
			events, _, err := db.ListAudit(ctx, bot.AuditFilter{SubjectID: id[1], PerPage: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events {
				got = append(got, e.Action+" via "+e.Via)
				if strings.Contains(e.Details, secret) || e.Address != "" {
					t.Errorf("audit event %+v: want no secret and no address from the command line", e)
				}
			}
			slices.Sort(got) // within one millisecond, their order is the IDs'
			want := []string{bot.AuditTokenCreate + " via cli", bot.AuditTokenRevoke + " via cli"}
			if !slices.Equal(got, want) {
				t.Errorf("audit of the token: %q, want %q", got, want)
			}
		})
	}
}
