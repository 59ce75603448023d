package main

import (
	"log/slog"
	"net/http"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// platforms is the one registry of the chat platforms this binary serves,
// in the order of preference for runs started by REST (the first
// configured one is the default). A new platform is an adapter package
// under bot/ and one entry here (see docs/adding-a-platform.md);
// TestPlatformRegistry fails when a platform package has no entry.
var platforms = []platform{
	mattermostPlatform,
	slackPlatform,
}

// platform is one chat platform: how it is configured from the
// environment and how it is started.
type platform struct {
	// name is the adapter's Platform constant, the key of the run's
	// platform and of bot.Config.Platforms.
	name string
	// pkg is the adapter's import path, relative to the module.
	pkg string
	// title is the platform's name in prose: docs/ has a guide
	// "Connect to <title>".
	title string
	// prefix is the path under which the adapter's handler is mounted.
	prefix string
	// validID is the platform's rule for the shape of its user IDs.
	validID func(id string) bool
	// settings declares the PLAYBOOKS_* variables the platform reads
	// (PLAYBOOKS_SECRET and PLAYBOOKS_PUBLIC_URL, shared, are core
	// settings): they become serve's flags, its help and the rows of docs/configuration.md.
	settings []setting
	// load reads the platform's PLAYBOOKS_* settings. It returns nil and no
	// error when none is set (the platform is not configured), and an
	// error when it is half or wrongly configured.
	load func(getenv func(string) string) (platformConfig, error)
	// start makes the platform's bot.Chat client from its configuration.
	start func(cfg platformConfig, deps platformDeps) (started, error)
}

// platformConfig is the configuration a platform's load returns.
type platformConfig interface {
	// secret is PLAYBOOKS_SECRET as the platform read it: it signs dialog
	// states and button contexts.
	secret() string
}

// platformDeps is what every platform is started with.
type platformDeps struct {
	signer *dialogs.Signer
	logger *slog.Logger
	auth   authConfig
}

// started is a platform ready to serve: its chat client, the external
// authentication of REST tokens it offers (nil for none), and the
// constructor of its HTTP handler over the service.
type started struct {
	chat    bot.Chat
	auth    bot.ExternalAuth
	handler func(svc *bot.Service) (http.Handler, error)
	// delegated, when not nil, makes the REST API's authentication of an
	// intermediary's requests (api.Config.Delegated); nil from it for none.
	delegated func(svc *bot.Service) (delegatedAuth, error)
}

// delegatedAuth is api.Config.Delegated.
type delegatedAuth = func(r *http.Request) (bot.Actor, bool, error)

// loadPlatforms reads every registered platform's configuration into
// c.Chats, keyed by platform name; unconfigured platforms have no key.
func loadPlatforms(c *config, getenv func(string) string) error {
	c.Chats = map[string]platformConfig{}
	for _, p := range platforms {
		pc, err := p.load(getenv)
		if err != nil {
			return err
		}
		if pc != nil {
			c.Chats[p.name] = pc
		}
	}
	return nil
}

// validUserID reports whether id may name a user on some registered
// platform, or is an ID this server makes (the default admin's is one).
func validUserID(id string) bool {
	if bot.OwnID(id) {
		return true
	}
	for _, p := range platforms {
		if p.validID(id) {
			return true
		}
	}
	return false
}

// configured returns the registered platforms that are configured in c, in
// registry order.
func (c config) configured() []platform {
	var out []platform
	for _, p := range platforms {
		if c.Chats[p.name] != nil {
			out = append(out, p)
		}
	}
	return out
}
