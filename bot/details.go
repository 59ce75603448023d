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
// holds the link read the page until DetailsLinkTTL has passed, rounded up
// to the next midnight UTC: every link to a run made on one day is the
// same, so a chat post re-rendered with it does not change (and is not
// marked edited) unless its content did. Without a LinkSecret the link
// carries no signature, and the page asks for a token. Without a
// PublicURL there is no absolute URL to give: "".
//
// A signed link is a bearer permission to read the run: post it only where
// the members of the run's channel see it (the run's channel, or a reply
// to the user who acted), never in another channel.
func (s *Service) DetailsURL(r Run) string {
	if s.publicURL == "" {
		return ""
	}
	u := s.publicURL + "/runs/" + r.ID
	if len(s.linkSecret) == 0 {
		return u
	}
	return u + "?sig=" + s.linkSignature(r.ID, linkExpiry(s.clock()))
}

// linkExpiry is the expiry, in Unix seconds, of a details link made at
// now: DetailsLinkTTL later, rounded up to a whole day (UTC).
func linkExpiry(now time.Time) int64 {
	const day = 24 * 60 * 60
	exp := now.Add(DetailsLinkTTL).Unix()
	if r := exp % day; r != 0 {
		exp += day - r
	}
	return exp
}

// RunLink is a run's name as a Markdown link to its details page, the name
// escaped for link text; just the escaped name, in bold, without a
// PublicURL. The same rule as DetailsURL applies: only where the run's
// channel members see it.
func (s *Service) RunLink(r Run) string {
	return MarkdownLink(r.Name, s.DetailsURL(r))
}

// MarkdownLink is [text](url) with text on one line and escaped so that
// brackets, backslashes and emphasis in it stay literal; **text** when url
// is "".
func MarkdownLink(text, url string) string {
	t := markdownEscaper.Replace(strings.Join(strings.Fields(text), " "))
	if url == "" {
		return "**" + t + "**"
	}
	return "[" + t + "](" + url + ")"
}

// markdownEscaper backslash-escapes what would end a link's text or start
// emphasis or code in it; CommonMark (and Mattermost's renderer) shows
// these characters literally once escaped.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "~", `\~`, "`", "\\`")

// linkSignature returns the token of a details link: the expiry in Unix
// seconds and the base64url HMAC-SHA256 over the run ID and that expiry.
func (s *Service) linkSignature(id string, expires int64) string {
	exp := strconv.FormatInt(expires, 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(linkMAC(s.linkSecret, id, exp))
}

// linkMAC is the HMAC of a details link under key; the purpose prefix
// keeps it from ever matching a MAC the same key makes for something else.
func linkMAC(key []byte, id, exp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("run-details\x00" + id + "\x00" + exp))
	return m.Sum(nil)
}

// RunForLink returns the run a signed details link names, whatever team it
// belongs to and whoever holds the link: the link itself is the
// permission, a bearer one, the one exception to the visibility rule
// (see visibility.go), for one run and until it expires. EUnauthenticated when sig
// is missing, forged or expired, or when the server signs no links;
// ENotFound when the signature is good but the run is gone. A link signed
// with the previous key (PreviousLinkSecret) is still good.
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
	if err != nil {
		return Run{}, bad
	}
	if !hmac.Equal(got, linkMAC(s.linkSecret, id, exp)) &&
		(len(s.prevLinkSecret) == 0 || !hmac.Equal(got, linkMAC(s.prevLinkSecret, id, exp))) {
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
