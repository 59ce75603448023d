package observe_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/observe"
)

// BenchmarkHandler measures what the access logger and the metrics add to
// a request whose handler annotates it as the REST API does, against the
// bare handler: the cost per request, and its allocations.
//
//	go test ./observe -run '^$' -bench Handler -benchmem
func BenchmarkHandler(b *testing.B) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl := bot.RequestLogFrom(r.Context())
		rl.SetRoute("/plugins/playbooks/api/v0/runs/{id}/checklists/{checklist}/item/{item}/state")
		rl.Add(slog.String("operation", "itemSetState"), slog.String("user_id", "knjwyxdayjyazyd7yuy798wsme"))
		w.WriteHeader(http.StatusOK)
	})
	json := slog.New(observe.WithRequestID(slog.NewJSONHandler(io.Discard, nil)))
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", inner},
		{"log", observe.Handler(inner, json, nil)},
		{"log+metrics", observe.Handler(inner, json, observe.NewMetrics(observe.MetricsConfig{}))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("PUT", "/plugins/playbooks/api/v0/runs/x/checklists/0/item/0/state", nil)
			req.Header.Set("X-Request-Id", "bench-request")
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(discardWriter{}, req)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}
