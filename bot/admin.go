package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The admin page (api/admin_page.go) is reached through a signed link that
// is short-lived and single use; opening it starts a session kept in the
// database (so that every replica knows it) under the hash of a random
// secret the browser holds in a cookie.
const (
	// AdminLinkTTL is how long a link to the admin page stays valid by
	// default.
	AdminLinkTTL = 15 * time.Minute
	// MaxAdminLinkTTL bounds the --ttl of `playbooks admin link`.
	MaxAdminLinkTTL = 24 * time.Hour
	// AdminSessionIdle ends a session nobody used for this long.
	AdminSessionIdle = 8 * time.Hour
	// AdminSessionMax ends a session this long after it started, used or
	// not.
	AdminSessionMax = 12 * time.Hour
	// AdminLinkPath is the path of the link that opens a session.
	AdminLinkPath = "/admin/open"
)

// AdminSession is a signed-in admin on the admin page. Only the hash of its
// secret is stored; the secret lives in the browser's cookie.
type AdminSession struct {
	Hash   string // HashToken of the cookie's secret
	UserID string // the admin the link was made for
	// CSRF is the token every form of the page carries; random per
	// session, shown only to the holder of the session.
	CSRF     string
	CreateAt int64 // Unix ms
	SeenAt   int64 // Unix ms, the last request of the session
	ExpireAt int64 // Unix ms, CreateAt + AdminSessionMax
}

// Actor is who the session acts as: its admin, over every team.
func (a AdminSession) Actor() Actor { return Actor{UserID: a.UserID, Admin: true} }

// CheckCSRF reports whether token is the session's CSRF token, compared in
// constant time.
func (a AdminSession) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(a.CSRF)) == 1
}

// AdminSessionStore persists the sessions of the admin page.
type AdminSessionStore interface {
	// CreateAdminSession inserts s. EConflict if its hash exists.
	CreateAdminSession(ctx context.Context, s AdminSession) error
	// TouchAdminSession returns the session with the given hash and sets
	// its SeenAt to now, when it is live at now: seen after now-idle and
	// expiring after now. ENotFound otherwise (expired sessions are
	// deleted on the way).
	TouchAdminSession(ctx context.Context, hash string, now int64, idle time.Duration) (AdminSession, error)
	// DeleteAdminSession deletes the session; deleting an unknown one does
	// nothing.
	DeleteAdminSession(ctx context.Context, hash string) error
}

// AdminLink returns a link to the admin page for the admin userID, valid
// for ttl (AdminLinkTTL when 0) and once. EInvalid without a public URL or
// a link secret, or for a ttl out of range. Whoever calls it has already
// decided that userID is an admin: the command line (which holds the
// server's secret) or AdminLinkForChat.
func (s *Service) AdminLink(userID string, ttl time.Duration) (string, error) {
	if err := s.checkChatID("user", userID); err != nil {
		return "", err
	}
	if ttl == 0 {
		ttl = AdminLinkTTL
	}
	if ttl < time.Minute || ttl > MaxAdminLinkTTL {
		return "", Errorf(EInvalid, "an admin link lives between 1m and %s, not %s", MaxAdminLinkTTL, ttl)
	}
	if s.publicURL == "" {
		return "", Errorf(EInvalid, "this server has no public URL to make a link of: set PLAYBOOKS_PUBLIC_URL "+
			"to the base URL browsers reach it at (e.g. https://playbooks.example.com)")
	}
	if len(s.linkSecret) == 0 {
		return "", Errorf(EInvalid, "this server signs no links: set PLAYBOOKS_SECRET (or PLAYBOOKS_LINK_SECRET)")
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	n := base64.RawURLEncoding.EncodeToString(nonce[:])
	exp := strconv.FormatInt(s.clock().Add(ttl).Unix(), 10)
	q := url.Values{"user": {userID}, "exp": {exp}, "n": {n},
		"sig": {base64.RawURLEncoding.EncodeToString(adminLinkMAC(s.linkSecret, userID, exp, n))}}
	return s.publicURL + AdminLinkPath + "?" + q.Encode(), nil
}

// adminLinkMAC is the HMAC of an admin link; its purpose prefix keeps it
// from matching a details link (linkMAC) made with the same key.
func adminLinkMAC(key []byte, userID, exp, nonce string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("admin-page\x00" + userID + "\x00" + exp + "\x00" + nonce))
	return m.Sum(nil)
}

// AdminLinkForChat returns a link to the admin page for userID, a user of
// the chat platform a /playbook admin command came from, when that
// platform says the user is a system admin; EForbidden otherwise. The
// link is a bearer credential: reply it only to the user, ephemerally.
func (s *Service) AdminLinkForChat(ctx context.Context, platform, userID string) (string, error) {
	u, err := s.chatFor(platform).User(ctx, userID)
	if err != nil {
		return "", err
	}
	if !u.SystemAdmin {
		return "", Errorf(EForbidden, "only a system admin of the chat may open the admin page")
	}
	return s.AdminLink(userID, 0)
}

// OpenAdminLink checks the query of an admin link (user, exp, n, sig) and,
// when it is good, unexpired and used for the first time, starts a session:
// it returns the session's secret, for the cookie, and the session.
// EUnauthenticated for any bad, expired or replayed link, with one message
// that does not say which.
func (s *Service) OpenAdminLink(ctx context.Context, q url.Values) (string, AdminSession, error) {
	bad := Errorf(EUnauthenticated, "this admin link is invalid, expired or already used")
	if len(s.linkSecret) == 0 {
		return "", AdminSession{}, bad
	}
	user, exp, n := q.Get("user"), q.Get("exp"), q.Get("n")
	mac, err := base64.RawURLEncoding.Strict().DecodeString(q.Get("sig"))
	if err != nil || user == "" || n == "" {
		return "", AdminSession{}, bad
	}
	if !hmac.Equal(mac, adminLinkMAC(s.linkSecret, user, exp, n)) &&
		(len(s.prevLinkSecret) == 0 || !hmac.Equal(mac, adminLinkMAC(s.prevLinkSecret, user, exp, n))) {
		return "", AdminSession{}, bad
	}
	expires, err := strconv.ParseInt(exp, 10, 64)
	now := s.clock()
	// No key holder makes a link that lives longer than MaxAdminLinkTTL;
	// refusing one keeps the remembered links few.
	if err != nil || now.Unix() >= expires || time.Unix(expires, 0).Sub(now) > MaxAdminLinkTTL+time.Minute {
		return "", AdminSession{}, bad
	}
	// Single use: the MAC is remembered until the link expires, on every
	// replica; a second opening finds it.
	key := "admin-link:" + hex.EncodeToString(mac)
	fresh, err := s.FirstSeen(ctx, key, time.Unix(expires, 0).Sub(now)+time.Minute)
	if err != nil {
		return "", AdminSession{}, err
	}
	if !fresh {
		return "", AdminSession{}, bad
	}
	secret, err := randomSecret("pbs_")
	if err != nil {
		return "", AdminSession{}, err
	}
	csrf, err := randomSecret("")
	if err != nil {
		return "", AdminSession{}, err
	}
	ms := now.UnixMilli()
	sess := AdminSession{Hash: HashToken(secret), UserID: user, CSRF: csrf, CreateAt: ms, SeenAt: ms,
		ExpireAt: now.Add(AdminSessionMax).UnixMilli()}
	if err := s.store.CreateAdminSession(ctx, sess); err != nil {
		// The link opened nothing: let it be tried again.
		if ferr := s.ForgetSeen(ctx, key); ferr != nil {
			return "", AdminSession{}, errors.Join(err, ferr)
		}
		return "", AdminSession{}, err
	}
	return secret, sess, nil
}

// AdminSession returns the live session whose cookie holds secret, and
// marks it used now. It is the one place a session of the admin page is
// checked. EUnauthenticated for an empty, unknown, idle or expired one.
func (s *Service) AdminSession(ctx context.Context, secret string) (AdminSession, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return AdminSession{}, Errorf(EUnauthenticated, "no admin session: open a new admin link")
	}
	sess, err := s.store.TouchAdminSession(ctx, HashToken(secret), s.now(), AdminSessionIdle)
	if ErrorCode(err) == ENotFound {
		return AdminSession{}, Errorf(EUnauthenticated, "this admin session has ended: open a new admin link")
	}
	return sess, err
}

// CloseAdminSession ends the session whose cookie holds secret (logout).
func (s *Service) CloseAdminSession(ctx context.Context, secret string) error {
	if strings.TrimSpace(secret) == "" {
		return nil
	}
	return s.store.DeleteAdminSession(ctx, HashToken(secret))
}

// AdminPageSecure reports whether the server's public URL is HTTPS, so that
// the admin page's cookie is marked Secure even behind a proxy that ends
// TLS.
func (s *Service) AdminPageSecure() bool {
	return strings.HasPrefix(strings.ToLower(s.publicURL), "https://")
}

// PublicOrigin is the scheme and host of the server's public URL
// ("https://playbooks.example.com"); "" without one.
func (s *Service) PublicOrigin() string {
	u, err := url.Parse(s.publicURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// randomSecret returns prefix and 32 random bytes in hex.
func randomSecret(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// Now is the service's clock: what the admin page judges a credential's
// expiry by, the same time Authenticate does.
func (s *Service) Now() time.Time { return s.clock() }
