package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/webhook"
)

// defaultAdminUserID is the user the bootstrap admin token acts for when
// PLAYBOOKS_ADMIN_USER_ID is not set: a valid ID that names itself.
const defaultAdminUserID = "playbooksadmin000000000000"

// setting is one configuration variable: its name, its default (as
// written in the environment; "" for none) and what it means. Every
// variable the program reads is declared once, in coreSettings, a
// platform's entry (platforms.go), or the settings of a command
// (mattermostSetupSettings, healthSettings); the flags, the help, the
// unknown-variable warning and docs/configuration.md are made from them.
type setting struct {
	name string // PLAYBOOKS_...
	def  string
	help string
	// secret marks a value that should stay out of the command line
	// (where ps shows it): its flag's help says to use the variable.
	secret bool
}

// flag is the setting's flag name: PLAYBOOKS_DATABASE_URL is
// --database-url.
func (s setting) flag() string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.name, envPrefix)), "_", "-")
}

// envPrefix starts the name of every variable the program reads.
const envPrefix = "PLAYBOOKS_"

// coreSettings are the variables serve reads besides the platforms'.
var coreSettings = []setting{
	{name: "PLAYBOOKS_LISTEN", def: ":8080", help: "address serve listens on (health asks 127.0.0.1 on its port)"},
	{name: "PLAYBOOKS_DATABASE_URL", def: "./data/playbooks.db", help: "postgres:// or postgresql:// URL for Postgres; " +
		"else an SQLite file path, optionally prefixed sqlite:// or file:. Only serve and migrate create a missing SQLite file"},
	{name: "PLAYBOOKS_LOG_FORMAT", def: "text", help: "log format on stderr: text or json"},
	{name: "PLAYBOOKS_LOG_LEVEL", def: "info", help: "lowest level logged: debug, info, warn or error"},
	{name: "PLAYBOOKS_ADMIN_TOKEN", help: "optional bootstrap bearer token (16+ characters) serve accepts as an admin of every team", secret: true},
	{name: "PLAYBOOKS_ADMIN_USER_ID", def: defaultAdminUserID, help: "the user the bootstrap admin token acts for"},
	{name: "PLAYBOOKS_PUBLIC_URL", help: "this server's base URL as chat platforms and browsers reach it (details links, Mattermost dialogs)"},
	{name: "PLAYBOOKS_SECRET", help: "32+ characters (e.g. openssl rand -hex 32): signs the dialogs and buttons the bot posts; keep it stable", secret: true},
	{name: "PLAYBOOKS_SECRET_PREVIOUS", help: "the secret PLAYBOOKS_SECRET replaced: what it signed keeps working, nothing new is signed with it", secret: true},
	{name: "PLAYBOOKS_LINK_SECRET", help: "32+ characters: signs details-page links (default: a key derived from PLAYBOOKS_SECRET; none: the page needs a token)", secret: true},
	{name: "PLAYBOOKS_WEBHOOK_SECRET", help: "32+ characters, not PLAYBOOKS_SECRET: signs outgoing webhooks (Standard Webhooks); unset, webhooks fail unsent", secret: true},
	{name: "PLAYBOOKS_WEBHOOK_ALLOW_HOSTS", help: "comma-separated hosts webhooks may reach although they resolve to private addresses"},
	{name: "PLAYBOOKS_WEBHOOK_TIMEOUT", def: "10s", help: "how long one webhook attempt may take, up to 5m"},
	{name: "PLAYBOOKS_AUTH_FAILURES", def: strconv.Itoa(api.DefaultFailures), help: "failed authentications one client address may make in a burst before 429; 0 turns throttling off"},
	{name: "PLAYBOOKS_AUTH_FAILURE_WINDOW", def: shortDuration(api.DefaultFailureWindow), help: "how long an address takes to earn back all its failures (1s to 24h)"},
	{name: "PLAYBOOKS_TRUSTED_PROXIES", help: "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed"},
	{name: "PLAYBOOKS_SHUTDOWN_GRACE", def: shortDuration(defaultShutdownGrace), help: "on SIGTERM, how long requests and job attempts in flight may finish (1s to 1h)"},
	{name: "PLAYBOOKS_JOB_RETENTION", def: "720h", help: "how long ended jobs are kept before they are purged (at least 1h)"},
	{name: "PLAYBOOKS_OAUTH_TOKEN_TTL", def: shortDuration(api.DefaultOAuthTokenTTL), help: "lifetime of the access tokens POST /oauth/token issues to OAuth2 clients (1m to 24h)"},
	{name: "PLAYBOOKS_METRICS_TOKEN", help: "bearer token GET /metrics requires; empty: /metrics is open", secret: true},
}

// shortDuration writes d as a variable would: 1m, not 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// serveSettings are the variables serve reads: the core ones, then each
// registered platform's.
func serveSettings() []setting {
	out := slices.Clone(coreSettings)
	for _, p := range platforms {
		out = append(out, p.settings...)
	}
	return out
}

// allSettings is every variable the program reads, each once.
func allSettings() []setting {
	var out []setting
	seen := map[string]bool{}
	for _, group := range [][]setting{serveSettings(), mattermostSetupSettings, healthSettings} {
		for _, s := range group {
			if !seen[s.name] {
				seen[s.name] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// lookupSetting returns the declared setting called name.
func lookupSetting(name string) (setting, bool) {
	for _, s := range allSettings() {
		if s.name == name {
			return s, true
		}
	}
	return setting{}, false
}

// withDefaults returns getenv with the declared default of each variable
// that is unset or empty.
func withDefaults(getenv func(string) string) func(string) string {
	defaults := map[string]string{}
	for _, s := range allSettings() {
		defaults[s.name] = s.def
	}
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return defaults[name]
	}
}

// config is everything read from the environment.
type config struct {
	Listen      string
	DatabaseURL string
	// Database is what DatabaseURL names (its scheme checked).
	Database store.Target
	// LogFormat is PLAYBOOKS_LOG_FORMAT, "text" or "json"; LogLevel is
	// PLAYBOOKS_LOG_LEVEL (see newLogger).
	LogFormat string
	LogLevel  slog.Level
	// MetricsToken is PLAYBOOKS_METRICS_TOKEN: the bearer token GET
	// /metrics requires; "" leaves /metrics open.
	MetricsToken string
	Admin        bot.BootstrapAdmin
	// Chats holds the configuration of each configured chat platform, by
	// platform name (see platforms.go).
	Chats     map[string]platformConfig
	PublicURL string // this server's base URL as others reach it; "" when unknown
	Webhooks  webhook.Config
	// LinkSecret signs details links: PLAYBOOKS_LINK_SECRET, else a key
	// derived from PLAYBOOKS_SECRET; nil for unsigned links.
	LinkSecret []byte
	// PreviousLinkSecret is the link key derived from PreviousSecret (when
	// PLAYBOOKS_LINK_SECRET is not set), so that details links posted
	// before a secret change keep working; nil for none.
	PreviousLinkSecret []byte
	// PreviousSecret is PLAYBOOKS_SECRET_PREVIOUS: the secret PLAYBOOKS_SECRET
	// replaced, still accepted (never used to sign) for the dialogs and
	// buttons already posted; "" for none.
	PreviousSecret string
	// ShutdownGrace is PLAYBOOKS_SHUTDOWN_GRACE (30 s by default): how long
	// a stopping serve lets what is in flight finish (HTTP requests, job
	// attempts).
	ShutdownGrace time.Duration
	// JobRetention is PLAYBOOKS_JOB_RETENTION (720 h by default): how long
	// ended jobs (done, failed, cancelled) are kept before they are purged.
	JobRetention time.Duration
	// OAuthTokenTTL is PLAYBOOKS_OAUTH_TOKEN_TTL (10 min by default): the
	// lifetime of OAuth2 access tokens.
	OAuthTokenTTL time.Duration
	// Auth is how failed authentications are throttled and unknown
	// tokens remembered.
	Auth authConfig
}

// authConfig is PLAYBOOKS_AUTH_FAILURES, PLAYBOOKS_AUTH_FAILURE_WINDOW,
// PLAYBOOKS_TRUSTED_PROXIES and PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL.
type authConfig struct {
	Throttle        api.AuthThrottle
	UnknownTokenTTL time.Duration // 0: Mattermost is asked about every unknown token
}

// loadConfig reads the PLAYBOOKS_* environment through getenv; a variable
// unset or empty has its declared default.
func loadConfig(getenv func(string) string) (config, error) {
	getenv = withDefaults(getenv)
	c := config{
		Listen:       getenv("PLAYBOOKS_LISTEN"),
		DatabaseURL:  getenv("PLAYBOOKS_DATABASE_URL"),
		MetricsToken: getenv("PLAYBOOKS_METRICS_TOKEN"),
		Admin: bot.BootstrapAdmin{
			Secret: getenv("PLAYBOOKS_ADMIN_TOKEN"),
			UserID: getenv("PLAYBOOKS_ADMIN_USER_ID"),
		},
	}
	var err error
	if c.Database, err = store.ParseURL(c.DatabaseURL); err != nil {
		return c, fmt.Errorf("PLAYBOOKS_DATABASE_URL: %w", err)
	}
	if err := loadLog(&c, getenv); err != nil {
		return c, err
	}
	if !validUserID(c.Admin.UserID) {
		return c, fmt.Errorf("PLAYBOOKS_ADMIN_USER_ID %q is not a valid user ID of any chat platform", c.Admin.UserID)
	}
	if c.Admin.Secret != "" && len(c.Admin.Secret) < 16 {
		return c, fmt.Errorf("PLAYBOOKS_ADMIN_TOKEN is too short to be safe: use at least 16 characters")
	}
	if err := loadPlatforms(&c, getenv); err != nil {
		return c, err
	}
	if err := loadWebhooks(&c, getenv); err != nil {
		return c, err
	}
	if err := loadLinkSecret(&c, getenv); err != nil {
		return c, err
	}
	if err := loadPreviousSecret(&c, getenv); err != nil {
		return c, err
	}
	if err := loadJobs(&c, getenv); err != nil {
		return c, err
	}
	if err := loadAuth(&c, getenv); err != nil {
		return c, err
	}
	return c, nil
}

// loadLog reads PLAYBOOKS_LOG_FORMAT and PLAYBOOKS_LOG_LEVEL.
func loadLog(c *config, getenv func(string) string) error {
	switch c.LogFormat = strings.ToLower(getenv("PLAYBOOKS_LOG_FORMAT")); c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("PLAYBOOKS_LOG_FORMAT must be text or json, got %q", getenv("PLAYBOOKS_LOG_FORMAT"))
	}
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
	level, ok := levels[strings.ToLower(getenv("PLAYBOOKS_LOG_LEVEL"))]
	if !ok {
		return fmt.Errorf("PLAYBOOKS_LOG_LEVEL must be debug, info, warn or error, got %q", getenv("PLAYBOOKS_LOG_LEVEL"))
	}
	c.LogLevel = level
	return nil
}

// newLogger is the logger of every command: JSON or text on w (stderr),
// from the configured level up.
func newLogger(c config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loadWebhooks reads the public URL and the PLAYBOOKS_WEBHOOK_* settings.
func loadWebhooks(c *config, getenv func(string) string) error {
	c.PublicURL = strings.TrimRight(getenv("PLAYBOOKS_PUBLIC_URL"), "/")
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("PLAYBOOKS_PUBLIC_URL must be an http(s) URL, got %q", c.PublicURL)
		}
	}
	c.Webhooks.Secret = getenv("PLAYBOOKS_WEBHOOK_SECRET")
	if c.Webhooks.Secret != "" && len(c.Webhooks.Secret) < 32 {
		return fmt.Errorf("PLAYBOOKS_WEBHOOK_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if c.Webhooks.Secret != "" && c.Webhooks.Secret == getenv("PLAYBOOKS_SECRET") {
		return fmt.Errorf("PLAYBOOKS_WEBHOOK_SECRET must differ from PLAYBOOKS_SECRET: webhook receivers learn it, and PLAYBOOKS_SECRET signs dialogs")
	}
	for _, h := range strings.Split(getenv("PLAYBOOKS_WEBHOOK_ALLOW_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.Webhooks.AllowHosts = append(c.Webhooks.AllowHosts, h)
		}
	}
	if t := getenv("PLAYBOOKS_WEBHOOK_TIMEOUT"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 || d > 5*time.Minute {
			return fmt.Errorf("PLAYBOOKS_WEBHOOK_TIMEOUT must be a duration such as 10s (at most 5m), got %q", t)
		}
		c.Webhooks.Timeout = d
	}
	return nil
}

// loadLinkSecret reads the key that signs the links to run details pages:
// PLAYBOOKS_LINK_SECRET, or else HMAC(PLAYBOOKS_SECRET, "details-links"),
// so that setting PLAYBOOKS_SECRET is enough and the two keys never match.
func loadLinkSecret(c *config, getenv func(string) string) error {
	if v := getenv("PLAYBOOKS_LINK_SECRET"); v != "" {
		if len(v) < 32 {
			return fmt.Errorf("PLAYBOOKS_LINK_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)")
		}
		c.LinkSecret = []byte(v)
		return nil
	}
	if v := getenv("PLAYBOOKS_SECRET"); v != "" {
		c.LinkSecret = deriveLinkSecret(v)
	}
	return nil
}

// deriveLinkSecret is the details-link key made from a PLAYBOOKS_SECRET.
func deriveLinkSecret(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("details-links"))
	return m.Sum(nil)
}

// loadPreviousSecret reads PLAYBOOKS_SECRET_PREVIOUS, held to the rules of
// PLAYBOOKS_SECRET. It only makes sense next to a current secret.
func loadPreviousSecret(c *config, getenv func(string) string) error {
	v := getenv("PLAYBOOKS_SECRET_PREVIOUS")
	if v == "" {
		return nil
	}
	switch {
	case getenv("PLAYBOOKS_SECRET") == "":
		return fmt.Errorf("PLAYBOOKS_SECRET_PREVIOUS is set but PLAYBOOKS_SECRET is not: set the new secret in PLAYBOOKS_SECRET")
	case len(v) < 32:
		return fmt.Errorf("PLAYBOOKS_SECRET_PREVIOUS must be at least 32 characters, as PLAYBOOKS_SECRET")
	}
	c.PreviousSecret = v
	if getenv("PLAYBOOKS_LINK_SECRET") == "" {
		c.PreviousLinkSecret = deriveLinkSecret(v)
	}
	return nil
}

// defaultShutdownGrace is PLAYBOOKS_SHUTDOWN_GRACE when unset.
const defaultShutdownGrace = 30 * time.Second

// loadAuth reads the settings of failed-authentication throttling and of
// the Mattermost negative cache.
func loadAuth(c *config, getenv func(string) string) error {
	a := authConfig{
		Throttle:        api.AuthThrottle{Failures: api.DefaultFailures, Window: api.DefaultFailureWindow},
		UnknownTokenTTL: mattermost.DefaultNegativeTTL,
	}
	if v := getenv("PLAYBOOKS_AUTH_FAILURES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("PLAYBOOKS_AUTH_FAILURES must be a number of failures, 0 for no throttling, got %q", v)
		}
		a.Throttle.Failures = n
	}
	if v := getenv("PLAYBOOKS_AUTH_FAILURE_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 24*time.Hour {
			return fmt.Errorf("PLAYBOOKS_AUTH_FAILURE_WINDOW must be a duration from 1s to 24h, such as 1m, got %q", v)
		}
		a.Throttle.Window = d
	}
	for _, v := range strings.Split(getenv("PLAYBOOKS_TRUSTED_PROXIES"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			ip, err2 := netip.ParseAddr(v)
			if err2 != nil {
				return fmt.Errorf("PLAYBOOKS_TRUSTED_PROXIES: %q is neither an IP address nor a CIDR", v)
			}
			ip = ip.Unmap()
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		a.Throttle.TrustedProxies = append(a.Throttle.TrustedProxies, p.Masked())
	}
	if v := getenv("PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Hour {
			return fmt.Errorf("PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL must be a duration up to 1h such as 30s, 0 to ask Mattermost every time, got %q", v)
		}
		a.UnknownTokenTTL = d
	}
	c.Auth = a
	return nil
}

// signer returns the signer of dialog states and button contexts: it signs
// with PLAYBOOKS_SECRET and also accepts PLAYBOOKS_SECRET_PREVIOUS.
func (c config) signer() (*dialogs.Signer, error) {
	var secret string
	for _, p := range c.configured() {
		if secret = c.Chats[p.name].secret(); secret != "" {
			break
		}
	}
	var previous [][]byte
	if c.PreviousSecret != "" {
		previous = append(previous, []byte(c.PreviousSecret))
	}
	return dialogs.NewSigner([]byte(secret), nil, previous...)
}

// loadJobs reads the durations of shutdown, job retention and OAuth2
// access tokens.
func loadJobs(c *config, getenv func(string) string) error {
	c.ShutdownGrace, c.JobRetention, c.OAuthTokenTTL = defaultShutdownGrace, 720*time.Hour, api.DefaultOAuthTokenTTL
	for _, v := range []struct {
		name     string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"PLAYBOOKS_SHUTDOWN_GRACE", &c.ShutdownGrace, time.Second, time.Hour},
		{"PLAYBOOKS_JOB_RETENTION", &c.JobRetention, time.Hour, 100 * 365 * 24 * time.Hour},
		{"PLAYBOOKS_OAUTH_TOKEN_TTL", &c.OAuthTokenTTL, time.Minute, 24 * time.Hour},
	} {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < v.min || d > v.max {
			return fmt.Errorf("%s must be a duration from %v to %v, such as %v, got %q", v.name, v.min, v.max, *v.dst, s)
		}
		*v.dst = d
	}
	return nil
}
