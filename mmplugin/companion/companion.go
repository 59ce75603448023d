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
	"encoding/json"
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
	BotURL string // where the plugin reaches the bot server, e.g. https://playbooks.example.com
	Secret string // PLAYBOOKS_MATTERMOST_PLUGIN_SECRET of the bot
}

// check returns why c cannot be used, or nil.
func (c Configuration) check() error {
	u, err := url.Parse(c.BotURL)
	if c.BotURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the Bot server URL must be an http(s) URL such as https://playbooks.example.com, got %q", c.BotURL)
	}
	if len(c.Secret) < mmplugin.MinSecretLen {
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

// config returns the settings, or an error saying what to fix.
func (p *Plugin) config() (Configuration, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.cfgErr != nil {
		return Configuration{}, fmt.Errorf("the Playbooks plugin is not configured: %w (System Console > Plugins > Playbooks)", p.cfgErr)
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

// ExecuteCommand forwards /playbook to the bot and returns its answer;
// what goes wrong is shown to the user alone.
func (p *Plugin) ExecuteCommand(c *plugin.Context, args *model.CommandArgs) (*model.CommandResponse, *model.AppError) {
	text := strings.TrimSpace(args.Command)
	text = strings.TrimSpace(strings.TrimPrefix(text, "/"+mmplugin.Trigger))
	body, err := json.Marshal(mmplugin.CommandRequest{TeamID: args.TeamId, ChannelID: args.ChannelId, TriggerID: args.TriggerId, Text: text})
	if err != nil {
		return ephemeral("internal error"), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := p.call(ctx, http.MethodPost, mmplugin.CommandPath, body, mmplugin.Identity{UserID: args.UserId})
	if err != nil {
		p.API.LogError("forward /playbook to the bot", "error", err.Error())
		return ephemeral(err.Error()), nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ephemeral(botError(resp)), nil
	}
	var out model.CommandResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, mmplugin.MaxBody)).Decode(&out); err != nil {
		return ephemeral("The Playbooks bot answered something that is not a command response."), nil
	}
	return &out, nil
}

// ephemeral is an answer only the user who typed the command sees.
func ephemeral(text string) *model.CommandResponse {
	return &model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: text}
}

// call makes a signed request to the bot for id.
func (p *Plugin) call(ctx context.Context, method, path string, body []byte, id mmplugin.Identity) (*http.Response, error) {
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, cfg.BotURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("the Playbooks bot's URL %q does not work: %w", cfg.BotURL, err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := mmplugin.Sign(req, body, cfg.Secret, id, p.now()); err != nil {
		return nil, err
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("the Playbooks bot at %s cannot be reached: %w", cfg.BotURL, err)
	}
	return resp, nil
}

// botError is what to tell a user about a bot's answer that is not 200:
// its error body when it has one.
func botError(resp *http.Response) string {
	var e struct{ Error, Details string }
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e) == nil && e.Error != "" {
		if e.Details != "" {
			return fmt.Sprintf("The Playbooks bot refused: %s (%s)", e.Error, e.Details)
		}
		return "The Playbooks bot refused: " + e.Error
	}
	return fmt.Sprintf("The Playbooks bot answered status %d.", resp.StatusCode)
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

// list answers a dynamic autocomplete list from the bot, for the channel
// and team Mattermost names in the query.
func (p *Plugin) list(w http.ResponseWriter, r *http.Request, userID string) {
	name := strings.TrimPrefix(r.URL.Path, mmplugin.PluginListPrefix)
	q := url.Values{"channel_id": {r.URL.Query().Get("channel_id")}, "team_id": {r.URL.Query().Get("team_id")}}
	resp, err := p.call(r.Context(), http.MethodGet, mmplugin.ListPath+url.PathEscape(name)+"?"+q.Encode(), nil, mmplugin.Identity{UserID: userID})
	if err != nil {
		p.API.LogError("fetch an autocomplete list from the bot", "list", name, "error", err.Error())
		mmplugin.WriteError(w, http.StatusBadGateway, err.Error(), "")
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg := botError(resp)
		p.API.LogWarn("the bot refused an autocomplete list", "list", name, "status", resp.StatusCode, "error", msg)
		mmplugin.WriteError(w, resp.StatusCode, msg, "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.Copy(w, io.LimitReader(resp.Body, mmplugin.MaxBody))
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
// the user, and relays the answer as it is.
func (p *Plugin) proxyAPI(w http.ResponseWriter, r *http.Request, userID string) {
	cfg, err := p.config()
	if err != nil {
		mmplugin.WriteError(w, http.StatusServiceUnavailable, "the Playbooks plugin is not configured", err.Error())
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
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			p.API.LogError("proxy a REST request to the bot", "error", err.Error())
			mmplugin.WriteError(w, http.StatusBadGateway, "the Playbooks bot cannot be reached", "")
		},
	}
	proxy.ServeHTTP(w, r)
}
