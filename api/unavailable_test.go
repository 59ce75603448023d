package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestDatabaseUnavailable takes the Postgres of a running API away (its
// port closed, its connections cut) and brings it back: meanwhile every
// call, reads, writes and the token check alike, answers 503 with
// Retry-After and the error body, never 500, and never 401 for a token the
// server could not check; afterwards the same server answers again,
// without a restart.
func TestDatabaseUnavailable(t *testing.T) {
	db, outage := storetest.OpenPostgresOutage(t)
	svc := bot.NewService(bot.Config{Store: db})
	logs := &syncBuffer{}
	srv := httptest.NewServer(api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(logs, nil))}))
	t.Cleanup(srv.Close)
	e := &env{kind: storetest.Postgres, db: db, svc: svc, client: srv.Client(), base: srv.URL + api.BasePath,
		logs: logs, userID: bot.NewID(), teamID: bot.NewID()}
	e.token = e.newToken(t, e.userID, e.teamID)
	list := "/playbooks?team_id=" + e.teamID
	e.call(t, "GET", list, nil).want(t, http.StatusOK)
	id := e.createPlaybook(t, e.playbookBody("Before the outage"))

	outage.Stop()
	for _, c := range []struct {
		name, token, method, path string
		body                      any
	}{
		{"list", e.token, "GET", list, nil},
		{"read", e.token, "GET", "/playbooks/" + id, nil},
		{"write", e.token, "POST", "/playbooks", e.playbookBody("During the outage")},
		{"unknown token", "pbk_" + strings.Repeat("0", 64), "GET", list, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.callAs(t, c.token, c.method, c.path, c.body)
			eb := r.wantError(t, http.StatusServiceUnavailable)
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s <= 0 {
				t.Errorf("Retry-After %q, want a positive number of seconds", r.header.Get("Retry-After"))
			}
			if !strings.Contains(eb.Error, "try again") {
				t.Errorf("error %q does not say to try again", eb.Error)
			}
		})
	}
	t.Run("details page", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/runs/"+bot.NewID(), nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
	})

	outage.Start()
	e.call(t, "GET", "/playbooks/"+id, nil).want(t, http.StatusOK)
	e.createPlaybook(t, e.playbookBody("After the outage"))
	e.call(t, "GET", list, nil).want(t, http.StatusOK)
}
