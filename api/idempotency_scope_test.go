package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
)

// accessToken issues an access token to the client by the token endpoint.
func (e *oauthEnv) accessToken(t *testing.T, id, secret string) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	e.tokenCall(t, tokenRequest{basic: [2]string{id, secret}, form: "grant_type=client_credentials"}).
		want(t, http.StatusOK).decode(t, &tok)
	return tok.AccessToken
}

// TestIdempotencyKeyPerUserNotToken: a key belongs to the user (and what
// they may touch), not to the token that sent it. An OAuth client's
// retry after its access token expired comes with a new token: it must
// replay, as must the same key from another token of the same user; the
// same key from another user's token creates anew.
func TestIdempotencyKeyPerUserNotToken(t *testing.T) {
	forEachOAuthKind(t, api.AuthThrottle{}, func(t *testing.T, e *oauthEnv) {
		id, secret := e.createClient(t, bot.ScopeWrite) // acts as e.userID in e.teamID
		first := e.accessToken(t, id, secret)
		key := ptr("retry-after-refresh")
		body := e.playbookBody("Incident")
		r1 := e.keyed(t, first, key, "POST", "/playbooks", body).want(t, http.StatusCreated)

		// The first token expires; the client gets a new one and retries.
		e.now.Add((api.DefaultOAuthTokenTTL + time.Minute).Milliseconds())
		e.keyed(t, first, nil, "GET", "/playbooks?team_id="+e.teamID, nil).want(t, http.StatusUnauthorized)
		second := e.accessToken(t, id, secret)
		if second == first {
			t.Fatal("the client got the same access token twice")
		}
		wantSameAnswer(t, r1, e.keyed(t, second, key, "POST", "/playbooks", body))
		// An API token of the same user, for the same team.
		wantSameAnswer(t, r1, e.keyed(t, e.newToken(t, e.userID, e.teamID), key, "POST", "/playbooks", body))
		if n := e.playbookCount(t); n != 1 {
			t.Errorf("got %d playbooks after the same user's retries, want 1", n)
		}

		// Another user of the same team: the key is theirs to use anew.
		r := e.keyed(t, e.newToken(t, bot.NewID(), e.teamID), key, "POST", "/playbooks", body).want(t, http.StatusCreated)
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another user's request was answered as a replay: %s", r.body)
		}
		if n := e.playbookCount(t); n != 2 {
			t.Errorf("got %d playbooks after another user's request, want 2", n)
		}
	})
}
