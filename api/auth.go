package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

type actorKey struct{}

// authenticate returns the actor of the request's bearer token:
// "Authorization: Bearer <token>", the scheme in any case. EUnauthenticated
// when the header is missing, uses another scheme, or names no valid token;
// each such failure counts against the client's address, and a client out
// of failures gets a 429 error (with its Retry-After) before its token is
// looked at. An unavailable database (503) is not a failure.
func (s *server) authenticate(r *http.Request) (bot.Actor, error) {
	if d := s.throttle.wait(r); d > 0 {
		requestLogFrom(r.Context()).client = s.throttle.clientAddr(r).String()
		return bot.Actor{}, &statusError{
			status:     http.StatusTooManyRequests,
			message:    "too many failed authentications from this address",
			details:    fmt.Sprintf("try again in %s seconds", retryAfterSeconds(d)),
			retryAfter: d,
		}
	}
	a, err := s.bearer(r)
	if bot.ErrorCode(err) == bot.EUnauthenticated && s.throttle != nil {
		requestLogFrom(r.Context()).client = s.throttle.clientAddr(r).String()
		s.throttle.failed(r)
	}
	return a, err
}

// bearer returns the actor of the request's bearer token.
func (s *server) bearer(r *http.Request) (bot.Actor, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return bot.Actor{}, bot.Errorf(bot.EUnauthenticated, "missing bearer token: send Authorization: Bearer <token>")
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return bot.Actor{}, bot.Errorf(bot.EUnauthenticated, "the Authorization header must use the Bearer scheme: Authorization: Bearer <token>")
	}
	return s.svc.Authenticate(r.Context(), token)
}

// actor returns the authenticated caller that handle put in the context.
func actor(r *http.Request) bot.Actor {
	a, _ := r.Context().Value(actorKey{}).(bot.Actor)
	return a
}
