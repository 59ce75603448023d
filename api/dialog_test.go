package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestDialogEndpointsNeedToken checks that the spec's three dialog paths
// are REST calls like any other, judged by their bearer token: a request
// without one (the shape of a chat platform's dialog submission, which no
// longer comes here) or with an unknown one gets 401 and the spec's error
// body, never a dialog handler's answer.
func TestDialogEndpointsNeedToken(t *testing.T) {
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, "sqlite")})
	srv := httptest.NewServer(api.New(api.Config{Service: svc}))
	t.Cleanup(srv.Close)
	run := bot.NewID()
	submission := `{"type":"dialog_submission","callback_id":"start_run","state":"x","user_id":"` + bot.NewID() +
		`","channel_id":"` + bot.NewID() + `","team_id":"` + bot.NewID() + `","submission":{"name":"DB down"}}`
	for _, path := range []string{"/runs/dialog", "/runs/" + run + "/end", "/runs/" + run + "/next-stage-dialog"} {
		for _, auth := range []string{"", "Bearer not-a-token"} {
			t.Run(path+" "+auth, func(t *testing.T) {
				req, _ := http.NewRequest("POST", srv.URL+api.BasePath+path, strings.NewReader(submission))
				req.Header.Set("Content-Type", "application/json")
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body struct{ Error, Details string }
				if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusUnauthorized || body.Error == "" || body.Details == "" {
					t.Errorf("got %d %+v, want 401 with the spec's error body", resp.StatusCode, body)
				}
			})
		}
	}
}
