// Package webhook delivers outgoing webhooks: one signed POST per attempt,
// to public addresses only unless allow-listed. The dispatcher in package
// bot calls it through bot.WebhookPoster; cmd/playbooks wires it in.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"

	"github.com/playbooks-bot/playbooks/bot"
)

const (
	userAgent       = "playbooks-webhook/1"
	defaultTimeout  = 10 * time.Second
	maxResponseRead = 4 << 10 // enough to let a keep-alive connection be reused
)

// errAddress marks a dial refused because the destination address is not
// public and not allow-listed.
var errAddress = errors.New("destination address not allowed")

// Config configures a Sender.
type Config struct {
	// Secret is PLAYBOOKS_WEBHOOK_SECRET: "whsec_" and a base64 key of 24
	// bytes or more, or any other string of 32 bytes or more, whose bytes
	// are the key (bot.WebhookKey). It keys webhook-signature; its own bytes
	// key the deprecated X-Playbooks-Signature, as before. It is never
	// logged nor put in an error.
	Secret string
	// Timeout bounds one attempt, from dial to reading the answer; 10 s when 0.
	Timeout time.Duration
	// AllowHosts lists host names, IP addresses and CIDR prefixes (such as
	// "hooks.internal", "127.0.0.1", "10.0.0.0/8") that may resolve to
	// loopback, private, link-local or other special-purpose addresses. A URL
	// host named here is dialed whatever it resolves to; an IP or prefix
	// here allows any host that resolves into it.
	AllowHosts []string
	// Now returns the current time for webhook-timestamp; time.Now when nil.
	Now func() time.Time
}

// Sender delivers outgoing webhooks: one POST per Send, signed the
// Standard Webhooks way (https://www.standardwebhooks.com), to public
// addresses only (as code.dny.dev/ssrf defines them) unless allow-listed,
// checked when dialing so that a DNS answer that changes between checks
// (DNS rebinding) cannot bypass it. It is safe for concurrent use.
type Sender struct {
	// sign and signLegacy hold the secret in closures so that printing
	// the sender with %+v cannot reveal it.
	sign       func(id string, timestamp int64, body []byte) string
	signLegacy func(timestamp string, body []byte) string
	timeout    time.Duration
	now        func() time.Time
	allow      allowList
	client     *http.Client
}

var _ bot.WebhookPoster = (*Sender)(nil)

// New returns a Sender for c. It fails when the secret is not one
// bot.WebhookKey accepts, the timeout is negative or an AllowHosts entry is
// malformed.
func New(c Config) (*Sender, error) {
	key, err := bot.WebhookKey(c.Secret)
	if err != nil {
		return nil, err
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("webhook timeout: %v is negative", c.Timeout)
	}
	allow, err := parseAllowList(c.AllowHosts)
	if err != nil {
		return nil, err
	}
	legacyKey := []byte(c.Secret)
	s := &Sender{
		sign:       func(id string, ts int64, body []byte) string { return bot.SignWebhook(key, id, ts, body) },
		signLegacy: func(ts string, body []byte) string { return bot.PlaybooksSignature(legacyKey, ts, body) },
		timeout:    c.Timeout,
		now:        c.Now,
		allow:      allow,
	}
	if s.timeout == 0 {
		s.timeout = defaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           s.dialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   s.timeout,
		ResponseHeaderTimeout: s.timeout,
	}
	s.client = &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return s, nil
}

// Send makes one delivery attempt: it POSTs body, which must be JSON, to
// rawURL, signed and stamped with deliveryID, on which receivers
// de-duplicate: the caller passes the same one to every attempt of a
// delivery. The headers are the Standard Webhooks ones (webhook-id:
// deliveryID; webhook-timestamp: now, in Unix seconds; webhook-signature:
// "v1," and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>") and the
// deprecated X-Playbooks-Delivery, -Timestamp and -Signature, kept for
// receivers not yet moved (that signature does not cover the ID). It
// returns nil on a 2xx answer and a *bot.WebhookError otherwise; redirects
// are not followed. Errors never contain the URL, since webhook URLs often
// carry tokens.
func (s *Sender) Send(ctx context.Context, rawURL, deliveryID string, body []byte) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return &bot.WebhookError{Permanent: true, Err: err}
	}
	if deliveryID == "" || strings.ContainsFunc(deliveryID, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return &bot.WebhookError{Permanent: true, Err: errors.New("invalid delivery ID")}
	}
	if !json.Valid(body) {
		return &bot.WebhookError{Permanent: true, Err: errors.New("body is not JSON")}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return &bot.WebhookError{Permanent: true, Err: fmt.Errorf("new request: %w", err)}
	}
	now := s.now().Unix()
	ts := strconv.FormatInt(now, 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Webhook-Id", deliveryID)
	req.Header.Set("Webhook-Timestamp", ts)
	req.Header.Set("Webhook-Signature", s.sign(deliveryID, now, body))
	req.Header.Set("X-Playbooks-Delivery", deliveryID)
	req.Header.Set("X-Playbooks-Timestamp", ts)
	req.Header.Set("X-Playbooks-Signature", s.signLegacy(ts, body))

	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error would quote the URL; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &bot.WebhookError{Permanent: errors.Is(err, errAddress), Err: fmt.Errorf("post: %w", err)}
	}
	// Read a little so a keep-alive connection can be reused, never more: the
	// receiver is not trusted.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &bot.WebhookError{Status: resp.StatusCode}
	}
	return nil
}

// dialContext dials addr unless the address it connects to is not public and
// neither addr's host nor that address is allow-listed. The check runs in
// Control, on the IP actually being connected to, after resolution.
func (s *Sender) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", network, err)
	}
	d := net.Dialer{Timeout: s.timeout}
	if !s.allow.hasHost(host) {
		d.Control = s.control
	}
	return d.DialContext(ctx, network, addr)
}

// guardian refuses what code.dny.dev/ssrf's maintained lists refuse: the
// special-purpose ranges of the IANA IPv4 and IPv6 registries and all of
// IPv6 outside global unicast 2000::/3 (so NAT64 64:ff9b::/96 too), and
// any network but TCP. Every port is allowed, as before; webhook URLs may
// name one.
var guardian = ssrf.New(ssrf.WithAnyPort())

// control is the dialer's Control: it refuses to connect to address, an
// IP and port, unless the IP is allow-listed or guardian lets it through.
// An IPv4-mapped IPv6 address is judged as the IPv4 address it is.
func (s *Sender) control(network, address string, rc syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: parse dialed address: %w", errAddress, err)
	}
	ip := ap.Addr().WithZone("").Unmap()
	if s.allow.hasIP(ip) {
		return nil
	}
	if err := guardian.Safe(network, netip.AddrPortFrom(ip, ap.Port()).String(), rc); err != nil {
		// The *net.OpError around it names the address.
		return fmt.Errorf("%w: %w", errAddress, err)
	}
	return nil
}

// parseURL accepts absolute http and https URLs with a host.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid URL: scheme %q, want http or https", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, errors.New("invalid URL: no host")
	}
	return u, nil
}

// allowList is the parsed Config.AllowHosts.
type allowList struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
}

func parseAllowList(entries []string) (allowList, error) {
	a := allowList{hosts: map[string]bool{}}
	for _, e := range entries {
		s := strings.TrimSpace(e)
		switch {
		case s == "":
			return a, errors.New("webhook allow-list: empty entry")
		case strings.Contains(s, "/"):
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return a, fmt.Errorf("webhook allow-list: %w", err)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			a.prefixes = append(a.prefixes, p.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
				ip = ip.WithZone("").Unmap()
				a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
				continue
			}
			if strings.ContainsAny(s, ":[] ") {
				return a, fmt.Errorf("webhook allow-list: %q is neither a host, an IP nor a CIDR prefix", s)
			}
			a.hosts[normalizeHost(s)] = true
		}
	}
	return a, nil
}

// hasHost reports whether host, as written in the URL, is allow-listed by
// name or, for an IP literal, by address.
func (a allowList) hasHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return a.hasIP(ip.WithZone("").Unmap())
	}
	return a.hosts[normalizeHost(host)]
}

func (a allowList) hasIP(ip netip.Addr) bool {
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}
