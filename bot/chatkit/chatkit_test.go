package chatkit

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestGuard checks that a panic is answered with status 200 and the
// fallback when nothing was written yet, and that done sees the status.
func TestGuard(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range []struct {
		name       string
		next       http.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{"panic", func(http.ResponseWriter, *http.Request) { panic("boom") }, http.StatusOK, `{"text":"internal error"}`},
		{"panic after an answer", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			panic("boom")
		}, http.StatusTeapot, ""},
		{"answer", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, http.StatusAccepted, struct{}{}) }, http.StatusAccepted, "{}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logged int
			h := Guard(log, "test request", map[string]string{"text": "internal error"}, tt.next,
				func(_ *http.Request, status int, _ time.Duration) { logged = status })
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/x", nil))
			if w.Code != tt.wantStatus || strings.TrimSpace(w.Body.String()) != tt.wantBody || logged != tt.wantStatus {
				t.Errorf("status %d, body %q, logged %d; want %d, %q", w.Code, w.Body.String(), logged, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestTextHelpers(t *testing.T) {
	if got := TruncateRunes("ééééé", 3); got != "éé…" {
		t.Errorf("TruncateRunes = %q", got)
	}
	if got := WithSuffix(strings.Repeat("a", 8)+"-b", "x1y2z", 12, "-"); got != "aaaaaa-x1y2z" {
		t.Errorf("WithSuffix = %q", got)
	}
	if s := RandomSuffix(); len(s) != 5 {
		t.Errorf("RandomSuffix = %q", s)
	}
	r := bot.Run{ActiveStage: 1, ActiveStageTitle: "Fix\nit", Checklists: make([]bot.Checklist, 3)}
	if got := StageSummary(r, 4, 9, func(s string) string { return "<" + s + ">" }); got != "Stage 2 of 3: <Fix it> · 4/9 items done" {
		t.Errorf("StageSummary = %q", got)
	}
	if got := StageSummary(bot.Run{}, 0, 0, nil); got != "This run has no checklists." {
		t.Errorf("StageSummary of no checklists = %q", got)
	}
}
