package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/commands"
)

// slackPlatform is Slack's entry in the platform registry.
var slackPlatform = platform{
	name:    slack.Platform,
	pkg:     "bot/slack",
	title:   "Slack",
	prefix:  "/slack/",
	validID: slack.ValidID,
	settings: []setting{
		{name: "PLAYBOOKS_SLACK_BOT_TOKEN", help: "the Slack app's bot token (xoxb-...)", secret: true},
		{name: "PLAYBOOKS_SLACK_SIGNING_SECRET", help: "the Slack app's signing secret, which authenticates Slack's requests", secret: true},
		{name: "PLAYBOOKS_SLACK_API_URL", help: "base URL of Slack's Web API (for tests and proxies; default: Slack's own)"},
	},
	load:  loadSlack,
	start: startSlack,
}

// slackConfig connects the bot to a Slack workspace. Secret is
// PLAYBOOKS_SECRET, shared with Mattermost.
type slackConfig struct {
	BotToken      string
	SigningSecret string
	APIURL        string // "" for Slack's own
	Secret        string
}

func (s slackConfig) secret() string { return s.Secret }

// loadSlack reads the PLAYBOOKS_SLACK_* environment; nil when neither bot
// token nor signing secret is set.
func loadSlack(getenv func(string) string) (platformConfig, error) {
	s := slackConfig{
		BotToken:      getenv("PLAYBOOKS_SLACK_BOT_TOKEN"),
		SigningSecret: getenv("PLAYBOOKS_SLACK_SIGNING_SECRET"),
		APIURL:        getenv("PLAYBOOKS_SLACK_API_URL"),
		Secret:        getenv("PLAYBOOKS_SECRET"),
	}
	if s.BotToken == "" && s.SigningSecret == "" {
		return nil, nil
	}
	var missing []string
	for name, ok := range map[string]bool{
		"PLAYBOOKS_SLACK_BOT_TOKEN": s.BotToken != "", "PLAYBOOKS_SLACK_SIGNING_SECRET": s.SigningSecret != "",
		"PLAYBOOKS_SECRET": s.Secret != "",
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("Slack is half configured: set %s too (see docs/slack.md, Setup)", strings.Join(missing, ", "))
	}
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("PLAYBOOKS_SLACK_API_URL must be an http(s) URL, got %q", s.APIURL)
		}
		if !strings.HasSuffix(s.APIURL, "/") {
			s.APIURL += "/" // slack-go joins method names onto it
		}
	}
	if len(s.Secret) < 32 {
		return nil, fmt.Errorf("PLAYBOOKS_SECRET must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	return s, nil
}

// startSlack makes the Slack client and the handler of commands,
// interactivity and options.
func startSlack(pc platformConfig, d platformDeps) (started, error) {
	s := pc.(slackConfig)
	client, err := slack.NewClient(slack.Config{BotToken: s.BotToken, APIURL: s.APIURL, Signer: d.signer, Logger: d.logger})
	if err != nil {
		return started{}, err
	}
	return started{
		chat: client,
		handler: func(svc *bot.Service) (http.Handler, error) {
			return slack.NewHandler(slack.HandlerConfig{
				Client: client, SigningSecret: s.SigningSecret,
				HandlerBase: commands.HandlerBase{Service: svc, Signer: d.signer, Logger: d.logger,
					Dispatcher: commands.NewDispatcher(svc).WithUsers(client).WithLogger(d.logger)},
			})
		},
	}, nil
}
