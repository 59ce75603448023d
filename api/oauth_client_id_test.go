package api_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
)

// TestTokenEndpointBadClientID: a client_id that no client can have (a
// NUL, bytes that are not UTF-8, far too long), sent by form or by HTTP
// Basic (form-urlencoded or raw), is a failed client authentication like
// any unknown client: 401 invalid_client with the RFC 6749 error body,
// and nothing logged as an ERROR (it is the client's mistake, not the
// server's).
func TestTokenEndpointBadClientID(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		id, secret := e.createClient(t, bot.ScopeRead)
		grant := "grant_type=client_credentials"
		for _, bad := range []struct{ name, id string }{
			{"NUL", id[:10] + "\x00" + id[10:]},
			{"only NUL", "\x00"},
			{"invalid UTF-8", id[:10] + "\xff\xfe" + id[10:]},
			{"truncated UTF-8", "client\xc3"},
			{"over-long", strings.Repeat("a", 10000)},
		} {
			for _, tc := range []tokenRequest{
				{name: bad.name + " by form", form: grant + "&client_id=" + url.QueryEscape(bad.id) + "&client_secret=" + url.QueryEscape(secret)},
				{name: bad.name + " by Basic", basic: [2]string{bad.id, secret}, form: grant},
				{name: bad.name + " by raw Basic", authz: "Basic " + base64.StdEncoding.EncodeToString([]byte(bad.id+":"+secret)), form: grant},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := e.tokenCall(t, tc).want(t, http.StatusUnauthorized)
					wantChallenge(t, r, `Basic realm="playbooks"`)
					var body map[string]any
					r.decode(t, &body)
					if desc, _ := body["error_description"].(string); body["error"] != "invalid_client" || desc == "" || len(body) != 2 {
						t.Errorf("got body %s, want exactly error invalid_client and an error_description", r.body)
					}
				})
			}
		}
		for _, l := range e.logs.lines(t) {
			if l["level"] == "ERROR" {
				t.Errorf("got an ERROR logged: %v", l)
			}
		}
	})
}
