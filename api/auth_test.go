package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

func TestAuthorizationHeader(t *testing.T) {
	e := newEnv(t, storetest.SQLite, nil)
	for _, tt := range []struct {
		name   string
		header string
		want   int
	}{
		{name: "bearer", header: "Bearer " + e.token, want: http.StatusOK},
		{name: "scheme in lower case", header: "bearer " + e.token, want: http.StatusOK},
		{name: "scheme in upper case", header: "BEARER " + e.token, want: http.StatusOK},
		{name: "extra spaces", header: "  Bearer   " + e.token + "  ", want: http.StatusOK},
		{name: "scheme only", header: "Bearer", want: http.StatusUnauthorized},
		{name: "token only", header: e.token, want: http.StatusUnauthorized},
		{name: "other scheme", header: "Token " + e.token, want: http.StatusUnauthorized},
		{name: "token with a suffix", header: "Bearer " + e.token + "x", want: http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(t, "GET", "/playbooks?team_id="+e.teamID, http.Header{"Authorization": {tt.header}}, nil)
			if tt.want == http.StatusOK {
				r.want(t, http.StatusOK)
				return
			}
			r.wantError(t, tt.want)
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("got no WWW-Authenticate header on a 401")
			}
		})
	}
}

// TestAdminToken checks the bootstrap admin acts in every team.
func TestAdminToken(t *testing.T) {
	admin := bot.BootstrapAdmin{Secret: "admin-secret", UserID: bot.NewID()}
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, storetest.SQLite), Admin: admin})
	srv := httptest.NewServer(api.New(api.Config{Service: svc, Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	for _, team := range []string{bot.NewID(), bot.NewID()} {
		req, _ := http.NewRequest("GET", srv.URL+api.BasePath+"/playbooks?team_id="+team, nil)
		req.Header.Set("Authorization", "Bearer admin-secret")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("team %s: got status %d, want 200", team, res.StatusCode)
		}
	}
}
