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
		{name: "PLAYBOOKS_MATTERMOST_COMMAND_TOKENS", help: "comma-separated tokens of the /playbook slash command, one per team", secret: true},
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
	PublicURL     string
	Secret        string
}

func (m mattermostConfig) secret() string { return m.Secret }

// loadMattermost reads the PLAYBOOKS_MATTERMOST_* environment; nil when
// none of URL, bot token and command tokens is set.
func loadMattermost(getenv func(string) string) (platformConfig, error) {
	m := mattermostConfig{
		URL:       strings.TrimRight(getenv("PLAYBOOKS_MATTERMOST_URL"), "/"),
		BotToken:  getenv("PLAYBOOKS_MATTERMOST_BOT_TOKEN"),
		PublicURL: strings.TrimRight(getenv("PLAYBOOKS_PUBLIC_URL"), "/"),
		Secret:    getenv("PLAYBOOKS_SECRET"),
	}
	for _, t := range strings.Split(getenv("PLAYBOOKS_MATTERMOST_COMMAND_TOKENS"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			m.CommandTokens = append(m.CommandTokens, t)
		}
	}
	if m.URL == "" && m.BotToken == "" && len(m.CommandTokens) == 0 {
		return nil, nil
	}
	var missing []string
	for name, v := range map[string]bool{
		"PLAYBOOKS_MATTERMOST_URL": m.URL != "", "PLAYBOOKS_MATTERMOST_BOT_TOKEN": m.BotToken != "",
		"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS": len(m.CommandTokens) > 0,
		"PLAYBOOKS_PUBLIC_URL":                m.PublicURL != "", "PLAYBOOKS_SECRET": m.Secret != "",
	} {
		if !v {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("Mattermost is half configured: set %s too (see README, Connect to Mattermost)", strings.Join(missing, ", "))
	}
	for name, v := range map[string]string{"PLAYBOOKS_MATTERMOST_URL": m.URL, "PLAYBOOKS_PUBLIC_URL": m.PublicURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s must be an http(s) URL, got %q", name, v)
		}
	}
	if len(m.Secret) < 32 {
		return nil, fmt.Errorf("PLAYBOOKS_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	return m, nil
}

// startMattermost makes the Mattermost client, the REST authentication by
// Mattermost tokens, and the handler of slash commands, dialogs and buttons.
func startMattermost(pc platformConfig, d platformDeps) (started, error) {
	m := pc.(mattermostConfig)
	client, err := mattermost.NewClient(mattermost.Config{
		URL: m.URL, BotToken: m.BotToken, Signer: d.signer, PublicURL: m.PublicURL, Logger: d.logger,
	})
	if err != nil {
		return started{}, err
	}
	return started{
		chat: client,
		auth: mattermost.NewTokenAuth(m.URL, nil, time.Minute).WithNegativeCache(d.auth.UnknownTokenTTL, 0),
		handler: func(svc *bot.Service) (http.Handler, error) {
			return mattermost.NewHandler(mattermost.HandlerConfig{
				Client: client, CommandTokens: m.CommandTokens,
				HandlerBase: commands.HandlerBase{Service: svc, Signer: d.signer, Logger: d.logger,
					Dispatcher: commands.NewDispatcher(svc).WithUsers(client).WithLogger(d.logger)},
			})
		},
	}, nil
}
