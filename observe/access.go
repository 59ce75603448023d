package observe

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// Unmatched is the route label of a request no handler claimed (an
// unknown path): one label for them all keeps the metrics bounded.
const Unmatched = "unmatched"

// Handler returns next wrapped in the access logger: it takes the
// request's ID from a sane incoming X-Request-Id (bot.SaneRequestID) or
// makes one, returns it in X-Request-Id, puts a bot.RequestLog in the
// request's context for the handlers within to annotate, turns a panic
// into a 500, and when the request ends writes its one log line and, when
// m is not nil, its metrics. Within a request that already has a
// RequestLog it only serves next, so nesting it logs nothing twice.
func Handler(next http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return &accessLog{next: next, log: log, m: m}
}

type accessLog struct {
	next http.Handler
	log  *slog.Logger
	m    *Metrics
}

func (a *accessLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if bot.RequestLogFrom(r.Context()) != nil {
		a.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if !bot.SaneRequestID(id) {
		id = bot.NewID()
	}
	rl := &bot.RequestLog{ID: id}
	w.Header().Set("X-Request-Id", id)
	sw := &statusWriter{ResponseWriter: w}
	outer := r.Context()
	r = r.WithContext(bot.WithRequestLog(outer, rl))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { // the server's way to cut a response: logged, passed on
				rl.Add(slog.Bool("aborted", true)) // not "error": the handler may have logged its cause there
				a.done(outer, r, rl, sw.status, time.Since(start))
				panic(v)
			}
			rl.Add(slog.Any("error", v))
			a.log.ErrorContext(outer, "http handler panicked", "request_id", id, "panic", v)
			if sw.status == 0 {
				writeJSON(sw, http.StatusInternalServerError, errorBody{Error: "internal error",
					Details: "the request failed on the server; its cause is logged under request_id " + id})
			}
		}
		a.done(outer, r, rl, sw.status, time.Since(start))
	}()
	a.next.ServeHTTP(sw, r)
}

// done writes the request's log line and metrics. The line is at error
// level for a 5xx, at info level otherwise, and logged with ctx, the
// request's context without its RequestLog (see WithRequestID).
func (a *accessLog) done(ctx context.Context, r *http.Request, rl *bot.RequestLog, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	route := rl.Route()
	if route == "" {
		route = Unmatched
	}
	platform, command := rl.Chat()
	if a.m != nil {
		a.m.observeRequest(route, r.Method, status, d, platform, command)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !a.log.Enabled(ctx, level) {
		return
	}
	extra := rl.Attrs()
	attrs := make([]slog.Attr, 0, 8+len(extra))
	attrs = append(attrs,
		slog.String("request_id", rl.ID),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("client", clientHost(r.RemoteAddr)),
	)
	attrs = append(attrs, extra...)
	a.log.LogAttrs(ctx, level, "http request", attrs...)
}

// clientHost is the host of a RemoteAddr, the address as is when it has
// no port.
func clientHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// statusWriter remembers the status code written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
