package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
)

// TestClientCommands runs `client create|list|revoke` and a serve with
// PLAYBOOKS_OAUTH_TOKEN_TTL, on SQLite and on Postgres: the client the
// command line creates gets tokens of that lifetime from the whole
// server with the standard Go client, the list never shows the secret,
// the revocation refuses the live token, and serve's log holds no secret.
func TestClientCommands(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			env := map[string]string{"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_OAUTH_TOKEN_TTL": "2m"}
			getenv := func(k string) string { return env[k] }
			cli := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(ctx, args, getenv, &out, io.Discard)
				return out.String(), err
			}
			if _, err := cli("migrate"); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			team, user := bot.NewID(), bot.NewID()
			for _, bad := range [][]string{
				{"--name", "n", "--scope", "read", "--user", user},                      // neither --team nor --admin
				{"--name", "n", "--scope", "admin", "--user", user, "--team", team},     // unknown scope
				{"--name", "", "--scope", "read", "--user", user, "--team", team},       // no name
				{"--name", "n", "--scope", "read", "--user", "no/such", "--team", team}, // not an ID
			} {
				if out, err := cli(append([]string{"client", "create"}, bad...)...); err == nil {
					t.Errorf("client create %v: printed %q, want an error", bad, out)
				}
			}
			out, err := cli("client", "create", "--name", "status page", "--scope", "read", "--user", user, "--team", team)
			if err != nil {
				t.Fatalf("client create: %v", err)
			}
			id := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(out)
			secret := regexp.MustCompile(`client secret:\s+(pbc_\S+)`).FindStringSubmatch(out)
			if id == nil || secret == nil {
				t.Fatalf("client create printed %q, want an id and a pbc_ secret", out)
			}
			list, err := cli("client", "list")
			if err != nil {
				t.Fatalf("client list: %v", err)
			}
			if !strings.Contains(list, id[1]) || !strings.Contains(list, "status page") || strings.Contains(list, secret[1]) ||
				strings.Contains(list, bot.HashToken(secret[1])) {
				t.Errorf("client list printed %q, want the client without its secret or hash", list)
			}

			srv, logs := startServerLogs(t, env)
			cfg := clientcredentials.Config{ClientID: id[1], ClientSecret: secret[1], TokenURL: srv.URL + api.TokenPath}
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if d := time.Until(tok.Expiry); d > 2*time.Minute || d < time.Minute { // expires_in 120, not 600
				t.Errorf("token expires in %v, want about 2m (expires_in %v)", d, tok.Extra("expires_in"))
			}
			c := cfg.Client(ctx)
			get := func() int {
				res, err := c.Get(srv.URL + api.BasePath + "/playbooks?team_id=" + team)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if code := get(); code != http.StatusOK {
				t.Fatalf("GET with the client's token: %d, want 200", code)
			}
			if _, err := cli("client", "revoke", id[1]); err != nil {
				t.Fatalf("client revoke: %v", err)
			}
			if code := get(); code != http.StatusUnauthorized {
				t.Errorf("GET after client revoke: %d, want 401", code)
			}
			var re *oauth2.RetrieveError
			if _, err := cfg.Token(ctx); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
				t.Errorf("token after client revoke: %v, want invalid_client", err)
			}
			for name, secret := range map[string]string{"client secret": secret[1], "access token": tok.AccessToken} {
				if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), bot.HashToken(secret)) {
					t.Errorf("the %s (or its hash) is in serve's log", name)
				}
			}
			if !strings.Contains(logs.String(), api.TokenPath) {
				t.Errorf("serve's log has no line of %s: is it the log of this server?", api.TokenPath)
			}
			if _, err := cli("client", "revoke", bot.NewID()); err == nil || !strings.Contains(err.Error(), "not found") {
				t.Errorf("client revoke of nothing: %v, want not found", err)
			}
			if list, _ = cli("client", "list"); !regexp.MustCompile(`\d{4}-\d\d-\d\dT[^ ]+Z\s*\n$`).MatchString(list) {
				t.Errorf("client list after revoke printed %q, want its revocation time last", list)
			}
		})
	}
}

// TestOAuthTokenTTLConfig: the default and the range of
// PLAYBOOKS_OAUTH_TOKEN_TTL.
func TestOAuthTokenTTLConfig(t *testing.T) {
	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.OAuthTokenTTL != 10*time.Minute {
		t.Errorf("default: got %v, want 10m", c.OAuthTokenTTL)
	}
	for _, v := range []string{"soon", "30s", "25h", "-1m"} {
		_, err := loadConfig(func(k string) string { return map[string]string{"PLAYBOOKS_OAUTH_TOKEN_TTL": v}[k] })
		if err == nil || !strings.Contains(err.Error(), "PLAYBOOKS_OAUTH_TOKEN_TTL") {
			t.Errorf("PLAYBOOKS_OAUTH_TOKEN_TTL=%s: error %v, want one naming the variable", v, err)
		}
	}
}
