package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// mattermostPlatform is Mattermost's entry in the platform registry.
var mattermostPlatform = platform{
	name:    mattermost.Platform,
	pkg:     "bot/mattermost",
	title:   "Mattermost",
	prefix:  "/mattermost/",
	validID: mattermost.ValidID,
	settings: []setting{
		{name: "PLAYBOOKS_MATTERMOST_URL", help: "Mattermost site URL, e.g. https://chat.example.com (mattermost setup prints it)"},
		{name: "PLAYBOOKS_MATTERMOST_BOT_TOKEN", help: "the bot account's access token (mattermost setup prints it)", secret: true},
		{name: "PLAYBOOKS_MATTERMOST_COMMAND_TOKENS", help: "comma-separated tokens of the /playbook slash command, one per team (not in plugin mode)", secret: true},
		{name: "PLAYBOOKS_MATTERMOST_PLUGIN_SECRET", help: "plugin mode: the secret shared with the companion Mattermost plugin, at least 32 characters (mattermost setup --plugin prints it)", secret: true},
		{name: "PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL", def: shortDuration(mattermost.DefaultNegativeTTL),
			help: "how long a bearer token Mattermost does not know is remembered as unknown (up to 1h; 0: ask every time)"},
	},
	load:  loadMattermost,
	start: startMattermost,
}

// mattermostConfig connects the bot to a Mattermost server.
type mattermostConfig struct {
	URL           string
	BotToken      string
	CommandTokens []string
	PluginSecret  string // plugin mode when set
	PublicURL     string
	Secret        string
}

func (m mattermostConfig) secret() string { return m.Secret }

// loadMattermost reads the PLAYBOOKS_MATTERMOST_* environment; nil when
// none of URL, bot token and command tokens is set.
func loadMattermost(getenv func(string) string) (platformConfig, error) {
	m := mattermostConfig{
		URL:          strings.TrimRight(getenv("PLAYBOOKS_MATTERMOST_URL"), "/"),
		BotToken:     getenv("PLAYBOOKS_MATTERMOST_BOT_TOKEN"),
		PluginSecret: strings.TrimSpace(getenv("PLAYBOOKS_MATTERMOST_PLUGIN_SECRET")),
		PublicURL:    strings.TrimRight(getenv("PLAYBOOKS_PUBLIC_URL"), "/"),
		Secret:       getenv("PLAYBOOKS_SECRET"),
	}
	for _, t := range strings.Split(getenv("PLAYBOOKS_MATTERMOST_COMMAND_TOKENS"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			m.CommandTokens = append(m.CommandTokens, t)
		}
	}
	if m.URL == "" && m.BotToken == "" && len(m.CommandTokens) == 0 && m.PluginSecret == "" {
		return nil, nil
	}
	var missing []string
	for name, v := range map[string]bool{
		"PLAYBOOKS_MATTERMOST_URL": m.URL != "", "PLAYBOOKS_MATTERMOST_BOT_TOKEN": m.BotToken != "",
		"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS (or PLAYBOOKS_MATTERMOST_PLUGIN_SECRET, in plugin mode)": len(m.CommandTokens) > 0 || m.PluginSecret != "",
		"PLAYBOOKS_PUBLIC_URL": m.PublicURL != "", "PLAYBOOKS_SECRET": m.Secret != "",
	} {
		if !v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("Mattermost is half configured: set %s too (see docs/mattermost.md, Setup)", strings.Join(missing, ", "))
	}
	for name, v := range map[string]string{"PLAYBOOKS_MATTERMOST_URL": m.URL, "PLAYBOOKS_PUBLIC_URL": m.PublicURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s must be an http(s) URL, got %q", name, v)
		}
	}
	if len(m.Secret) < 32 {
		return nil, fmt.Errorf("PLAYBOOKS_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if m.PluginSecret != "" && len(m.PluginSecret) < mmplugin.MinSecretLen {
		return nil, fmt.Errorf("PLAYBOOKS_MATTERMOST_PLUGIN_SECRET must be at least %d characters (e.g. openssl rand -hex 32)", mmplugin.MinSecretLen)
	}
	return m, nil
}

// startMattermost makes the Mattermost client, the REST authentication by
// Mattermost tokens (and, in plugin mode, of the plugin's requests), and
// the handler of slash commands, dialogs, buttons and the plugin's calls.
func startMattermost(pc platformConfig, d platformDeps) (started, error) {
	m := pc.(mattermostConfig)
	client, err := mattermost.NewClient(mattermost.Config{
		URL: m.URL, BotToken: m.BotToken, Signer: d.signer, PublicURL: m.PublicURL, Logger: d.logger,
	})
	if err != nil {
		return started{}, err
	}
	// verifier checks the plugin's requests, for the REST API and the
	// handler alike; nil unless in plugin mode.
	verifier := func(svc *bot.Service) (*mmplugin.Verifier, error) {
		if m.PluginSecret == "" {
			return nil, nil
		}
		return mmplugin.NewVerifier(m.PluginSecret, svc.FirstSeen)
	}
	return started{
		chat: client,
		auth: mattermost.NewTokenAuth(m.URL, nil, time.Minute).WithNegativeCache(d.auth.UnknownTokenTTL, 0),
		delegated: func(svc *bot.Service) (delegatedAuth, error) {
			v, err := verifier(svc)
			if v == nil || err != nil {
				return nil, err
			}
			return func(r *http.Request) (bot.Actor, bool, error) {
				if !mmplugin.Claims(r) {
					return bot.Actor{}, false, nil
				}
				id, err := v.Verify(r)
				return id.Actor(), true, err
			}, nil
		},
		handler: func(svc *bot.Service) (http.Handler, error) {
			v, err := verifier(svc)
			if err != nil {
				return nil, err
			}
			return mattermost.NewHandler(mattermost.HandlerConfig{
				Client: client, CommandTokens: m.CommandTokens, Plugin: v,
				HandlerBase: commands.HandlerBase{Service: svc, Signer: d.signer, Logger: d.logger,
					Dispatcher: commands.NewDispatcher(svc).WithUsers(client).WithLogger(d.logger)},
			})
		},
	}, nil
}
