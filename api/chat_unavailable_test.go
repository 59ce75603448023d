package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestPrivateRunChatDown: while Mattermost is down, nobody but an admin
// can be told whether they may see a private run (its channel's members
// decide). A channel member gets what a database outage gets, whatever
// their token: 503 with Retry-After and the spec's error body, never an
// internal error. An admin, who needs no membership, is still served.
func TestPrivateRunChatDown(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			v := newVisibilityEnv(t, kind)
			v.mm.Stop()
			for _, caller := range []string{"member, REST token", "member, Mattermost token", "outsider, REST token"} {
				for _, path := range []string{
					"/runs/" + v.private.ID,
					"/runs/channel/" + v.private.ChannelID,
					"/runs?team_id=" + v.team.Id,
				} {
					t.Run(caller+" "+path, func(t *testing.T) {
						status, body := v.get(t, v.tokens[caller], "GET", api.BasePath+path, nil)
						var e map[string]string
						if err := json.Unmarshal(body, &e); err != nil || status != http.StatusServiceUnavailable || e["error"] == "" || len(e) != 2 {
							t.Fatalf("got %d %s, want 503 with the error body", status, body)
						}
						if _, ok := e["details"]; !ok || strings.Contains(e["error"], "internal") {
							t.Errorf("got body %s, want an error saying to retry and its details", body)
						}
					})
				}
			}
			// The Retry-After, over the raw response.
			req, err := http.NewRequest("GET", v.srv.URL+api.BasePath+"/runs/"+v.private.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+v.tokens["member, REST token"])
			res, err := v.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); res.StatusCode != 503 || err != nil || s <= 0 {
				t.Errorf("got %d Retry-After %q, want 503 with a Retry-After in seconds", res.StatusCode, res.Header.Get("Retry-After"))
			}
			if status, body := v.get(t, v.tokens["admin, REST token"], "GET", api.BasePath+"/runs/"+v.private.ID, nil); status != http.StatusOK {
				t.Errorf("admin: got %d %s, want 200 (an admin needs no membership)", status, body)
			}
		})
	}
}

// membersFailing is fakeChat whose MemberChannels fails with err once err
// is set.
type membersFailing struct {
	fakeChat
	err atomic.Pointer[error]
}

func (c *membersFailing) MemberChannels(ctx context.Context, userID string, ids []string) ([]string, error) {
	if err := c.err.Load(); err != nil {
		return nil, *err
	}
	return c.fakeChat.MemberChannels(ctx, userID, ids)
}

// TestPrivateRunMembersUnanswered: whatever way a chat platform fails to
// say who is in a private run's channel, the caller gets 503 with a
// Retry-After: the platform's own when it said how long to wait (a rate
// limit), else the default; never a 500.
func TestPrivateRunMembersUnanswered(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		retryAfter string
	}{
		{"unreachable", fmt.Errorf("mattermost: membership: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), "5"},
		{"an error without a code", errors.New("mattermost: membership: status 502"), "5"},
		{"rate limited", fmt.Errorf("slack: conversations.members: %w", bot.RateLimitedf(30*time.Second, "Slack asks to wait")), "30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chat := &membersFailing{}
			e := newEnv(t, storetest.Kinds()[0], chat)
			body := e.playbookBody("Private")
			body["create_public_playbook_run"] = false
			pb := e.createPlaybook(t, body)
			var run bot.Run
			e.call(t, "POST", "/runs", map[string]any{"name": "Secret", "playbook_id": pb, "team_id": e.teamID, "owner_user_id": e.userID}).
				want(t, http.StatusCreated).decode(t, &run)
			chat.err.Store(&tc.err)
			for _, path := range []string{"/runs/" + run.ID, "/runs?team_id=" + e.teamID} {
				r := e.call(t, "GET", path, nil)
				got := r.wantError(t, http.StatusServiceUnavailable)
				if got.Error == "internal error" || r.header.Get("Retry-After") != tc.retryAfter {
					t.Errorf("GET %s: got %+v, Retry-After %q; want a message to retry, Retry-After %s", path, got, r.header.Get("Retry-After"), tc.retryAfter)
				}
			}
		})
	}
}
