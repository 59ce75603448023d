package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MaxWebhookAttempts is how many delivery attempts a webhook gets before the
// dispatcher gives up on it.
const MaxWebhookAttempts = 10

const (
	webhookUserAgent       = "playbooks-webhook/1"
	webhookDefaultTimeout  = 10 * time.Second
	webhookMinSecret       = 32
	webhookMaxResponseRead = 4 << 10 // enough to let a keep-alive connection be reused
	webhookBackoffBase     = 5 * time.Second
	webhookBackoffCap      = time.Hour
	webhookDefaultTolerate = 5 * time.Minute
)

// errWebhookAddress marks a dial refused because the destination address is
// not public and not allow-listed.
var errWebhookAddress = errors.New("destination address not allowed")

// WebhookConfig configures a WebhookSender.
type WebhookConfig struct {
	// Secret is the HMAC-SHA256 key for X-Playbooks-Signature; at least 32
	// bytes. It is never logged nor put in an error.
	Secret string
	// Timeout bounds one attempt, from dial to reading the answer; 10 s when 0.
	Timeout time.Duration
	// AllowHosts lists host names, IP addresses and CIDR prefixes (such as
	// "hooks.internal", "127.0.0.1", "10.0.0.0/8") that may resolve to
	// loopback, private, link-local or other non-public addresses. A URL
	// host named here is dialed whatever it resolves to; an IP or prefix
	// here allows any host that resolves into it.
	AllowHosts []string
	// Now returns the current time for X-Playbooks-Timestamp; time.Now when nil.
	Now func() time.Time
}

// WebhookSender delivers outgoing webhooks: one signed POST per Send, to
// public addresses only unless allow-listed, checked when dialing so that a
// DNS answer that changes between checks (DNS rebinding) cannot bypass it.
// It is safe for concurrent use.
type WebhookSender struct {
	// sign holds the secret in a closure so that printing the sender with
	// %+v cannot reveal it.
	sign    func(timestamp string, body []byte) string
	timeout time.Duration
	now     func() time.Time
	allow   webhookAllowList
	client  *http.Client
}

// WebhookError is the error of a failed delivery attempt.
type WebhookError struct {
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Permanent reports that retrying cannot help: the URL is invalid or its
	// destination is refused. Non-2xx answers, timeouts and network errors
	// are not permanent.
	Permanent bool
	// Err is the cause, nil for a non-2xx answer.
	Err error
}

func (e *WebhookError) Error() string {
	switch {
	case e.Err != nil && e.Status != 0:
		return fmt.Sprintf("webhook: status %d: %v", e.Status, e.Err)
	case e.Err != nil:
		return "webhook: " + e.Err.Error()
	default:
		return fmt.Sprintf("webhook: status %d %s", e.Status, http.StatusText(e.Status))
	}
}

// Unwrap returns the cause.
func (e *WebhookError) Unwrap() error { return e.Err }

// NewWebhookSender returns a WebhookSender for c. It fails when the secret is
// shorter than 32 bytes, the timeout is negative or an AllowHosts entry is
// malformed.
func NewWebhookSender(c WebhookConfig) (*WebhookSender, error) {
	if len(c.Secret) < webhookMinSecret {
		return nil, fmt.Errorf("webhook secret: %d bytes, want at least %d", len(c.Secret), webhookMinSecret)
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("webhook timeout: %v is negative", c.Timeout)
	}
	allow, err := parseWebhookAllowList(c.AllowHosts)
	if err != nil {
		return nil, err
	}
	key := []byte(c.Secret)
	w := &WebhookSender{
		sign:    func(ts string, body []byte) string { return webhookSignature(key, ts, body) },
		timeout: c.Timeout,
		now:     c.Now,
		allow:   allow,
	}
	if w.timeout == 0 {
		w.timeout = webhookDefaultTimeout
	}
	if w.now == nil {
		w.now = time.Now
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           w.dialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   w.timeout,
		ResponseHeaderTimeout: w.timeout,
	}
	w.client = &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return w, nil
}

// Send makes one delivery attempt: it POSTs body, which must be JSON, to
// rawURL, signed and stamped with deliveryID. It returns nil on a 2xx answer
// and a *WebhookError otherwise; redirects are not followed. Errors never
// contain the URL, since webhook URLs often carry tokens.
func (w *WebhookSender) Send(ctx context.Context, rawURL, deliveryID string, body []byte) error {
	u, err := parseWebhookURL(rawURL)
	if err != nil {
		return &WebhookError{Permanent: true, Err: err}
	}
	if deliveryID == "" || strings.ContainsFunc(deliveryID, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return &WebhookError{Permanent: true, Err: errors.New("invalid delivery ID")}
	}
	if !json.Valid(body) {
		return &WebhookError{Permanent: true, Err: errors.New("body is not JSON")}
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return &WebhookError{Permanent: true, Err: fmt.Errorf("new request: %w", err)}
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set("X-Playbooks-Delivery", deliveryID)
	req.Header.Set("X-Playbooks-Timestamp", ts)
	req.Header.Set("X-Playbooks-Signature", w.sign(ts, body))

	resp, err := w.client.Do(req)
	if err != nil {
		// *url.Error would quote the URL; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &WebhookError{Permanent: errors.Is(err, errWebhookAddress), Err: fmt.Errorf("post: %w", err)}
	}
	// Read a little so a keep-alive connection can be reused, never more: the
	// receiver is not trusted.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookMaxResponseRead))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &WebhookError{Status: resp.StatusCode}
	}
	return nil
}

// dialContext dials addr unless the address it connects to is not public and
// neither addr's host nor that address is allow-listed. The check runs in
// Control, on the IP actually being connected to, after resolution.
func (w *WebhookSender) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", network, err)
	}
	d := net.Dialer{Timeout: w.timeout}
	if !w.allow.hasHost(host) {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("parse dialed address: %w", err)
			}
			ip := ap.Addr().WithZone("").Unmap()
			if !webhookPublicIP(ip) && !w.allow.hasIP(ip) {
				return errWebhookAddress // the *net.OpError around it names the address
			}
			return nil
		}
	}
	return d.DialContext(ctx, network, addr)
}

// parseWebhookURL accepts absolute http and https URLs with a host.
func parseWebhookURL(raw string) (*url.URL, error) {
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

// webhookNonPublic lists ranges refused besides those netip classifies:
// "this network" (0.0.0.0/8, which reaches the local host on Linux), shared
// carrier-grade NAT space, where some clouds put their metadata service, and
// the limited broadcast address.
var webhookNonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// webhookPublicIP reports whether ip may be dialed without an allow-list
// entry: it is not loopback, private (RFC 1918, fc00::/7), link-local,
// unspecified, multicast nor in webhookNonPublic.
func webhookPublicIP(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	for _, p := range webhookNonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// webhookAllowList is the parsed WebhookConfig.AllowHosts.
type webhookAllowList struct {
	hosts    map[string]bool
	prefixes []netip.Prefix
}

func parseWebhookAllowList(entries []string) (webhookAllowList, error) {
	a := webhookAllowList{hosts: map[string]bool{}}
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
			a.hosts[normalizeWebhookHost(s)] = true
		}
	}
	return a, nil
}

// hasHost reports whether host, as written in the URL, is allow-listed by
// name or, for an IP literal, by address.
func (a webhookAllowList) hasHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return a.hasIP(ip.WithZone("").Unmap())
	}
	return a.hosts[normalizeWebhookHost(host)]
}

func (a webhookAllowList) hasIP(ip netip.Addr) bool {
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func normalizeWebhookHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// webhookSignature is "v1=" and the hex HMAC-SHA256 of "<timestamp>.<body>".
func webhookSignature(key []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Backoff is the wait before attempt n+1 after n failed attempts: 5 s after
// the first, doubling, capped at 1 h, with jitter drawn uniformly from
// [d/2, d] using rnd, which returns values in [0, 1) (math/rand/v2's Float64
// when nil). n below 1 counts as 1.
func Backoff(n int, rnd func() float64) time.Duration {
	if rnd == nil {
		rnd = rand.Float64
	}
	d := webhookBackoffBase
	for i := 1; i < n && d < webhookBackoffCap; i++ {
		d *= 2
	}
	d = min(d, webhookBackoffCap)
	f := min(max(rnd(), 0), 1)
	return d/2 + time.Duration(f*float64(d/2))
}

// VerifyWebhook checks a received delivery: signature (the
// X-Playbooks-Signature value, possibly several comma-separated "v1=" values
// during a secret rotation) must be the signature of timestamp (the
// X-Playbooks-Timestamp value) and body under secret, and timestamp must be
// within tolerance of now, either way; tolerance 0 means 5 minutes. It
// returns an EUnauthenticated *Error when the delivery is not authentic.
func VerifyWebhook(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return Errorf(EInternal, "webhook secret not set")
	}
	if tolerance <= 0 {
		tolerance = webhookDefaultTolerate
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return Errorf(EUnauthenticated, "invalid webhook timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return Errorf(EUnauthenticated, "webhook timestamp outside the %v window", tolerance)
	}
	want := []byte(webhookSignature([]byte(secret), timestamp, body))
	for _, s := range strings.Split(signature, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), want) {
			return nil
		}
	}
	return Errorf(EUnauthenticated, "invalid webhook signature")
}
