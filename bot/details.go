package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// DetailsLinkTTL is how long a signed link to a run's details page stays
// valid: long enough to outlive most incidents and their postmortems.
const DetailsLinkTTL = 30 * 24 * time.Hour

// DetailsURL returns the absolute URL of a run's details page:
// PublicURL + "/runs/" + ID, with a signature (?sig=) that lets whoever
// holds the link read the page until DetailsLinkTTL has passed. Without a
// LinkSecret the link carries no signature, and the page asks for a token.
func (s *Service) DetailsURL(r Run) string {
	u := s.publicURL + "/runs/" + r.ID
	if len(s.linkSecret) == 0 {
		return u
	}
	return u + "?sig=" + s.linkSignature(r.ID, s.clock().Add(DetailsLinkTTL).Unix())
}

// linkSignature returns the token of a details link: the expiry in Unix
// seconds and the base64url HMAC-SHA256 over the run ID and that expiry.
func (s *Service) linkSignature(id string, expires int64) string {
	exp := strconv.FormatInt(expires, 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(s.linkMAC(id, exp))
}

// linkMAC is the HMAC of a details link; the purpose prefix keeps it from
// ever matching a MAC the same key makes for something else.
func (s *Service) linkMAC(id, exp string) []byte {
	m := hmac.New(sha256.New, s.linkSecret)
	m.Write([]byte("run-details\x00" + id + "\x00" + exp))
	return m.Sum(nil)
}

// RunForLink returns the run a signed details link names, whatever team it
// belongs to and whoever holds the link: the link itself is the
// permission, a bearer one, the one exception to the visibility rule
// (see visibility.go), for one run and until it expires. EUnauthenticated when sig
// is missing, forged or expired, or when the server signs no links;
// ENotFound when the signature is good but the run is gone.
func (s *Service) RunForLink(ctx context.Context, id, sig string) (Run, error) {
	if len(s.linkSecret) == 0 {
		return Run{}, Errorf(EUnauthenticated, "this server signs no links: send Authorization: Bearer <token>")
	}
	bad := Errorf(EUnauthenticated, "this link is invalid or has expired")
	exp, mac, ok := strings.Cut(sig, ".")
	if !ok {
		return Run{}, bad
	}
	expires, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return Run{}, bad
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(mac)
	if err != nil || !hmac.Equal(got, s.linkMAC(id, exp)) {
		return Run{}, bad
	}
	if s.clock().Unix() >= expires {
		return Run{}, bad
	}
	return s.store.Run(ctx, id)
}

// UserNames returns how the details page names the users of a run (owner,
// assignees, authors of status updates): "@name" when the run's chat
// platform knows them, else their ID.
func (s *Service) UserNames(ctx context.Context, r Run) map[string]string {
	names := map[string]string{}
	add := func(id string) {
		if _, ok := names[id]; id != "" && !ok {
			names[id] = s.username(ctx, r.Platform, id)
		}
	}
	add(r.OwnerUserID)
	for _, c := range r.Checklists {
		for _, it := range c.Items {
			add(it.AssigneeID)
		}
	}
	for _, u := range r.StatusUpdates {
		add(u.UserID)
	}
	return names
}
