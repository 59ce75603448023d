package api

import (
	"net/http"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// The API tokens of issue 13, routes of our own (// ours: in routes.go):
// admins issue, list and revoke anyone's under /admin/tokens; any caller
// lists and revokes their own under /tokens/me. A secret is in the one
// answer that issues it, never in a list.

// newToken is the body of issueToken. ExpiresIn is seconds from now,
// ExpiresAt Unix milliseconds; at most one of them, neither for a token
// that never expires.
type newToken struct {
	UserID    string   `json:"user_id"`
	TeamIDs   []string `json:"team_ids"`
	Admin     bool     `json:"admin"`
	Name      string   `json:"name"`
	ExpiresIn *int64   `json:"expires_in"`
	ExpiresAt *int64   `json:"expires_at"`
}

// decodeNewToken decodes the body of issueToken.
func decodeNewToken(body []byte) (bot.TokenSpec, error) {
	var in newToken
	if err := decodeJSON(body, &in); err != nil {
		return bot.TokenSpec{}, err
	}
	spec := bot.TokenSpec{UserID: in.UserID, TeamIDs: in.TeamIDs, Admin: in.Admin, Name: in.Name}
	if in.ExpiresIn != nil && in.ExpiresAt != nil {
		return spec, bot.FieldErrorf("expires_in", "give expires_at or expires_in, not both")
	}
	if in.ExpiresIn != nil {
		// Bounded here, so that the conversion to a Duration cannot overflow.
		if maxSec := int64(bot.MaxTokenLifetime / time.Second); *in.ExpiresIn < 1 || *in.ExpiresIn > maxSec {
			return spec, bot.FieldErrorf("expires_in", "expires_in must be between 1 and %d seconds, got %d", maxSec, *in.ExpiresIn)
		}
		spec.ExpiresIn = time.Duration(*in.ExpiresIn) * time.Second
	}
	if in.ExpiresAt != nil {
		spec.ExpireAt = *in.ExpiresAt
	}
	return spec, nil
}

// issuedToken is the answer of issueToken: the token and, this once, its
// secret.
type issuedToken struct {
	Secret string `json:"token"`
	bot.Token
}

// requireAdmin refuses a caller who is not an admin, on the routes under
// /admin whatever their use case would let a user do.
func requireAdmin(r *http.Request) error {
	if !actor(r).Admin {
		return bot.Errorf(bot.EForbidden, "only admins may use %s", r.URL.Path)
	}
	return nil
}

// issueToken answers POST /admin/tokens: 201 with the token and its secret.
func (s *server) issueToken(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	spec, err := decodeBody(w, r, decodeNewToken)
	if err != nil {
		return err
	}
	secret, t, err := s.svc.IssueToken(r.Context(), actor(r), s.origin(r, bot.ViaREST), spec)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, issuedToken{Secret: secret, Token: t})
}

// listTokens answers GET /admin/tokens[?user_id=]: every token, or a
// user's.
func (s *server) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	ts, err := s.svc.ListUserTokens(r.Context(), actor(r), r.URL.Query().Get("user_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ts)
}

// revokeToken answers DELETE /admin/tokens/{id}: 204, also when the token
// was revoked already.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	return s.revoke(w, r, actor(r))
}

// myTokens answers GET /tokens/me: the caller's own tokens.
func (s *server) myTokens(w http.ResponseWriter, r *http.Request) error {
	a := actor(r)
	ts, err := s.svc.ListUserTokens(r.Context(), a, a.UserID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ts)
}

// revokeMyToken answers DELETE /tokens/me/{id}: 204 for one of the
// caller's own tokens, 404 for anyone else's, an admin's call included.
func (s *server) revokeMyToken(w http.ResponseWriter, r *http.Request) error {
	me := actor(r)
	me.Admin = false // as the user: their own tokens only
	return s.revoke(w, r, me)
}

// revoke revokes the token {id} as a.
func (s *server) revoke(w http.ResponseWriter, r *http.Request, a bot.Actor) error {
	if err := s.svc.RevokeUserToken(r.Context(), a, s.origin(r, bot.ViaREST), pathID(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
