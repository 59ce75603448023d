package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The use cases of API tokens issued over REST, the admin page and the
// command line alike (issue 13, part 2), and of the audit log's reading
// (part 4). Who may do what: an admin issues, lists and revokes any token;
// a user lists and revokes their own. Every issue and revocation writes its
// audit event in its transaction; a use is audited at most once per
// AuditUseEvery per token and address.

// MaxTokenLifetime is the longest a token may be issued for: a credential
// that must outlive it is issued without expiry, on purpose.
const MaxTokenLifetime = 365 * 24 * time.Hour

// TokenUseEvery is how often a token's LastUsedAt is written: the first
// use, then at most once per this period, so that a busy token does not
// cost a write per request.
const TokenUseEvery = time.Minute

// TokenSpec is what an admin asks for when issuing a token. UserID is who
// the token acts for; TeamIDs the teams it reaches, every team when Admin;
// Name an optional note. ExpireAt (Unix ms) or ExpiresIn (from now), at
// most one of them, make it expire within MaxTokenLifetime; neither means
// it never expires.
type TokenSpec struct {
	UserID    string
	TeamIDs   []string
	Admin     bool
	Name      string
	ExpireAt  int64
	ExpiresIn time.Duration
}

// IssueToken issues a token for spec.UserID and writes token.create to the
// audit log in the same transaction. It returns the secret, shown this
// once, and the stored token. Admins only (EForbidden); bad input is an
// EInvalid field error and changes nothing.
func (s *Service) IssueToken(ctx context.Context, a Actor, o Origin, spec TokenSpec) (string, Token, error) {
	if err := checkAdminChange(a, "issue tokens"); err != nil {
		return "", Token{}, err
	}
	now := s.clock()
	expireAt, err := s.checkTokenSpec(spec, now)
	if err != nil {
		return "", Token{}, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Token{}, err
	}
	secret := "pbk_" + hex.EncodeToString(b[:])
	t := Token{
		ID: s.newID(), Hash: HashToken(secret), UserID: spec.UserID,
		TeamIDs: nonNil(slices.Compact(slices.Sorted(slices.Values(spec.TeamIDs)))), Admin: spec.Admin,
		Name: strings.TrimSpace(spec.Name), CreatedBy: a.UserID, CreateAt: now.UnixMilli(), ExpireAt: expireAt,
	}
	e := s.tokenAuditEvent(a, o, AuditTokenCreate, t)
	e.Details = tokenDetails(t)
	if err := s.store.CreateToken(ctx, t, e); err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// checkTokenSpec validates spec and returns the token's ExpireAt.
func (s *Service) checkTokenSpec(spec TokenSpec, now time.Time) (int64, error) {
	if err := s.checkChatID("user_id", spec.UserID); err != nil {
		return 0, err
	}
	if err := s.checkChatIDs("team_ids", spec.TeamIDs); err != nil {
		return 0, err
	}
	if len(spec.TeamIDs) == 0 && !spec.Admin {
		return 0, FieldErrorf("team_ids", "a token needs at least one team in team_ids (--team), or admin (--admin) for all teams")
	}
	if err := checkText("name", spec.Name, MaxTitleLen); err != nil {
		return 0, err
	}
	latest := now.Add(MaxTokenLifetime).UnixMilli()
	switch {
	case spec.ExpireAt != 0 && spec.ExpiresIn != 0:
		return 0, FieldErrorf("expires_in", "give expires_at or expires_in, not both")
	case spec.ExpiresIn < 0 || (spec.ExpiresIn > 0 && spec.ExpiresIn < time.Second):
		return 0, FieldErrorf("expires_in", "expires_in must be at least one second, got %s", spec.ExpiresIn)
	case spec.ExpiresIn > MaxTokenLifetime:
		return 0, FieldErrorf("expires_in", "expires_in must be at most %s (%d seconds), got %s", MaxTokenLifetime, int64(MaxTokenLifetime/time.Second), spec.ExpiresIn)
	case spec.ExpiresIn > 0:
		return now.Add(spec.ExpiresIn).UnixMilli(), nil
	case spec.ExpireAt < 0 || (spec.ExpireAt > 0 && spec.ExpireAt <= now.UnixMilli()):
		return 0, FieldErrorf("expires_at", "expires_at must be in the future (Unix milliseconds), got %d", spec.ExpireAt)
	case spec.ExpireAt > latest:
		return 0, FieldErrorf("expires_at", "expires_at must be within %s of now, at most %d, got %d", MaxTokenLifetime, latest, spec.ExpireAt)
	}
	return spec.ExpireAt, nil
}

// tokenDetails is the audit note of an issued token: what it reaches and
// when it expires, never its secret or hash.
func tokenDetails(t Token) string {
	var parts []string
	if t.Name != "" {
		parts = append(parts, fmt.Sprintf("name %q", t.Name))
	}
	if t.Admin {
		parts = append(parts, "admin (every team)")
	} else {
		parts = append(parts, "teams "+strings.Join(t.TeamIDs, ","))
	}
	if t.ExpireAt != 0 {
		parts = append(parts, "expires "+time.UnixMilli(t.ExpireAt).UTC().Format(time.RFC3339))
	} else {
		parts = append(parts, "never expires")
	}
	return strings.Join(parts, "; ")
}

// ListUserTokens returns the tokens of userID, revoked and expired ones
// included, oldest first; userID "" is every token. Admins list anyone's;
// a user lists their own (EForbidden otherwise).
func (s *Service) ListUserTokens(ctx context.Context, a Actor, userID string) ([]Token, error) {
	if !a.Admin && (userID == "" || userID != a.UserID) {
		return nil, Errorf(EForbidden, "only admins may list the tokens of other users")
	}
	return s.store.ListTokens(ctx, userID)
}

// RevokeUserToken revokes a token at once and writes token.revoke to the
// audit log in the same transaction. Admins revoke any token, a user their
// own: another user's token is ENotFound to them, as is an unknown ID, so
// that IDs cannot be probed. Revoking a revoked token changes nothing and
// is not an error.
func (s *Service) RevokeUserToken(ctx context.Context, a Actor, o Origin, id string) error {
	if a.ReadOnly {
		return Errorf(EForbidden, "a read-only credential may not revoke tokens")
	}
	t, err := s.UserToken(ctx, a, id)
	if err != nil {
		return err
	}
	_, err = s.store.RevokeToken(ctx, id, s.now(), s.tokenAuditEvent(a, o, AuditTokenRevoke, t))
	return err
}

// UserToken returns the token with the given ID (never its secret): to an
// admin any token, to a user their own; another user's token is ENotFound
// to them, as is an unknown ID, so that IDs cannot be probed.
func (s *Service) UserToken(ctx context.Context, a Actor, id string) (Token, error) {
	if err := checkID("id", id); err != nil {
		return Token{}, err
	}
	t, err := s.store.TokenByID(ctx, id)
	if err == nil && !a.Admin && t.UserID != a.UserID {
		err = Errorf(ENotFound, "token %s not found", id)
	}
	if err != nil {
		return Token{}, err
	}
	return t, nil
}

// ListAudit returns a page of the audit log, newest first, and how many
// events f selects in all. Admins only (EForbidden). f.PerPage 0 is
// MaxPerPage.
func (s *Service) ListAudit(ctx context.Context, a Actor, f AuditFilter) ([]AuditEvent, int, error) {
	if !a.Admin {
		return nil, 0, Errorf(EForbidden, "only admins may read the audit log")
	}
	perPage, err := checkPage(f.Page, f.PerPage)
	if err != nil {
		return nil, 0, err
	}
	f.PerPage = perPage
	if f.Since < 0 {
		return nil, 0, FieldErrorf("since", "since must be Unix milliseconds, 0 or more, got %d", f.Since)
	}
	if f.SubjectID != "" {
		if err := checkID("subject_id", f.SubjectID); err != nil {
			return nil, 0, err
		}
	}
	return s.store.ListAudit(ctx, f)
}

// tokenAuditEvent returns the audit event of a acting on token t from o.
func (s *Service) tokenAuditEvent(a Actor, o Origin, action string, t Token) AuditEvent {
	return s.auditEvent(a, o, action, AuditSubjectToken, t.ID, t.UserID, "")
}

// tokenActor returns the actor of a stored token that a request presented:
// an invalid-token error when it is revoked or expired. It notes the use
// (LastUsedAt, the audit log) without failing the request when noting
// fails: the credential is valid either way.
func (s *Service) tokenActor(ctx context.Context, t Token) (Actor, error) {
	now := s.clock()
	if t.RevokeAt != 0 {
		return Actor{}, invalidTokenf("invalid or revoked token")
	}
	if t.ExpireAt != 0 && now.UnixMilli() >= t.ExpireAt {
		return Actor{}, invalidTokenf("this token expired at %s; ask an admin for a new one",
			time.UnixMilli(t.ExpireAt).UTC().Format(time.RFC3339))
	}
	if err := s.noteTokenUse(ctx, t, now); err != nil {
		s.log.WarnContext(ctx, "note token use", "token_id", t.ID, "error", err.Error())
	}
	return Actor{UserID: t.UserID, TeamIDs: t.TeamIDs, Admin: t.Admin}, nil
}

// noteTokenUse writes the token's LastUsedAt when it is TokenUseEvery old,
// and token.use to the audit log the first time in AuditUseEvery that this
// replica sees the token used from the request's address (OriginFrom) and
// no other replica has written it.
func (s *Service) noteTokenUse(ctx context.Context, t Token, now time.Time) error {
	ms := now.UnixMilli()
	if ms-t.LastUsedAt >= TokenUseEvery.Milliseconds() {
		if _, err := s.store.TouchToken(ctx, t.ID, ms, ms-TokenUseEvery.Milliseconds()+1); err != nil {
			return err
		}
	}
	o := OriginFrom(ctx)
	key := AuditTokenUse + " " + t.ID + " " + o.Address
	if !s.uses.due(key, now, AuditUseEvery) {
		return nil
	}
	first, err := s.store.Remember(ctx, "audit "+key, ms, now.Add(AuditUseEvery).UnixMilli())
	if err != nil || !first {
		return err
	}
	return s.store.AppendAudit(ctx, AuditEvent{
		ID: s.newID(), At: ms, Action: AuditTokenUse,
		ActorUserID: t.UserID, Via: o.Via, Address: o.Address,
		SubjectKind: AuditSubjectToken, SubjectID: t.ID, SubjectUserID: t.UserID,
	})
}

// recentUses remembers, for one replica, when each credential was last
// used from each address, so that noting a use costs a database write at
// most once per period. Its zero value is ready to use.
type recentUses struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// maxRecentUses bounds recentUses: past it, entries older than a period
// are dropped first.
const maxRecentUses = 10000

// due reports whether key was not seen within every before now, and
// records it as seen now when so.
func (u *recentUses) due(key string, now time.Time, every time.Duration) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if at, ok := u.last[key]; ok && now.Sub(at) < every && !now.Before(at) {
		return false
	}
	if u.last == nil {
		u.last = map[string]time.Time{}
	}
	if len(u.last) >= maxRecentUses {
		for k, at := range u.last {
			if now.Sub(at) >= every || len(u.last) >= maxRecentUses {
				delete(u.last, k)
			}
		}
	}
	u.last[key] = now
	return true
}

// originKey, WithOrigin and OriginFrom: defined alike in client.go (branch oauth).

// invalidTokenError is the EUnauthenticated error of a bearer token that
// was sent but is unknown, revoked or expired: RFC 6750's invalid_token.
type invalidTokenError struct{ err *Error }

func (e *invalidTokenError) Error() string { return e.err.Error() }
func (e *invalidTokenError) Unwrap() error { return e.err }

// invalidTokenf returns an invalid-token error with the given message.
func invalidTokenf(format string, args ...any) error {
	return &invalidTokenError{err: Errorf(EUnauthenticated, format, args...)}
}

// IsInvalidToken reports whether err is about a bearer token that was
// sent but is unknown, revoked or expired, so that the REST API answers
// with WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 section
// 3.1) rather than as to a request without credentials.
func IsInvalidToken(err error) bool {
	var e *invalidTokenError
	return errors.As(err, &e)
}
