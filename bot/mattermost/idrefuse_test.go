package mattermost_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestSlashCommandIDShapes checks that the adapter, not the core, refuses
// a slash command whose user, team or channel ID is not a Mattermost ID
// (the core takes any bounded opaque ID): the answer is 200 with a message,
// and nothing changes.
func TestSlashCommandIDShapes(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	good := url.Values{"channel_id": {s.channel}, "team_id": {s.team.Id}, "user_id": {s.alice.Id}, "text": {"finish"}, "token": {s.cmdToken}}
	for _, field := range []string{"user_id", "team_id", "channel_id"} {
		for _, bad := range []string{"U024BE7LH", strings.ToUpper(s.alice.Id), s.alice.Id + "x"} {
			t.Run(field+" "+bad, func(t *testing.T) {
				form := url.Values{}
				for k, v := range good {
					form[k] = v
				}
				form.Set(field, bad)
				res, err := http.PostForm(s.botURL+"/mattermost/command", form)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var resp model.CommandResponse
				if err := json.NewDecoder(res.Body).Decode(&resp); err != nil || res.StatusCode != http.StatusOK {
					t.Fatalf("got %d, %v; want 200 and a command response", res.StatusCode, err)
				}
				if !strings.Contains(resp.Text, "not a Mattermost ID") {
					t.Errorf("got %q, want a refusal naming the ID shape", resp.Text)
				}
				if r := s.run(t, s.channel); !r.IsActive {
					t.Error("the run was finished by a refused command")
				}
			})
		}
	}
}
