package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
)

// The curl flow of the API guide's "OAuth2 client credentials" is the
// section between these markers.
const (
	oauthDoc   = "docs/api.md"
	oauthBegin = "<!-- oauth:begin"
	oauthEnd   = "<!-- oauth:end"
)

// oauthLearnt are the variables the OAuth2 flow has the reader set from
// an earlier answer.
var oauthLearnt = []string{"CLIENT_ID", "CLIENT_SECRET", "ACCESS_TOKEN"}

var (
	clientIDPattern     = regexp.MustCompile(`client id:\s+(\S+)`)
	clientSecretPattern = regexp.MustCompile(`client secret:\s+(\S+)`)
)

// TestReadmeOAuthFlow runs the OAuth2 flow of docs/api.md command by
// command with bash and the tour's runner, against the program serving a
// fresh SQLite file as the tour's step 1 starts it: client create, a token
// got with curl, a read and a refused write with it, the client revoked
// and the token refused.
func TestReadmeOAuthFlow(t *testing.T) {
	needTools(t, "the OAuth2 flow")
	blocks := shBlocks(t, readDoc(t, oauthDoc), oauthBegin, oauthEnd)

	tr := newTourRunner(t, oauthDoc+" OAuth2 flow")
	tr.steps, tr.signsLinks = oauthSteps(tr), true
	tr.bash(t, "the tour's step 1", "export PLAYBOOKS_PUBLIC_URL="+tr.origin+" PLAYBOOKS_SECRET=$(openssl rand -hex 32)")
	tr.serve(t, "the tour's step 1")
	var n int
	for _, block := range blocks {
		for _, c := range splitCommands(t, block) {
			n++
			tr.runOAuth(t, n, c)
		}
	}
	if len(tr.steps) > 0 {
		t.Fatalf("the OAuth2 flow ends before step %q", tr.steps[0].name)
	}
	if tr.learnt["CLIENT_ID"] == "" {
		t.Fatal("the OAuth2 flow never creates a client")
	}
}

// runOAuth runs command n of the OAuth2 flow: an export (the learnt
// variables substituted), the program, or curl, checked by the next step.
func (tr *tourRunner) runOAuth(t *testing.T, n int, c tourCommand) {
	t.Helper()
	where := fmt.Sprintf("%s, command %d:\n%s", tr.name, n, strings.TrimSpace(c.src))
	src := strings.ReplaceAll(c.src, tourOrigin, tr.origin)
	t.Logf("OAuth2 flow command %d: %s", n, strings.SplitN(strings.TrimSpace(c.src), "\n", 2)[0])
	switch cmd := c.stmt.Cmd.(type) {
	case *syntax.DeclClause:
		if cmd.Variant.Value != "export" {
			t.Fatalf("%s\nthe flow may only export variables", where)
		}
		parts := []string{"export"}
		for _, a := range cmd.Args {
			text := c.src[a.Pos().Offset()-c.off : a.End().Offset()-c.off]
			if a.Name != nil && slices.Contains(oauthLearnt, a.Name.Value) {
				v, ok := tr.learnt[a.Name.Value]
				if !ok {
					t.Fatalf("%s\nsets %s before the answer it comes from", where, a.Name.Value)
				}
				text = a.Name.Value + "=" + shellQuote(t, v)
			}
			parts = append(parts, text)
		}
		tr.bash(t, where, strings.Join(parts, " ")+"\n")
	case *syntax.CallExpr:
		var words []string
		for _, w := range cmd.Args {
			words = append(words, w.Lit())
		}
		switch {
		case len(words) > 4 && slices.Equal(words[:3], strings.Fields(tourProgram)) && words[3] == "client":
			out := tr.bash(t, where, strings.Replace(src, tourProgram, "playbooks", 1))
			if words[4] == "create" {
				id, secret := clientIDPattern.FindStringSubmatch(out), clientSecretPattern.FindStringSubmatch(out)
				if id == nil || secret == nil {
					t.Fatalf("%s\nprinted %q, want a client id and secret", where, out)
				}
				tr.learnt["CLIENT_ID"], tr.learnt["CLIENT_SECRET"] = id[1], secret[1]
			}
		case len(words) > 0 && words[0] == "curl":
			tr.curl(t, where, src)
		default:
			t.Fatalf("%s\nthe flow may only export variables, run %q client and curl", where, tourProgram)
		}
	default:
		t.Fatalf("%s\nthe flow may only export variables, run %q client and curl", where, tourProgram)
	}
}

// oauthSteps are the curls of the OAuth2 flow in order.
func oauthSteps(tr *tourRunner) []tourStep {
	playbooks := func() string { return regexp.QuoteMeta(api.BasePath + "/playbooks") }
	challenge := func(a tourAnswer, want string) error {
		if got := a.header.Get("WWW-Authenticate"); !strings.Contains(got, want) {
			return fmt.Errorf("got WWW-Authenticate %q, want it to say %s", got, want)
		}
		return nil
	}
	return []tourStep{
		{"get an access token", "POST", func() string { return regexp.QuoteMeta(api.TokenPath) }, http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				var tok struct {
					AccessToken string `json:"access_token"`
					TokenType   string `json:"token_type"`
					ExpiresIn   int    `json:"expires_in"`
					Scope       string `json:"scope"`
				}
				if err := json.Unmarshal(a.body, &tok); err != nil || !strings.HasPrefix(tok.AccessToken, bot.AccessTokenPrefix) {
					return fmt.Errorf("want an access token: %v", err)
				}
				if tok.TokenType != "Bearer" || tok.ExpiresIn != 600 || tok.Scope != "read" {
					return fmt.Errorf("got %+v, want a Bearer token of scope read for 600 s", tok)
				}
				if a.header.Get("Cache-Control") != "no-store" {
					return fmt.Errorf("got Cache-Control %q, want no-store", a.header.Get("Cache-Control"))
				}
				tr.learnt["ACCESS_TOKEN"] = tok.AccessToken
				return nil
			}},
		{"read with it", "GET", playbooks, http.StatusOK, func(*testing.T, string, tourAnswer) error { return nil }},
		{"write with it", "POST", playbooks, http.StatusForbidden,
			func(_ *testing.T, _ string, a tourAnswer) error { return challenge(a, `error="insufficient_scope"`) }},
		{"read after the revocation", "GET", playbooks, http.StatusUnauthorized,
			func(_ *testing.T, _ string, a tourAnswer) error { return challenge(a, `error="invalid_token"`) }},
	}
}
