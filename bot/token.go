package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Token is an API token as stored: only the SHA-256 hash of its secret is
// kept. It acts for UserID; TeamIDs limits it to those teams unless Admin.
type Token struct {
	ID       string   `json:"id"`
	Hash     string   `json:"-"`
	UserID   string   `json:"user_id"`
	TeamIDs  []string `json:"team_ids"`
	Admin    bool     `json:"admin"`
	CreateAt int64    `json:"create_at"`
	RevokeAt int64    `json:"revoke_at"`
}

// Actor is who is calling: the user a token acts for, and what it may touch.
// Which runs an actor sees depends on these fields alone, whatever
// authenticated it (our tokens, a chat platform's tokens, a chat command):
// see the rule in visibility.go.
type Actor struct {
	UserID  string
	TeamIDs []string
	// Admin sees and changes everything, every team's runs and every
	// private run.
	Admin bool
	// ClientID is the OAuth2 client whose access token authenticated the
	// caller; "" for every other credential.
	ClientID string
	// ReadOnly is an access token of scope read: it may read what the
	// actor sees and change nothing.
	ReadOnly bool
}

// CanTeam reports whether the actor may see and change data of the team.
func (a Actor) CanTeam(teamID string) bool {
	return a.Admin || slices.Contains(a.TeamIDs, teamID)
}

// checkTeam returns EForbidden when the actor may not use the team.
func (a Actor) checkTeam(teamID string) error {
	if !a.CanTeam(teamID) {
		return Errorf(EForbidden, "this token may not access team %s", teamID)
	}
	return nil
}

// HashToken returns the hex SHA-256 of a token secret, the form it is stored in.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ExternalAuth checks a bearer token that is not one of ours against
// another system, such as a Mattermost personal access or session token.
type ExternalAuth interface {
	// Authenticate returns the actor the token belongs to.
	// EUnauthenticated when the system does not know the token.
	Authenticate(ctx context.Context, token string) (Actor, error)
}

// FirstSeen records key for ttl and reports whether this is the first time
// it is seen within that window, on any replica sharing the database. Chat
// adapters use it to refuse replayed requests and to handle a submission
// once.
func (s *Service) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	now := s.clock()
	return s.store.Remember(ctx, key, now.UnixMilli(), now.Add(ttl).UnixMilli())
}

// ForgetSeen makes key new again, so a submission that failed validation
// may be sent again.
func (s *Service) ForgetSeen(ctx context.Context, key string) error {
	return s.store.Forget(ctx, key)
}

// BootstrapAdmin is a token secret given in the server's configuration
// (PLAYBOOKS_ADMIN_TOKEN) that acts as an admin for UserID.
type BootstrapAdmin struct {
	Secret string
	UserID string
}

// CreateToken issues a new token for userID. It returns the secret, shown
// once, and the stored token. A token is limited to teamIDs unless admin;
// one with neither is refused.
func (s *Service) CreateToken(ctx context.Context, userID string, teamIDs []string, admin bool) (string, Token, error) {
	if err := s.checkChatID("user", userID); err != nil {
		return "", Token{}, err
	}
	for _, t := range teamIDs {
		if err := s.checkChatID("team", t); err != nil {
			return "", Token{}, err
		}
	}
	if len(teamIDs) == 0 && !admin {
		return "", Token{}, Errorf(EInvalid, "a token needs at least one --team, or --admin for all teams")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	secret := "pbk_" + hex.EncodeToString(b[:])
	t := Token{
		ID: s.newID(), Hash: HashToken(secret), UserID: userID,
		TeamIDs: slices.Compact(slices.Sorted(slices.Values(teamIDs))), Admin: admin,
		CreateAt: s.now(),
	}
	if t.TeamIDs == nil {
		t.TeamIDs = []string{}
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// ListTokens returns every token issued, revoked ones included.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	return s.store.ListTokens(ctx)
}

// RevokeToken revokes a token by ID. ENotFound.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	return s.store.RevokeToken(ctx, id, s.now())
}

// Authenticate returns the actor a bearer token secret acts for: an API
// token, an OAuth2 access token (AccessTokenPrefix, see client.go) or a
// token of ExternalAuth. EUnauthenticated for an empty, unknown or revoked
// token; ErrInvalidAccessToken for an access token expired or of a revoked
// client.
func (s *Service) Authenticate(ctx context.Context, secret string) (Actor, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return Actor{}, Errorf(EUnauthenticated, "missing bearer token: send Authorization: Bearer <token>")
	}
	if s.admin.Secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.admin.Secret)) == 1 {
		return Actor{UserID: s.admin.UserID, Admin: true}, nil
	}
	if strings.HasPrefix(secret, AccessTokenPrefix) {
		return s.authenticateAccessToken(ctx, secret)
	}
	t, err := s.store.TokenByHash(ctx, HashToken(secret))
	if ErrorCode(err) == ENotFound && s.external != nil {
		return s.external.Authenticate(ctx, secret)
	}
	if ErrorCode(err) == ENotFound || (err == nil && t.RevokeAt != 0) {
		return Actor{}, Errorf(EUnauthenticated, "invalid or revoked token")
	}
	if err != nil {
		return Actor{}, err
	}
	return Actor{UserID: t.UserID, TeamIDs: t.TeamIDs, Admin: t.Admin}, nil
}
