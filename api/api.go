// Package api is the REST API v0 of playbooks, a drop-in for the Mattermost
// Playbooks plugin's API (shared/openapi/playbooks-v0.yaml). Every route is
// under BasePath and registered in routes.go. A request is authenticated by
// its bearer token, decoded (decode.go), handed to exactly one bot.Service
// use case, and its error, if any, translated once (error.go) to a status
// code and the spec's {"error","details"} body. Each request is logged once,
// when it ends, with log/slog. openapi.yaml, embedded and served by
// openapi.go, documents every route: v0 unchanged plus our extensions.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gorilla/mux"

	"github.com/playbooks-bot/playbooks/bot"
)

// BasePath is the prefix of every route, as the plugin serves them.
const BasePath = "/plugins/playbooks/api/v0"

// Config holds what the API needs.
type Config struct {
	Service *bot.Service // required
	Logger  *slog.Logger // slog.Default() when nil
	// AuthThrottle limits failed authentications per client address; the
	// zero value does not throttle.
	AuthThrottle AuthThrottle
	// OAuthTokenTTL is the lifetime of the access tokens POST /oauth/token
	// issues; DefaultOAuthTokenTTL when 0.
	OAuthTokenTTL time.Duration
	// Delegated, when set, authenticates the requests a trusted
	// intermediary makes for a user (the companion Mattermost plugin):
	// claimed reports whether r says it comes from one, and when it does,
	// Delegated's answer alone decides; no bearer token is looked at.
	Delegated func(r *http.Request) (a bot.Actor, claimed bool, err error)
}

// New returns the handler of the REST API. It panics when cfg.Service is
// nil, a wiring mistake no request could recover from.
func New(cfg Config) http.Handler {
	if cfg.Service == nil {
		panic("api.New: Config.Service is required")
	}
	s := &server{svc: cfg.Service, log: cfg.Logger, throttle: newThrottle(cfg.AuthThrottle), tokenTTL: cfg.OAuthTokenTTL, delegated: cfg.Delegated,
		proxies: &throttle{trusted: cfg.AuthThrottle.TrustedProxies}}
	if s.tokenTTL <= 0 {
		s.tokenTTL = DefaultOAuthTokenTTL
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	docs, err := servedDocuments()
	if err != nil {
		panic("api.New: " + err.Error()) // the embedded document is tested: a build mistake
	}
	s.docYAML, s.docJSON = docs.yaml, docs.json
	s.router = s.routes()
	return s.logRequests(s.router)
}

// server holds the dependencies of the handlers.
type server struct {
	svc       *bot.Service
	log       *slog.Logger
	delegated func(*http.Request) (bot.Actor, bool, error) // nil: none
	router    *mux.Router
	throttle  *throttle // nil: no throttling
	// proxies finds the client address the audit log records (audit.go),
	// behind the trusted proxies whether throttling is on or off; only its
	// clientAddr is used.
	proxies  *throttle
	keys     keyLocks      // the Idempotency-Keys in use (idempotency.go)
	tokenTTL time.Duration // of OAuth2 access tokens (oauth.go)
	// the served OpenAPI document and its JSON form (openapi.go)
	docYAML, docJSON document
}

// handlerFunc is a handler that returns its error for handle to translate,
// so that errors are written in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h: it names the request's operation (the spec's
// operationId) for the error details and the log, authenticates the bearer
// token (unless its client is throttled, see authenticate), puts the actor
// in the context, and writes h's error, if any.
func (s *server) handle(op string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl := requestLogFrom(r.Context())
		rl.op = op
		// Where the request comes from, for the audit of a credential's
		// use (bot.WithOrigin) and of changes made through it.
		r = r.WithContext(bot.WithOrigin(r.Context(), s.origin(r, bot.ViaREST)))
		a, err := s.authenticate(r)
		if err == nil {
			err = checkScope(r, a)
		}
		if err == nil {
			rl.userID = a.UserID
			r = r.WithContext(context.WithValue(r.Context(), actorKey{}, a))
			err = h(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeJSON writes v as the JSON body of a response with the given status.
// It writes nothing when v cannot be encoded, so the caller can still send
// an error.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // the client is gone if this fails; nothing to tell it
	return nil
}

// requestLog collects what the single log line of a request reports.
type requestLog struct {
	id     string
	route  string // the matched route's path template; "" for none
	op     string
	userID string
	err    error // the error the response was made from
	// client is the address failed authentications are counted against,
	// for the lines of 401s and 429s when throttling is on.
	client string
}

type requestLogKey struct{}

// requestLogFrom returns the request's log record; a throwaway one when the
// handler runs without logRequests (it always does within New).
func requestLogFrom(ctx context.Context) *requestLog {
	if rl, ok := ctx.Value(requestLogKey{}).(*requestLog); ok {
		return rl
	}
	return &requestLog{}
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

// logRequests is the edge: it gives each request an ID (X-Request-Id), turns
// a panic into a 500, and logs the request once when it ends, with the
// cause of an internal error. Within an outer access logger (a
// bot.RequestLog in the context, see package observe) the request keeps
// that logger's ID and the API annotates its record instead of logging a
// line of its own, so that each request has exactly one.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		outer := bot.RequestLogFrom(r.Context())
		rl := &requestLog{}
		if outer != nil {
			rl.id = outer.ID
		} else {
			rl.id = r.Header.Get("X-Request-Id")
			if !bot.SaneRequestID(rl.id) {
				rl.id = bot.NewID()
			}
			w.Header().Set("X-Request-Id", rl.id)
		}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), requestLogKey{}, rl))
		defer func() {
			// A handler that cut its answer short (http.ErrAbortHandler,
			// as a failing stream does) is still logged, then aborted.
			v := recover()
			abort := v == http.ErrAbortHandler
			if v != nil && !abort {
				err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
				if sw.status == 0 {
					s.writeError(sw, r, err)
				}
				rl.err = err
			}
			if outer != nil {
				annotate(outer, rl)
			} else {
				s.logRequest(r, rl, sw.status, time.Since(start))
			}
			if abort {
				panic(v)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// noteRoute records the path template of the route mux matched, for the
// log line and the metrics: a bounded label, unlike the path.
func noteRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cr := mux.CurrentRoute(r); cr != nil {
			if tpl, err := cr.GetPathTemplate(); err == nil {
				requestLogFrom(r.Context()).route = tpl
			}
		}
		next.ServeHTTP(w, r)
	})
}

// annotate adds what the API learnt of a request to the outer access
// logger's record. The outer line has its own client (the peer); the
// address failed authentications are counted against (which may come
// from a trusted proxy's header) is auth_client.
func annotate(outer *bot.RequestLog, rl *requestLog) {
	if rl.route != "" {
		outer.SetRoute(rl.route)
	}
	var attrs [4]slog.Attr
	n := 0
	for _, a := range []struct{ k, v string }{{"operation", rl.op}, {"user_id", rl.userID}, {"auth_client", rl.client}} {
		if a.v != "" {
			attrs[n] = slog.String(a.k, a.v)
			n++
		}
	}
	if rl.err != nil {
		attrs[n] = slog.String("error", rl.err.Error())
		n++
	}
	outer.Add(attrs[:n]...)
}

// logRequest writes the one log line of a request: at error level with the
// cause for a 5xx, at info level otherwise.
func (s *server) logRequest(r *http.Request, rl *requestLog, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("request_id", rl.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("duration_ms", d.Milliseconds()),
	}
	if rl.route != "" {
		attrs = append(attrs, slog.String("route", rl.route))
	}
	if rl.op != "" {
		attrs = append(attrs, slog.String("operation", rl.op))
	}
	if rl.userID != "" {
		attrs = append(attrs, slog.String("user_id", rl.userID))
	}
	if rl.client != "" {
		attrs = append(attrs, slog.String("client", rl.client))
	}
	level := slog.LevelInfo
	if rl.err != nil {
		attrs = append(attrs, slog.String("error", rl.err.Error()))
	}
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}
