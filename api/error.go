package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/playbooks-bot/playbooks/bot"
)

// errorBody is the body of every error response: the spec's Error schema,
// both keys always present.
type errorBody struct {
	Error   string `json:"error"`
	Details string `json:"details"`
}

// statusError is an error of HTTP itself, which bot has no code for: a path
// no route serves, a method a path does not serve, a body over the limit.
type statusError struct {
	status  int
	message string
	details string
	// retryAfter, when set, is sent as Retry-After (a 429's).
	retryAfter time.Duration
}

func (e *statusError) Error() string { return e.message }

// statusOf is the one translation of errors to status codes.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	switch bot.ErrorCode(err) {
	case bot.ENotFound:
		return http.StatusNotFound
	case bot.EInvalid:
		return http.StatusBadRequest
	case bot.EConflict:
		return http.StatusConflict
	case bot.EForbidden:
		return http.StatusForbidden
	case bot.EUnauthenticated:
		return http.StatusUnauthorized
	case bot.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError writes err as an error response. The user sees the message of a
// *bot.Error or *statusError; any other error shows as "internal error", its
// cause only logged, under the request ID that the details give.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	rl := requestLogFrom(r.Context())
	rl.err = err
	status := statusOf(err)
	body := errorBody{Error: bot.ErrorMessage(err), Details: where(r, rl)}
	var (
		se *statusError
		be *bot.Error
	)
	switch {
	case status == http.StatusInternalServerError:
		body.Error = "internal error"
		body.Details = fmt.Sprintf("%s failed on the server; its cause is logged under request_id %s", where(r, rl), rl.id)
	case errors.As(err, &se):
		body.Error = se.message
		if se.details != "" {
			body.Details += ": " + se.details
		}
	case errors.As(err, &be) && be.Field != "":
		body.Details += ": field " + be.Field
	}
	setStatusHeaders(w, status, err)
	if err := writeJSON(w, status, body); err != nil { // a struct of two strings always encodes
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// retryAfterUnavailable is how long a client is asked to wait (Retry-After)
// when the database is unavailable: about what a Postgres restart or
// failover takes.
const retryAfterUnavailable = 5 * time.Second

// setStatusHeaders sets the headers an error status comes with:
// WWW-Authenticate on 401 and on a read token's 403 (see challenge), Retry-After on 503 (the error's
// bot.RetryAfter when it has one) and on a *statusError that says how long to wait (429).
func setStatusHeaders(w http.ResponseWriter, status int, err error) {
	var se *statusError
	switch {
	case errors.As(err, &se) && se.retryAfter > 0:
		w.Header().Set("Retry-After", retryAfterSeconds(se.retryAfter))
	case status == http.StatusUnauthorized && bot.IsInvalidToken(err):
		// RFC 6750 section 3.1: a token was sent, unknown, revoked or expired.
		w.Header().Set("WWW-Authenticate", `Bearer realm="playbooks", error="invalid_token"`)
	case challenge(status, err) != "":
		w.Header().Set("WWW-Authenticate", challenge(status, err))
	case status == http.StatusServiceUnavailable:
		// As long as whoever refused said (a chat platform's rate limit),
		// else as long as a database restart takes.
		d := retryAfterUnavailable
		if ra := bot.RetryAfter(err); ra > 0 {
			d = ra
		}
		w.Header().Set("Retry-After", retryAfterSeconds(d))
	}
}

// retryAfterSeconds formats d as Retry-After's whole seconds, rounded up
// and at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// where names the request: its operation (the spec's operationId), method
// and path.
func where(r *http.Request, rl *requestLog) string {
	if rl.op == "" {
		return fmt.Sprintf("%s %s", r.Method, r.URL.Path)
	}
	return fmt.Sprintf("%s (%s %s)", rl.op, r.Method, r.URL.Path)
}

// notFound answers a path no route serves.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &statusError{
		status:  http.StatusNotFound,
		message: "no such API route",
		details: "the API is served under " + BasePath,
	})
}

// methodNotAllowed answers a known path asked with a method it does not
// serve, and lists those it does in the Allow header.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.writeError(w, r, &statusError{
		status:  http.StatusMethodNotAllowed,
		message: fmt.Sprintf("method %s is not allowed on this path", r.Method),
		details: "allowed: " + strings.Join(allowed, ", "),
	})
}
