package bot

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Client is an OAuth2 client of the client credentials grant (RFC 6749
// 4.4) as stored: only the SHA-256 hash of its secret is kept. Its access
// tokens act for UserID (the reporter of the runs they create, "me"),
// within TeamIDs unless Admin, and may only read when Scope is ScopeRead.
type Client struct {
	ID         string   `json:"id"`
	Hash       string   `json:"-"`
	Name       string   `json:"name"`
	Scope      string   `json:"scope"`
	UserID     string   `json:"user_id"`
	TeamIDs    []string `json:"team_ids"`
	Admin      bool     `json:"admin"`
	CreatedBy  string   `json:"created_by"`
	CreateAt   int64    `json:"create_at"`
	LastUsedAt int64    `json:"last_used_at"`
	RevokeAt   int64    `json:"revoke_at"`
}

// ClientSpec is what an admin gives to register a client.
type ClientSpec struct {
	Name    string   `json:"name"`
	Scope   string   `json:"scope"`
	UserID  string   `json:"user_id"`
	TeamIDs []string `json:"team_ids"`
	Admin   bool     `json:"admin"`
}

// The scopes of clients and access tokens: read may only read; write may
// read and change.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// MaxClientName is the longest client name, in characters.
const MaxClientName = 200

// AccessToken is an access token issued to a client, as stored (its hash).
type AccessToken struct {
	ID       string
	Hash     string
	ClientID string
	Scope    string
	CreateAt int64
	ExpireAt int64
	// UsedAt and UsedFrom are when and from which address a use was last
	// noted (see noteAccessTokenUse); 0 and "" before the first.
	UsedAt   int64
	UsedFrom string
}

// ClientStore persists OAuth2 clients and their access tokens (hashes only).
type ClientStore interface {
	// CreateClient inserts c and its audit event e in one transaction.
	// EConflict if its ID or hash exists.
	CreateClient(ctx context.Context, c Client, e AuditEvent) error
	// Client returns the client with the given ID, revoked or not. ENotFound.
	Client(ctx context.Context, id string) (Client, error)
	// ListClients returns every client, revoked ones included, oldest first.
	ListClients(ctx context.Context) ([]Client, error)
	// RevokeClient sets the client's RevokeAt to at and writes e, in one
	// transaction; a client revoked already is left as it is, without e,
	// and the result is nil. ENotFound.
	RevokeClient(ctx context.Context, id string, at int64, e AuditEvent) error
	// CreateAccessToken inserts t and e in one transaction, and deletes the
	// access tokens expired before t.CreateAt. EConflict if its ID or hash
	// exists.
	CreateAccessToken(ctx context.Context, t AccessToken, e AuditEvent) error
	// AccessTokenByHash returns the access token with the given hash and its
	// client, read together in one query. ENotFound.
	AccessTokenByHash(ctx context.Context, hash string) (AccessToken, Client, error)
	// AccessTokenUsed sets the access token's UsedAt and UsedFrom.
	AccessTokenUsed(ctx context.Context, id, from string, at int64) error
	// TouchClient sets the client's LastUsedAt to at unless it is at or
	// after at-every already: at most one write per every.
	TouchClient(ctx context.Context, id string, at int64, every time.Duration) error
}

// ErrInvalidAccessToken is the error of an access token that expired or
// whose client was revoked: REST answers it with
// WWW-Authenticate: Bearer error="invalid_token" (RFC 6750 3.1).
var ErrInvalidAccessToken = &Error{Code: EUnauthenticated, Message: "the access token expired or its client was revoked: get a new one"}

// ErrInvalidClient is the error of a client authentication that failed:
// an unknown or revoked client, or a wrong secret (RFC 6749 5.2
// invalid_client). It does not say which.
var ErrInvalidClient = &Error{Code: EUnauthenticated, Message: "client authentication failed"}

// ErrInvalidScope is the error of a requested scope that is unknown or
// exceeds the client's (RFC 6749 5.2 invalid_scope).
var ErrInvalidScope = &Error{Code: EInvalid, Field: "scope", Message: `the requested scope is unknown or exceeds the client's: scope is "read" or "write", and a read client may only ask for "read"`}

// AccessTokenPrefix starts every access token secret; ClientSecretPrefix
// every client secret.
const (
	AccessTokenPrefix  = "pba_"
	ClientSecretPrefix = "pbc_"
)

// checkAdmin returns EForbidden unless a is an admin.
func checkAdmin(a Actor, what string) error {
	if !a.Admin {
		return Errorf(EForbidden, "only admins may %s", what)
	}
	return nil
}

// checkAdminChange returns EForbidden unless a is an admin whose
// credential may change things (not of scope read).
func checkAdminChange(a Actor, what string) error {
	if err := checkAdmin(a, what); err != nil {
		return err
	}
	if a.ReadOnly {
		return Errorf(EForbidden, "a read-only credential may not %s", what)
	}
	return nil
}

// newSecret returns prefix followed by 32 random bytes in hex.
func newSecret(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make secret: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// CreateClient registers a client of spec for a, an admin: it returns the
// secret, shown once, and the stored client. EForbidden, EInvalid.
func (s *Service) CreateClient(ctx context.Context, a Actor, o Origin, spec ClientSpec) (string, Client, error) {
	if err := checkAdminChange(a, "register OAuth2 clients"); err != nil {
		return "", Client{}, err
	}
	if err := s.checkClientSpec(spec); err != nil {
		return "", Client{}, err
	}
	secret, err := newSecret(ClientSecretPrefix)
	if err != nil {
		return "", Client{}, err
	}
	c := Client{
		ID: s.newID(), Hash: HashToken(secret), Name: strings.TrimSpace(spec.Name), Scope: spec.Scope,
		UserID: spec.UserID, TeamIDs: slices.Compact(slices.Sorted(slices.Values(spec.TeamIDs))), Admin: spec.Admin,
		CreatedBy: a.UserID, CreateAt: s.now(),
	}
	if c.TeamIDs == nil {
		c.TeamIDs = []string{}
	}
	e := s.auditEvent(a, o, AuditClientCreate, AuditSubjectClient, c.ID, c.UserID, clientDetails(c))
	if err := s.store.CreateClient(ctx, c, e); err != nil {
		return "", Client{}, err
	}
	return secret, c, nil
}

// checkClientSpec validates what a client is registered with.
func (s *Service) checkClientSpec(spec ClientSpec) error {
	name := strings.TrimSpace(spec.Name)
	switch {
	case name == "":
		return FieldErrorf("name", "a client needs a name")
	case utf8.RuneCountInString(name) > MaxClientName || !utf8.ValidString(name):
		return FieldErrorf("name", "a client's name is valid UTF-8 of at most %d characters", MaxClientName)
	case spec.Scope != ScopeRead && spec.Scope != ScopeWrite:
		return FieldErrorf("scope", `scope is "read" or "write", not %q`, abbrevText(spec.Scope))
	case spec.UserID == "":
		return FieldErrorf("user_id", "a client needs the user it acts for")
	case len(spec.TeamIDs) == 0 && !spec.Admin:
		return FieldErrorf("team_ids", "a client needs at least one team, or admin for all teams")
	}
	if err := s.checkChatID("user_id", spec.UserID); err != nil {
		return err
	}
	return s.checkChatIDs("team_ids", spec.TeamIDs)
}

// clientDetails is the audit note of a client: its scope and reach, never
// its secret.
func clientDetails(c Client) string {
	reach := "teams " + strings.Join(c.TeamIDs, ",")
	if c.Admin {
		reach = "admin"
	}
	return fmt.Sprintf("name %q, scope %s, %s", c.Name, c.Scope, reach)
}

// auditEvent returns an audit event of a's action from o.
func (s *Service) auditEvent(a Actor, o Origin, action, kind, subjectID, subjectUserID, details string) AuditEvent {
	return AuditEvent{
		ID: s.newID(), At: s.now(), Action: action, ActorUserID: a.UserID, ActorClientID: a.ClientID,
		Via: o.Via, Address: o.Address, SubjectKind: kind, SubjectID: subjectID, SubjectUserID: subjectUserID,
		Details: details,
	}
}

// ListClients returns every client, revoked ones included, to an admin.
// Secrets are never returned (Client keeps only their hash, and no JSON of
// it). EForbidden.
func (s *Service) ListClients(ctx context.Context, a Actor) ([]Client, error) {
	if err := checkAdmin(a, "list OAuth2 clients"); err != nil {
		return nil, err
	}
	return s.store.ListClients(ctx)
}

// Client returns the client with the given ID, revoked or not, to an
// admin (never its secret). EForbidden, ENotFound.
func (s *Service) Client(ctx context.Context, a Actor, id string) (Client, error) {
	if err := checkAdmin(a, "read OAuth2 clients"); err != nil {
		return Client{}, err
	}
	if err := checkID("id", id); err != nil {
		return Client{}, err
	}
	return s.store.Client(ctx, id)
}

// RevokeClient revokes a client for a, an admin: its live access tokens
// are refused from the next request on, and it gets no new ones.
// Revoking a revoked client changes nothing. EForbidden, ENotFound.
func (s *Service) RevokeClient(ctx context.Context, a Actor, o Origin, id string) error {
	if err := checkAdminChange(a, "revoke OAuth2 clients"); err != nil {
		return err
	}
	c, err := s.Client(ctx, a, id)
	if err != nil {
		return err
	}
	e := s.auditEvent(a, o, AuditClientRevoke, AuditSubjectClient, c.ID, c.UserID, "")
	return s.store.RevokeClient(ctx, id, s.now(), e)
}

// IssuedToken is the answer of the token endpoint: the access token's
// secret, shown once, its scope and lifetime.
type IssuedToken struct {
	Secret    string
	Scope     string
	ExpiresIn time.Duration
}

// IssueAccessToken authenticates a client by its ID and secret and issues
// it an access token valid for ttl, of the requested scope (space
// separated; "" for the client's own). ErrInvalidClient for an unknown or
// revoked client or a wrong secret, and for a client ID no client can
// have (not UTF-8, a NUL, over MaxIDLen: checked before the query, which
// Postgres would refuse as an error of its own); ErrInvalidScope.
func (s *Service) IssueAccessToken(ctx context.Context, o Origin, clientID, clientSecret, scope string, ttl time.Duration) (IssuedToken, error) {
	if !ValidID(clientID) {
		return IssuedToken{}, unknownClient(clientSecret)
	}
	c, err := s.store.Client(ctx, clientID)
	if ErrorCode(err) == ENotFound || ErrorCode(err) == EInvalid {
		return IssuedToken{}, unknownClient(clientSecret)
	}
	if err != nil {
		return IssuedToken{}, err
	}
	if subtle.ConstantTimeCompare([]byte(HashToken(clientSecret)), []byte(c.Hash)) != 1 || c.RevokeAt != 0 {
		return IssuedToken{}, ErrInvalidClient
	}
	granted, err := grantScope(c.Scope, scope)
	if err != nil {
		return IssuedToken{}, err
	}
	secret, err := newSecret(AccessTokenPrefix)
	if err != nil {
		return IssuedToken{}, err
	}
	now := s.clock()
	t := AccessToken{
		ID: s.newID(), Hash: HashToken(secret), ClientID: c.ID, Scope: granted,
		CreateAt: now.UnixMilli(), ExpireAt: now.Add(ttl).UnixMilli(),
	}
	by := Actor{UserID: c.UserID, ClientID: c.ID}
	e := s.auditEvent(by, Origin{Via: ViaOAuth, Address: o.Address}, AuditClientToken, AuditSubjectAccessToken, t.ID, c.UserID,
		fmt.Sprintf("scope %s, expires in %s", granted, ttl))
	if err := s.store.CreateAccessToken(ctx, t, e); err != nil {
		return IssuedToken{}, err
	}
	if err := s.touchClient(ctx, c, t.CreateAt); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Secret: secret, Scope: granted, ExpiresIn: ttl}, nil
}

// unknownClient returns ErrInvalidClient after hashing secret anyway, so
// that an unknown client costs what a known one does.
func unknownClient(secret string) error {
	_ = subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(HashToken("")))
	return ErrInvalidClient
}

// grantScope returns the scope granted to a client of scope have that
// asks for want (space-separated; "" for have). ErrInvalidScope for an
// unknown scope or write asked by a read client.
func grantScope(have, want string) (string, error) {
	fields := strings.Split(want, " ")
	if want == "" {
		return have, nil
	}
	granted := ScopeRead
	for _, f := range fields {
		switch f {
		case ScopeRead:
		case ScopeWrite:
			if have != ScopeWrite {
				return "", ErrInvalidScope
			}
			granted = ScopeWrite
		default: // unknown, or "" between two spaces
			return "", ErrInvalidScope
		}
	}
	return granted, nil
}

// authenticateAccessToken returns the actor of an access token secret,
// read with its client in one query: nothing is cached, so a revoked
// client's tokens are refused at once on every replica.
// ErrInvalidAccessToken when it expired or its client is revoked;
// EUnauthenticated when it is unknown.
func (s *Service) authenticateAccessToken(ctx context.Context, secret string) (Actor, error) {
	t, c, err := s.store.AccessTokenByHash(ctx, HashToken(secret))
	if ErrorCode(err) == ENotFound {
		return Actor{}, invalidTokenf("invalid or revoked token")
	}
	if err != nil {
		return Actor{}, err
	}
	now := s.clock()
	if c.RevokeAt != 0 || now.UnixMilli() >= t.ExpireAt {
		return Actor{}, ErrInvalidAccessToken
	}
	a := Actor{UserID: c.UserID, TeamIDs: c.TeamIDs, Admin: c.Admin, ClientID: c.ID, ReadOnly: t.Scope != ScopeWrite}
	if err := s.noteAccessTokenUse(ctx, a, t, c, now); err != nil {
		return Actor{}, err
	}
	return a, nil
}

// noteAccessTokenUse audits a use of t from the request's address (see
// WithOrigin) at most once per AuditUseEvery per token and address, on all
// replicas together (the seen keys), and sets the client's LastUsedAt at
// most once per AuditUseEvery. A use from the address the token's last
// noted use came from, within AuditUseEvery, writes nothing: the steady
// use of a token costs the one read.
func (s *Service) noteAccessTokenUse(ctx context.Context, a Actor, t AccessToken, c Client, now time.Time) error {
	o := OriginFrom(ctx)
	if t.UsedFrom == o.Address && t.UsedAt != 0 && now.UnixMilli()-t.UsedAt < AuditUseEvery.Milliseconds() {
		return nil
	}
	first, err := s.store.Remember(ctx, "audit-use:"+t.ID+":"+o.Address, now.UnixMilli(), now.Add(AuditUseEvery).UnixMilli())
	if err != nil {
		return fmt.Errorf("note access token use: %w", err)
	}
	if first {
		e := s.auditEvent(a, Origin{Via: o.Via, Address: o.Address}, AuditAccessTokenUse, AuditSubjectAccessToken, t.ID, a.UserID, "scope "+t.Scope)
		if err := s.store.AppendAudit(ctx, e); err != nil {
			return err
		}
	}
	if err := s.store.AccessTokenUsed(ctx, t.ID, o.Address, now.UnixMilli()); err != nil {
		return err
	}
	return s.touchClient(ctx, c, now.UnixMilli())
}

// touchClient sets c's LastUsedAt to at when it is older than
// AuditUseEvery, so that most uses write nothing.
func (s *Service) touchClient(ctx context.Context, c Client, at int64) error {
	if at-c.LastUsedAt < AuditUseEvery.Milliseconds() {
		return nil
	}
	return s.store.TouchClient(ctx, c.ID, at, AuditUseEvery)
}

type originKey struct{}

// WithOrigin returns ctx carrying o, where the request being served comes
// from: the audit of a credential's use (in Authenticate) reads it.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the Origin WithOrigin put in ctx; the zero Origin when
// none.
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}
