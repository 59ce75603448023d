package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestDialogSubmissionsForwarded checks that the spec's three dialog paths
// hand unauthenticated requests (a chat platform's dialog submissions) to
// the configured handler, and that everything else still needs a token.
func TestDialogSubmissionsForwarded(t *testing.T) {
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, "sqlite")})
	var forwarded atomic.Int32
	srv := httptest.NewServer(api.New(api.Config{Service: svc, DialogSubmissions: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded.Add(1)
		w.Write([]byte("{}"))
	})}))
	t.Cleanup(srv.Close)
	bare := httptest.NewServer(api.New(api.Config{Service: svc}))
	t.Cleanup(bare.Close)
	run := bot.NewID()

	tests := []struct {
		name          string
		server        *httptest.Server
		method, path  string
		auth          string
		wantStatus    int
		wantForwarded bool
	}{
		{"start run dialog", srv, "POST", "/runs/dialog", "", 200, true},
		{"end dialog", srv, "POST", "/runs/" + run + "/end", "", 200, true},
		{"next stage dialog", srv, "POST", "/runs/" + run + "/next-stage-dialog", "", 200, true},
		{"end dialog with a bearer stays REST", srv, "POST", "/runs/" + run + "/end", "Bearer nope", 401, false},
		{"other paths need a token", srv, "PUT", "/runs/" + run + "/end", "", 401, false},
		{"no handler configured", bare, "POST", "/runs/dialog", "", 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := forwarded.Load()
			req, _ := http.NewRequest(tt.method, tt.server.URL+api.BasePath+tt.path, strings.NewReader(`{}`))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := forwarded.Load() > before; got != tt.wantForwarded {
				t.Errorf("forwarded = %v, want %v", got, tt.wantForwarded)
			}
		})
	}
}
