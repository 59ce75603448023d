package api

import (
	"net/http"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

type actorKey struct{}

// authenticate returns the actor of the request's bearer token:
// "Authorization: Bearer <token>", the scheme in any case. EUnauthenticated
// when the header is missing, uses another scheme, or names no valid token.
func (s *server) authenticate(r *http.Request) (bot.Actor, error) {
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
