package observe

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// Healthz answers 200 while the process serves HTTP: it touches no
// database, so a load balancer or orchestrator restarts a replica only
// when the process itself is stuck.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot.RequestLogFrom(r.Context()).SetRoute("/healthz")
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readyz answers 200 when ready (store.DB.Ready) returns nil within
// timeout (2 s when 0), and otherwise 503 with Retry-After and the
// reason in the spec's error body: the message of ready's *bot.Error,
// safe to show anyone, never its cause, which goes to the log line.
func Readyz(ready func(context.Context) error, timeout time.Duration) http.Handler {
	timeout = cmpOr(timeout, 2*time.Second)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl := bot.RequestLogFrom(r.Context())
		rl.SetRoute("/readyz")
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		err := ready(ctx)
		if err == nil {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
			return
		}
		reason := bot.ErrorMessage(err)
		if ctx.Err() != nil {
			reason = "database did not answer within " + timeout.String()
		}
		rl.Add(slog.String("error", err.Error()))
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "not ready", Details: reason})
	})
}
