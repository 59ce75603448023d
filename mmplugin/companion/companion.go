// Package companion is the bot's companion Mattermost server plugin
// (plugin ID mmplugin.ID, built into a bundle by scripts/plugin-bundle,
// run by cmd/playbooks-plugin). It holds no logic and no data: it
//   - registers /playbook with full autocomplete (mmplugin.Autocomplete),
//     whose dynamic lists it fetches from the bot;
//   - forwards command executions to the bot, which runs them as it runs
//     the slash command's requests, and returns the bot's answer (dialogs
//     and buttons keep going to the bot's own URLs);
//   - proxies the REST API under /plugins/playbooks/api/v0/ to the bot,
//     for the Mattermost user making the request, so that clients using a
//     Mattermost URL and token keep working.
//
// Every request to the bot carries the user Mattermost names and is signed
// with the secret of the plugin's settings (mmplugin.Sign).
package companion

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"

	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// Configuration is the plugin's settings (plugin.json's settings_schema).
type Configuration struct {
	BotURL string // where the plugin reaches the bot server: its PLAYBOOKS_PUBLIC_URL
	Secret string // PLAYBOOKS_MATTERMOST_PLUGIN_SECRET of the bot
}

// check returns why c cannot be used, or nil. Its words are for a system
// admin; they name no example domain, which Mattermost would link and
// preview.
func (c Configuration) check() error {
	u, err := url.Parse(c.BotURL)
	switch {
	case c.BotURL == "":
		return errors.New("the Bot server URL is empty: set it to the bot's PLAYBOOKS_PUBLIC_URL, as this Mattermost server reaches it")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("the Bot server URL `%s` is not an http(s) URL: set it to the bot's PLAYBOOKS_PUBLIC_URL, as this Mattermost server reaches it", c.BotURL)
	case len(c.Secret) < mmplugin.MinSecretLen:
		return fmt.Errorf("the Shared secret must be at least %d characters: copy PLAYBOOKS_MATTERMOST_PLUGIN_SECRET from the bot (playbooks mattermost setup --plugin prints it)", mmplugin.MinSecretLen)
	}
	return nil
}

// Plugin is the companion plugin.
type Plugin struct {
	plugin.MattermostPlugin

	mu     sync.RWMutex
	cfg    Configuration
	cfgErr error // why cfg cannot be used; nil when it can

	// Client calls the bot (a 30 s timeout when nil); Now is the clock
	// requests are signed with (time.Now when nil). For tests.
	Client *http.Client
	Now    func() time.Time
}

// OnConfigurationChange loads the plugin's settings. Settings that cannot
// be used are logged, not refused, so that the plugin stays enabled and
// tells each user what to fix (see config).
func (p *Plugin) OnConfigurationChange() error {
	var c Configuration
	if err := p.API.LoadPluginConfiguration(&c); err != nil {
		return fmt.Errorf("load the plugin's settings: %w", err)
	}
	c.BotURL = strings.TrimRight(strings.TrimSpace(c.BotURL), "/")
	c.Secret = strings.TrimSpace(c.Secret)
	err := c.check()
	if err != nil {
		p.API.LogWarn("Playbooks plugin settings are incomplete", "error", err.Error())
	}
	p.mu.Lock()
	p.cfg, p.cfgErr = c, err
	p.mu.Unlock()
	return nil
}

// OnActivate registers /playbook with its autocomplete data.
func (p *Plugin) OnActivate() error {
	if err := p.API.RegisterCommand(Command()); err != nil {
		return fmt.Errorf("register /%s: %w", mmplugin.Trigger, err)
	}
	return nil
}

// Command is the /playbook command the plugin registers.
func Command() *model.Command {
	return &model.Command{
		Trigger: mmplugin.Trigger, DisplayName: "Playbooks", Description: "Run incident playbooks",
		AutoComplete: true, AutoCompleteDesc: "Run and drive incident playbooks",
		AutoCompleteHint: commands.AutocompleteHint(), AutocompleteData: mmplugin.Autocomplete(),
	}
}

// config returns the settings, or an *unavailable saying what to fix.
func (p *Plugin) config() (Configuration, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.cfgErr != nil {
		return Configuration{}, &unavailable{what: "the Playbooks plugin's settings are incomplete (System Console > Plugins > Playbooks)", cause: p.cfgErr}
	}
	return p.cfg, nil
}

func (p *Plugin) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return defaultClient
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

func (p *Plugin) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// ServeHTTP serves the plugin's routes, under /plugins/playbooks: the REST
// API (mmplugin.PluginAPIPrefix) and the dynamic autocomplete lists
// (mmplugin.PluginListPrefix), for the user Mattermost authenticated
// (Mattermost-User-Id, set by Mattermost itself; a request without a
// valid session or token has none and is refused).
func (p *Plugin) ServeHTTP(c *plugin.Context, w http.ResponseWriter, r *http.Request) {
	userID := r.Header.Get("Mattermost-User-Id")
	switch {
	case userID == "":
		mmplugin.WriteError(w, http.StatusUnauthorized, "not logged in to Mattermost",
			"send a Mattermost session or personal access token: Authorization: Bearer <token>")
	case strings.HasPrefix(r.URL.Path, mmplugin.PluginAPIPrefix):
		p.proxyAPI(w, r, userID)
	case strings.HasPrefix(r.URL.Path, mmplugin.PluginListPrefix) && r.Method == http.MethodGet:
		p.list(w, r, userID)
	default:
		mmplugin.WriteError(w, http.StatusNotFound, "no such route", r.URL.Path)
	}
}

// identity is who userID is, as the bot's REST API must know them: their
// teams, and whether they are a system admin (as a Mattermost token's
// user is for the bot, see mattermost.TokenAuth).
func (p *Plugin) identity(userID string) (mmplugin.Identity, error) {
	u, appErr := p.API.GetUser(userID)
	if appErr != nil {
		return mmplugin.Identity{}, fmt.Errorf("look up user %s: %w", userID, appErr)
	}
	teams, appErr := p.API.GetTeamsForUser(userID)
	if appErr != nil {
		return mmplugin.Identity{}, fmt.Errorf("list the teams of user %s: %w", userID, appErr)
	}
	id := mmplugin.Identity{UserID: userID, Admin: u.IsSystemAdmin()}
	for _, t := range teams {
		id.TeamIDs = append(id.TeamIDs, t.Id)
	}
	return id, nil
}

// credentials are the request headers of the user's Mattermost
// credentials, which the proxy never forwards.
var credentials = []string{"Authorization", "Cookie", "Mattermost-User-Id", "X-Csrf-Token"}

// proxyAPI forwards a REST API request to the bot's same path, signed for
// the user, and relays the answer as it is; but when the bot cannot be
// reached, or refuses the plugin (401: its signature), or the plugin's
// settings are incomplete, the client gets a 5xx whose details only a
// system admin sees (writeUnavailable).
func (p *Plugin) proxyAPI(w http.ResponseWriter, r *http.Request, userID string) {
	cfg, err := p.config()
	if err != nil {
		p.writeUnavailable(w, http.StatusServiceUnavailable, userID, p.isAdmin(userID), err)
		return
	}
	id, err := p.identity(userID)
	if err != nil {
		p.API.LogError("proxy a REST request", "error", err.Error())
		mmplugin.WriteError(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, mmplugin.MaxBody+1))
	if err != nil {
		mmplugin.WriteError(w, http.StatusBadRequest, "could not read the request body", err.Error())
		return
	}
	if len(body) > mmplugin.MaxBody {
		mmplugin.WriteError(w, http.StatusRequestEntityTooLarge, "request body too large", fmt.Sprintf("at most %d bytes", mmplugin.MaxBody))
		return
	}
	// The bot serves the REST API at the plugin's own path.
	target := cfg.BotURL + "/plugins/" + mmplugin.ID + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	signed, err := http.NewRequestWithContext(r.Context(), r.Method, target, nil)
	if err == nil {
		err = mmplugin.Sign(signed, body, cfg.Secret, id, p.now())
	}
	if err != nil {
		p.API.LogError("sign a REST request", "error", err.Error())
		mmplugin.WriteError(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			for _, h := range credentials {
				pr.Out.Header.Del(h)
			}
			pr.Out.URL, pr.Out.Host = signed.URL, signed.URL.Host
			for _, h := range mmplugin.SignedHeaders { // ours, never the client's
				pr.Out.Header.Set(h, signed.Header.Get(h))
			}
			pr.Out.Body, pr.Out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		},
		Transport: p.client().Transport,
		ModifyResponse: func(resp *http.Response) error {
			if resp.StatusCode != http.StatusUnauthorized {
				return nil
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			return refused(resp, b) // to ErrorHandler
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			var u *unavailable
			if !errors.As(err, &u) {
				u = &unavailable{what: fmt.Sprintf("the plugin cannot reach the Playbooks bot at `%s`: check that it runs and that the Bot server URL is where this Mattermost server reaches it", cfg.BotURL), cause: err}
			}
			p.writeUnavailable(w, http.StatusBadGateway, userID, id.Admin, u)
		},
	}
	proxy.ServeHTTP(w, r)
}
