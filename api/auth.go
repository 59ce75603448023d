package api

import (
	"errors"
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

// bearer returns the actor of the request's bearer token, or of the
// intermediary's request (Config.Delegated) when it claims to be one.
func (s *server) bearer(r *http.Request) (bot.Actor, error) {
	if s.delegated != nil {
		if a, claimed, err := s.delegated(r); claimed {
			return a, err
		}
	}
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return bot.Actor{}, bot.Errorf(bot.EUnauthenticated, "missing bearer token: send Authorization: Bearer <token>")
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return bot.Actor{}, bot.Errorf(bot.EUnauthenticated, "the Authorization header must use the Bearer scheme: Authorization: Bearer <token>")
	}
	return s.svc.Authenticate(bot.WithOrigin(r.Context(), s.origin(r, bot.ViaREST)), token)
}

// origin returns where r comes from, for the audit log: via and the
// client address as the throttle sees it (X-Forwarded-For believed from
// trusted proxies only); "" when the peer is unknown.
func (s *server) origin(r *http.Request, via string) bot.Origin {
	// s.proxies, not s.throttle: the trusted proxies are believed even
	// with throttling off (branch tokens' fix, kept at the merge).
	a := s.proxies.clientAddr(r)
	o := bot.Origin{Via: via}
	if a.IsValid() {
		o.Address = a.String()
	}
	return o
}

// errInsufficientScope is the answer to a change attempted with a read-only
// access token (RFC 6750 3.1 insufficient_scope).
var errInsufficientScope = &statusError{
	status:  http.StatusForbidden,
	message: "this access token may only read",
	details: `its scope is "read"; a change needs a token of scope "write"`,
}

// checkScope is the one place the scope of an access token is enforced:
// a read-only actor (an access token of scope read) may use the safe
// methods (GET, HEAD) and no other. handle calls it for every REST route.
func checkScope(r *http.Request, a bot.Actor) error {
	if a.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errInsufficientScope
	}
	return nil
}

// challenge returns the WWW-Authenticate value of an error answered with
// status (RFC 6750 3): invalid_token for an access token expired or of a
// revoked client, insufficient_scope for a read token's change, the bare
// realm for any other 401; "" when none applies.
func challenge(status int, err error) string {
	switch {
	case errors.Is(err, bot.ErrInvalidAccessToken):
		return `Bearer realm="playbooks", error="invalid_token", error_description="the access token expired or its client was revoked"`
	case errors.Is(err, errInsufficientScope):
		return `Bearer realm="playbooks", error="insufficient_scope", scope="write"`
	case status == http.StatusUnauthorized:
		return `Bearer realm="playbooks"`
	}
	return ""
}

// actor returns the authenticated caller that handle put in the context.
func actor(r *http.Request) bot.Actor {
	a, _ := r.Context().Value(actorKey{}).(bot.Actor)
	return a
}
