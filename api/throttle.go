package api

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// AuthThrottle limits failed authentications per client address, so that
// tokens cannot be guessed (or an unknown token forwarded to Mattermost)
// at the rate a client can send. Each address may fail Failures times in a
// burst and earns them back at Failures per Window; an address out of
// failures gets 429 with Retry-After on every request that needs a token,
// before the token is even looked at, until it has earned one back. Only
// failures count: requests with valid tokens cost nothing, and one
// address's failures never throttle another's requests.
//
// The client address is the TCP peer's, IPv6 addresses taken by their /64
// (what one host is usually given). X-Forwarded-For is believed only when
// the peer is one of TrustedProxies: the address is then the right-most
// one in it that is not a trusted proxy.
type AuthThrottle struct {
	// Failures is the burst of failed authentications an address may make;
	// 0 turns throttling off.
	Failures int
	// Window is how long an address takes to earn back all Failures
	// (DefaultFailureWindow when 0).
	Window time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed; none when empty.
	TrustedProxies []netip.Prefix
	// MaxClients bounds how many addresses are tracked at once
	// (DefaultMaxClients when 0). Addresses idle for a Window have earned
	// everything back and are dropped first.
	MaxClients int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Defaults of AuthThrottle, as serve uses them unless configured.
const (
	DefaultFailures      = 10
	DefaultFailureWindow = time.Minute
	DefaultMaxClients    = 100000
)

// throttle is the state of an AuthThrottle: a token bucket per address.
type throttle struct {
	limit   rate.Limit
	burst   int
	window  time.Duration
	trusted []netip.Prefix
	max     int
	now     func() time.Time

	mu        sync.Mutex
	clients   map[netip.Prefix]*failures
	lastSweep time.Time
}

// failures is one address's bucket of failures, and when it last failed.
type failures struct {
	lim  *rate.Limiter
	last time.Time
}

// newThrottle returns the throttle of c; nil (no throttling) when
// c.Failures is 0.
func newThrottle(c AuthThrottle) *throttle {
	if c.Failures <= 0 {
		return nil
	}
	t := &throttle{
		burst: c.Failures, window: c.Window, trusted: c.TrustedProxies, max: c.MaxClients, now: c.Now,
		clients: map[netip.Prefix]*failures{},
	}
	if t.window <= 0 {
		t.window = DefaultFailureWindow
	}
	if t.max <= 0 {
		t.max = DefaultMaxClients
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.limit = rate.Limit(float64(t.burst) / t.window.Seconds())
	return t
}

// wait returns how long the client of r must wait before its token is
// checked again; 0 when it may be checked now.
func (t *throttle) wait(r *http.Request) time.Duration {
	if t == nil {
		return 0
	}
	key := clientKey(t.clientAddr(r))
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.clients[key]
	if f == nil {
		return 0
	}
	tokens := f.lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(t.limit) * float64(time.Second))
}

// failed records a failed authentication by the client of r.
func (t *throttle) failed(r *http.Request) {
	if t == nil {
		return
	}
	key := clientKey(t.clientAddr(r))
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.clients[key]
	if f == nil {
		t.makeRoom(now)
		f = &failures{lim: rate.NewLimiter(t.limit, t.burst)}
		t.clients[key] = f
	}
	f.lim.AllowN(now, 1) // spends one failure; none left means throttled
	f.last = now
}

// makeRoom keeps the map of addresses bounded: at most once a Window it
// drops the addresses idle for a Window, which have earned all their
// failures back and so are the same as untracked; when the map is still
// full, it drops one address at random, so that a flood of new addresses
// costs constant time each. t.mu is held.
func (t *throttle) makeRoom(now time.Time) {
	if now.Sub(t.lastSweep) >= t.window {
		t.lastSweep = now
		for k, f := range t.clients {
			if now.Sub(f.last) >= t.window {
				delete(t.clients, k)
			}
		}
	}
	for k := range t.clients {
		if len(t.clients) < t.max {
			break
		}
		delete(t.clients, k)
	}
}

// tracked returns how many addresses t tracks.
func (t *throttle) tracked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.clients)
}

// clientAddr returns the address of r's client: the TCP peer, or when the
// peer is a trusted proxy, the right-most address of X-Forwarded-For that
// is not a trusted proxy (the left-most one when all are). An entry that
// is not an address ends the walk at the trusted hop right of it, since no
// trusted proxy writes one. The zero Addr when the peer is unknown.
func (t *throttle) clientAddr(r *http.Request) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !t.isTrusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseAddr(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			break
		}
		client = a
		if !t.isTrusted(a) {
			break
		}
	}
	return client
}

// isTrusted reports whether a is one of the trusted proxies.
func (t *throttle) isTrusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range t.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr parses "ip", "ip:port" or "[ipv6]:port", an IPv4-mapped IPv6
// address as IPv4 and without a zone; the zero Addr when s is none of
// those.
func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone("")
}

// clientKey is what failures are counted by: an IPv4 address, or the /64
// of an IPv6 one. Unknown clients (the zero Addr) share one key.
func clientKey(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}
