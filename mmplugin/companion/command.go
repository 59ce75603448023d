package companion

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"

	"github.com/playbooks-bot/playbooks/mmplugin"
)

// ExecuteCommand forwards /playbook to the bot and returns its answer.
// When the bot cannot answer, the user is told UnavailableText (see
// report), alone.
func (p *Plugin) ExecuteCommand(c *plugin.Context, args *model.CommandArgs) (*model.CommandResponse, *model.AppError) {
	text := strings.TrimSpace(args.Command)
	text = strings.TrimSpace(strings.TrimPrefix(text, "/"+mmplugin.Trigger))
	body, err := json.Marshal(mmplugin.CommandRequest{TeamID: args.TeamId, ChannelID: args.ChannelId, TriggerID: args.TriggerId, Text: text})
	if err != nil {
		return ephemeral(p.report(args.UserId, "run /playbook", err)), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	answer, err := p.get(ctx, http.MethodPost, mmplugin.CommandPath, body, mmplugin.Identity{UserID: args.UserId})
	if err != nil {
		return ephemeral(p.report(args.UserId, "run /playbook", err)), nil
	}
	var out model.CommandResponse
	if err := json.Unmarshal(answer, &out); err != nil {
		err = &unavailable{what: "the Playbooks bot answered something that is not a command response", cause: errorBody(answer)}
		return ephemeral(p.report(args.UserId, "run /playbook", err)), nil
	}
	return &out, nil
}

// ephemeral is an answer only the user who typed the command sees, shown
// as written: without SkipSlackParsing Mattermost would rewrite any
// <…|…> in it (an error quoted for an admin) as a link.
func ephemeral(text string) *model.CommandResponse {
	return &model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: text, SkipSlackParsing: true}
}

// call makes a signed request to the bot for id. An error is an
// *unavailable.
func (p *Plugin) call(ctx context.Context, method, path string, body []byte, id mmplugin.Identity) (*http.Response, error) {
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, cfg.BotURL+path, nil)
	if err != nil {
		return nil, &unavailable{what: fmt.Sprintf("the Bot server URL `%s` does not work", cfg.BotURL), cause: err}
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := mmplugin.Sign(req, body, cfg.Secret, id, p.now()); err != nil {
		return nil, &unavailable{what: "the plugin could not sign its request", cause: err}
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, &unavailable{what: fmt.Sprintf("the plugin cannot reach the Playbooks bot at `%s`: check that it runs and that the Bot server URL is where this Mattermost server reaches it", cfg.BotURL), cause: err}
	}
	return resp, nil
}

// get is call, returning the body of the bot's 200 answer (at most
// mmplugin.MaxBody bytes). Any other answer is an *unavailable.
func (p *Plugin) get(ctx context.Context, method, path string, body []byte, id mmplugin.Identity) ([]byte, error) {
	resp, err := p.call(ctx, method, path, body, id)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, mmplugin.MaxBody))
	if err != nil {
		return nil, &unavailable{what: "the Playbooks bot's answer was cut short", cause: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, refused(resp, answer)
	}
	return answer, nil
}

// list answers a dynamic autocomplete list from the bot, for the command,
// channel and team Mattermost names, always with a JSON array of
// model.AutocompleteListItem: Mattermost decodes nothing else (it logs
// "Failed to decode from JSON" and shows nothing), whatever the status.
// When the bot cannot answer, the list is empty and the server log says
// why.
func (p *Plugin) list(w http.ResponseWriter, r *http.Request, userID string) {
	items := []model.AutocompleteListItem{}
	defer func() {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(items) // a slice of structs of strings always encodes
	}()
	name, command, ok := mmplugin.ParseListPath(r.URL.Path)
	if !ok {
		p.API.LogWarn("Playbooks: an autocomplete list of no known shape", "path", r.URL.Path)
		return
	}
	q := url.Values{"channel_id": {r.URL.Query().Get("channel_id")}, "team_id": {r.URL.Query().Get("team_id")}}
	if command != "" {
		q.Set(mmplugin.ListCommandParam, command)
	}
	answer, err := p.get(r.Context(), http.MethodGet, mmplugin.ListPath+url.PathEscape(name)+"?"+q.Encode(), nil, mmplugin.Identity{UserID: userID})
	if err != nil {
		asUnavailable(err).log(p.API, "fetch an autocomplete list", userID, "list", name, "command", command)
		return
	}
	var got []model.AutocompleteListItem
	if err := json.Unmarshal(answer, &got); err != nil {
		p.API.LogError("Playbooks: the bot's autocomplete list is not a JSON array of items", "list", name, "error", errorBody(answer).Error())
		return
	}
	if got != nil {
		items = got
	}
}
