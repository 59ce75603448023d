package bot_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestAdminLink checks the links to the admin page: made only with a
// public URL and a key and a sane lifetime; opened once, before expiry,
// with the key that signed them or the previous one; never with another
// purpose's signature.
func TestAdminLink(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	var ms atomic.Int64
	ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	now := func() time.Time { return time.UnixMilli(ms.Load()) }
	oldKey, key := []byte("abcdefghijklmnopqrstuvwxyz012345"), []byte("0123456789abcdef0123456789abcdef")
	svc := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com/", LinkSecret: key, PreviousLinkSecret: oldKey, Now: now})
	old := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com/", LinkSecret: oldKey, Now: now})
	user := bot.NewID()

	for _, tc := range []struct {
		name string
		svc  *bot.Service
		ttl  time.Duration
	}{
		{"no public URL", bot.NewService(bot.Config{Store: db, LinkSecret: key}), 0},
		{"no key", bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com"}), 0},
		{"too short", svc, time.Second},
		{"too long", svc, 25 * time.Hour},
	} {
		if _, err := tc.svc.AdminLink(user, tc.ttl); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("%s: got %v, want EInvalid", tc.name, err)
		}
	}
	if _, err := svc.AdminLink("not an id!", 0); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("a malformed user ID: got %v, want EInvalid", err)
	}

	open := func(link string) (bot.AdminSession, error) {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		_, sess, err := svc.OpenAdminLink(ctx, u.Query())
		return sess, err
	}
	link, err := svc.AdminLink(user, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://pb.example.com"+bot.AdminLinkPath+"?") {
		t.Errorf("got link %s, want it under the public URL's %s", link, bot.AdminLinkPath)
	}
	sess, err := open(link)
	if err != nil || sess.UserID != user || !sess.Actor().Admin || sess.Actor().UserID != user {
		t.Fatalf("open: got %+v, %v; want a session of admin %s", sess, err, user)
	}
	if sess.ExpireAt-sess.CreateAt != bot.AdminSessionMax.Milliseconds() || sess.CSRF == "" {
		t.Errorf("session %+v: want a CSRF token and an expiry %s after its start", sess, bot.AdminSessionMax)
	}
	if !sess.CheckCSRF(sess.CSRF) || sess.CheckCSRF("") || sess.CheckCSRF(sess.CSRF+"x") {
		t.Errorf("CheckCSRF accepts the wrong tokens")
	}
	if _, err := open(link); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("a second opening: got %v, want EUnauthenticated", err)
	}

	// Signed with the previous key: still good.
	prev, err := old.AdminLink(user, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(prev); err != nil {
		t.Errorf("a link signed with the previous key: %v", err)
	}

	// A details link's signature over the same key never opens the page.
	details := svc.DetailsURL(bot.Run{ID: user})
	du, _ := url.Parse(details)
	exp, sig, _ := strings.Cut(du.Query().Get("sig"), ".")
	if _, _, err := svc.OpenAdminLink(ctx, url.Values{"user": {user}, "exp": {exp}, "n": {""}, "sig": {sig}}); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("a details signature opened the admin page: %v", err)
	}

	// A link that would live past MaxAdminLinkTTL (made by a server whose
	// clock runs two days ahead) is refused.
	ahead := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com", LinkSecret: key,
		Now: func() time.Time { return now().Add(48 * time.Hour) }})
	far, err := ahead.AdminLink(user, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(far); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("a link expiring in two days: got %v, want EUnauthenticated", err)
	}

	// A minute-long link: good at 59 s, expired at 60 s.
	short, err := svc.AdminLink(user, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ms.Add(time.Minute.Milliseconds())
	if _, err := open(short); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("an expired link: got %v, want EUnauthenticated", err)
	}
	short, err = svc.AdminLink(user, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ms.Add(59 * time.Second.Milliseconds())
	if _, err := open(short); err != nil {
		t.Errorf("a link 59 s into its minute: %v", err)
	}
}

// TestAdminLinkForChat: only a system admin of the chat gets a link.
func TestAdminLinkForChat(t *testing.T) {
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, "sqlite"), PublicURL: "http://pb.local",
		LinkSecret: []byte("0123456789abcdef0123456789abcdef"), Chat: adminChat{admin: "Uadmin0001"}})
	ctx := context.Background()
	if _, err := svc.AdminLinkForChat(ctx, "", "Umember001"); bot.ErrorCode(err) != bot.EForbidden {
		t.Errorf("a member: got %v, want EForbidden", err)
	}
	link, err := svc.AdminLinkForChat(ctx, "", "Uadmin0001")
	if err != nil || !strings.Contains(link, "user=Uadmin0001") {
		t.Errorf("an admin: got %q, %v; want a link for them", link, err)
	}
	if svc.AdminPageSecure() || svc.PublicOrigin() != "http://pb.local" {
		t.Errorf("http public URL: got secure %v, origin %q", svc.AdminPageSecure(), svc.PublicOrigin())
	}
	https := bot.NewService(bot.Config{PublicURL: "HTTPS://PB.example.com/x"})
	if !https.AdminPageSecure() || https.PublicOrigin() != "https://pb.example.com" {
		t.Errorf("https public URL: got secure %v, origin %q", https.AdminPageSecure(), https.PublicOrigin())
	}
}

// adminChat is a chat whose one system admin is admin.
type adminChat struct {
	bot.NoChat
	admin string
}

func (c adminChat) User(_ context.Context, id string) (bot.User, error) {
	return bot.User{ID: id, Username: id, SystemAdmin: id == c.admin}, nil
}
