// Package observe is what an operator sees of a running server: one
// access log line per HTTP request with its request ID (Handler), the
// Prometheus metrics (Metrics, served by its Handler), and the health and
// readiness endpoints (Healthz, Readyz). The handlers within (the REST API,
// the chat adapters) annotate the request's bot.RequestLog instead of
// logging their own line, so they need neither this package nor
// Prometheus; the dispatcher reports through bot.JobMetrics, which
// Metrics implements.
package observe

import (
	"encoding/json"
	"net/http"
)

// errorBody is the spec's error body.
type errorBody struct {
	Error   string `json:"error"`
	Details string `json:"details,omitempty"`
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v) // errorBody and status maps always encode
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // the client is gone if this fails
}
