package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestRequestIDStandalone checks the API served alone: a sane incoming
// X-Request-Id is kept, an insane one replaced, and the one log line names
// the ID and the matched route's template.
func TestRequestIDStandalone(t *testing.T) {
	e := newEnv(t, storetest.SQLite, nil)
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"sane", "trace-" + bot.NewID(), true},
		{"insane", "bad\tid", false},
		{"too long", strings.Repeat("x", 129), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Authorization": {"Bearer " + e.token}, "X-Request-Id": {tc.in}}
			r := e.send(t, "GET", "/playbooks?team_id="+e.teamID, h, nil)
			id := r.header.Get("X-Request-Id")
			if (id == tc.in) != tc.kept || !bot.SaneRequestID(id) {
				t.Fatalf("X-Request-Id %q for incoming %q, want it kept: %v", id, tc.in, tc.kept)
			}
			var lines []map[string]any
			for _, l := range e.logs.lines(t) {
				if l["request_id"] == id {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || lines[0]["route"] != api.BasePath+"/playbooks" || lines[0]["operation"] != "getPlaybooks" {
				t.Errorf("log lines %v, want one with route %s/playbooks and operation getPlaybooks", lines, api.BasePath)
			}
		})
	}
}

// TestRequestLogAnnotated checks the API within an outer access logger (a
// bot.RequestLog in the context): it logs no line of its own, keeps the
// outer ID (in an internal error's details too) and annotates the record
// with the route's template, the operation, the user and the error.
func TestRequestLogAnnotated(t *testing.T) {
	db := storetest.Open(t, storetest.SQLite)
	svc := bot.NewService(bot.Config{Store: db})
	logs := &syncBuffer{}
	h := api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	secret, _, err := svc.CreateToken(t.Context(), "u1aaaaaaaaaaaaaaaaaaaaaaaa", []string{"t1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string) (*bot.RequestLog, *httptest.ResponseRecorder) {
		rl := &bot.RequestLog{ID: "outer-" + bot.NewID()}
		req := httptest.NewRequest("GET", api.BasePath+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		req = req.WithContext(bot.WithRequestLog(req.Context(), rl))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rl, rec
	}
	attrs := func(rl *bot.RequestLog) map[string]string {
		m := map[string]string{}
		for _, a := range rl.Attrs() {
			m[a.Key] = a.Value.String()
		}
		return m
	}

	rl, rec := serve("/runs/" + bot.NewID())
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown run: %d, want 404", rec.Code)
	}
	if got := rl.Route(); got != api.BasePath+"/runs/{id}" {
		t.Errorf("route %q, want the template %s/runs/{id}", got, api.BasePath)
	}
	if a := attrs(rl); a["operation"] != "getPlaybookRun" || a["user_id"] != "u1aaaaaaaaaaaaaaaaaaaaaaaa" || a["error"] == "" {
		t.Errorf("annotations %v, want operation getPlaybookRun, user_id and the error", a)
	}

	rl, rec = serve("/nowhere")
	if rec.Code != http.StatusNotFound || rl.Route() != "" {
		t.Errorf("unknown path: %d, route %q; want 404 and no route (the access logger's unmatched)", rec.Code, rl.Route())
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	rl, rec = serve("/playbooks?team_id=t1")
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), rl.ID) {
		t.Errorf("internal error: %d %s, want 500 naming the outer request ID %s", rec.Code, rec.Body, rl.ID)
	}
	if rec.Header().Get("X-Request-Id") != "" {
		t.Errorf("the API set X-Request-Id %q: the outer logger's to set", rec.Header().Get("X-Request-Id"))
	}
	for _, l := range logs.lines(t) {
		if l["msg"] == "http request" {
			t.Errorf("the API logged its own request line within an outer logger: %v", l)
		}
	}
}
