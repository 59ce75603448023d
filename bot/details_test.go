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

// TestDetailsURL checks the signed links to a run's details page: they
// name the run under the public URL, open it until they expire, and a
// changed run ID, signature or key does not.
func TestDetailsURL(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	var ms atomic.Int64
	ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	now := func() time.Time { return time.UnixMilli(ms.Load()) }
	key := []byte("0123456789abcdef0123456789abcdef")
	svc := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com/", LinkSecret: key, Now: now})
	admin := bot.Actor{UserID: bot.NewID(), Admin: true}
	pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "Outage", TeamID: pb.TeamID, PlaybookID: pb.ID})
	if err != nil {
		t.Fatal(err)
	}
	link := svc.DetailsURL(r)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, "https://pb.example.com/runs/"+r.ID; got != want {
		t.Fatalf("got details URL %q, want %s?sig=...", link, want)
	}
	sig := u.Query().Get("sig")
	if got, err := svc.RunForLink(ctx, r.ID, sig); err != nil || got.ID != r.ID {
		t.Fatalf("RunForLink: got %q, %v; want run %s", got.ID, err, r.ID)
	}
	other := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com", LinkSecret: []byte("another key of thirty-two bytes!"), Now: now})
	unsigned := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com", Now: now})
	for _, tc := range []struct {
		name    string
		svc     *bot.Service
		id, sig string
	}{
		{"missing", svc, r.ID, ""},
		{"no dot", svc, r.ID, "abc"},
		{"forged", svc, r.ID, forgeSig(sig)},
		{"malleated last character", svc, r.ID, malleate(sig)},
		{"extended expiry", svc, r.ID, "9" + sig},
		{"another run", svc, bot.NewID(), sig},
		{"another key", other, r.ID, sig},
		{"no key", unsigned, r.ID, sig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.svc.RunForLink(ctx, tc.id, tc.sig); bot.ErrorCode(err) != bot.EUnauthenticated {
				t.Errorf("got %v, want %s", err, bot.EUnauthenticated)
			}
		})
	}
	// After a key change, links signed with the previous key still open
	// the run, when the server is told that key.
	rotated := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com", Now: now,
		LinkSecret: []byte("another key of thirty-two bytes!"), PreviousLinkSecret: key})
	if got, err := rotated.RunForLink(ctx, r.ID, sig); err != nil || got.ID != r.ID {
		t.Errorf("link signed with the previous key: got %q, %v; want run %s", got.ID, err, r.ID)
	}
	if _, err := rotated.RunForLink(ctx, r.ID, forgeSig(sig)); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("forged link, with a previous key configured: got %v, want %s", err, bot.EUnauthenticated)
	}
	if got := unsigned.DetailsURL(r); got != "https://pb.example.com/runs/"+r.ID {
		t.Errorf("without a key: got %q, want the unsigned https://pb.example.com/runs/%s", got, r.ID)
	}
	ms.Add((bot.DetailsLinkTTL - time.Second).Milliseconds())
	if _, err := svc.RunForLink(ctx, r.ID, sig); err != nil {
		t.Errorf("a second before expiry: got %v, want the run", err)
	}
	ms.Add((2 * time.Second).Milliseconds())
	if _, err := svc.RunForLink(ctx, r.ID, sig); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("after expiry: got %v, want %s", err, bot.EUnauthenticated)
	}
	if strings.Contains(link, string(key)) {
		t.Errorf("the link %q shows the key", link)
	}
}

// forgeSig changes one character in the middle of a signature.
func forgeSig(sig string) string {
	i := len(sig) - 10
	c := byte('A')
	if sig[i] == 'A' {
		c = 'B'
	}
	return sig[:i] + string(c) + sig[i+1:]
}

// malleate flips the lowest bit of a signature's last base64 character,
// which encodes no bit of the MAC: only a strict decoder refuses it.
func malleate(sig string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, sig[len(sig)-1])
	return sig[:len(sig)-1] + string(alphabet[i^1])
}

// TestDetailsURLStable checks that the links to a run made on one day are
// the same (so re-rendering a post with one changes nothing), and that each
// opens the page at least DetailsLinkTTL and less than a day more.
func TestDetailsURLStable(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	var ms atomic.Int64
	morning := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	ms.Store(morning.UnixMilli())
	now := func() time.Time { return time.UnixMilli(ms.Load()) }
	svc := bot.NewService(bot.Config{Store: db, PublicURL: "https://pb.example.com", LinkSecret: []byte("0123456789abcdef0123456789abcdef"), Now: now})
	r := bot.Run{ID: bot.NewID()}
	first := svc.DetailsURL(r)
	ms.Add((15 * time.Hour).Milliseconds()) // 23:00 the same day
	if again := svc.DetailsURL(r); again != first {
		t.Errorf("two links made the same day differ: %s and %s", first, again)
	}
	ms.Add((2 * time.Hour).Milliseconds()) // 01:00 the next day
	if next := svc.DetailsURL(r); next == first {
		t.Errorf("a link made the next day is the same: %s", next)
	}
	u, err := url.Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	sig := u.Query().Get("sig")
	// The store has no such run: a valid signature then gives ENotFound.
	valid := func(at time.Time) bool {
		ms.Store(at.UnixMilli())
		_, err := svc.RunForLink(ctx, r.ID, sig)
		return bot.ErrorCode(err) == bot.ENotFound
	}
	if !valid(morning.Add(bot.DetailsLinkTTL)) {
		t.Errorf("the link made at %s has expired %s later", morning, bot.DetailsLinkTTL)
	}
	if valid(morning.Add(bot.DetailsLinkTTL + 24*time.Hour)) {
		t.Errorf("the link made at %s is still valid %s and a day later", morning, bot.DetailsLinkTTL)
	}
}

// TestDetailsURLWithoutPublicURL checks that a server that does not know
// its public URL gives no link, and names runs in bold instead.
func TestDetailsURLWithoutPublicURL(t *testing.T) {
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, "sqlite"), LinkSecret: []byte("0123456789abcdef0123456789abcdef")})
	r := bot.Run{ID: bot.NewID(), Name: "Outage"}
	if got := svc.DetailsURL(r); got != "" {
		t.Errorf("DetailsURL without a public URL: %q, want \"\"", got)
	}
	if got := svc.RunLink(r); got != "**Outage**" {
		t.Errorf("RunLink without a public URL: %q, want **Outage**", got)
	}
}

// TestMarkdownLink checks that a run's name cannot break out of its link
// or format the text around it.
func TestMarkdownLink(t *testing.T) {
	for _, tc := range []struct{ text, url, want string }{
		{"Checkout errors: EU-west!", "https://x/runs/1", "[Checkout errors: EU-west!](https://x/runs/1)"},
		{"a](https://evil)[b", "https://x/runs/1", `[a\](https://evil)\[b](https://x/runs/1)`},
		{"**bold** _it_ ~x~ `code` back\\slash", "https://x", "[\\*\\*bold\\*\\* \\_it\\_ \\~x\\~ \\`code\\` back\\\\slash](https://x)"},
		{"two\nlines", "https://x", "[two lines](https://x)"},
		{"no_link", "", `**no\_link**`},
	} {
		if got := bot.MarkdownLink(tc.text, tc.url); got != tc.want {
			t.Errorf("MarkdownLink(%q, %q) = %q, want %q", tc.text, tc.url, got, tc.want)
		}
	}
}
