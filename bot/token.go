package bot

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Token is an API token as stored: only the SHA-256 hash of its secret is
// kept. It acts for UserID; TeamIDs limits it to those teams unless Admin.
//
// Every field but Hash is what lists and answers show; the secret itself
// is never stored and is shown only in the answer that issues it.
type Token struct {
	ID      string   `json:"id"`
	Hash    string   `json:"-"`
	UserID  string   `json:"user_id"`
	TeamIDs []string `json:"team_ids"`
	Admin   bool     `json:"admin"`
	// Name is a note of what the token is for ("" when none was given).
	Name string `json:"name"`
	// CreatedBy is the user who issued the token ("" from the command
	// line, and for tokens issued before issue 13).
	CreatedBy string `json:"created_by"`
	CreateAt  int64  `json:"create_at"`
	// ExpireAt is when the token stops working (Unix ms); 0 is never.
	ExpireAt int64 `json:"expire_at"`
	// LastUsedAt is when the token last authenticated a request (Unix
	// ms; 0 is never), to within TokenUseEvery: it is written at most
	// that often.
	LastUsedAt int64 `json:"last_used_at"`
	RevokeAt   int64 `json:"revoke_at"`
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

// cliActor is who acts through the server's command line (playbooks
// token ...): whoever has the shell and the database, an admin.
func cliActor() Actor { return Actor{Admin: true} }

// CreateToken issues a new token for userID from the command line (see
// IssueToken): the secret, shown once, and the stored token. A token is
// limited to teamIDs unless admin; one with neither is refused.
func (s *Service) CreateToken(ctx context.Context, userID string, teamIDs []string, admin bool) (string, Token, error) {
	return s.IssueToken(ctx, cliActor(), Origin{Via: ViaCLI}, TokenSpec{UserID: userID, TeamIDs: teamIDs, Admin: admin})
}

// ListTokens returns every token issued, revoked ones included, for the
// command line.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	return s.ListUserTokens(ctx, cliActor(), "")
}

// RevokeToken revokes a token by ID from the command line. ENotFound.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	return s.RevokeUserToken(ctx, cliActor(), Origin{Via: ViaCLI}, id)
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
	if ErrorCode(err) == ENotFound {
		return Actor{}, invalidTokenf("invalid or revoked token")
	}
	if err != nil {
		return Actor{}, err
	}
	return s.tokenActor(ctx, t) // token_admin.go: revocation, expiry, last use
}
