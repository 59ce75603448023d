package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
)

// SetupConfig is what `playbooks mattermost setup` takes.
type SetupConfig struct {
	SiteURL     string // the Mattermost server, e.g. https://chat.example.com
	AdminToken  string // a system admin's personal access token, used once
	Team        string // the team's name or ID
	PublicURL   string // where Mattermost reaches this bot, e.g. https://playbooks.example.com
	BotUsername string // "playbooks" when empty
	HTTPClient  *http.Client
}

// SetupResult is what the server needs to talk to Mattermost.
type SetupResult struct {
	TeamID       string
	BotUserID    string
	BotToken     string
	CommandToken string
	CommandURL   string
	Created      []string // what was created, as opposed to reused
}

// Setup creates, or reuses, the bot account, adds it to the team, issues
// it a personal access token, and registers (or updates) the team's
// /playbook slash command pointing at PublicURL. Running it again is safe:
// the bot and the command are reused, and only a new bot token is issued
// (Mattermost never shows an existing one again).
func Setup(ctx context.Context, c SetupConfig) (SetupResult, error) {
	if c.SiteURL == "" || c.AdminToken == "" || c.Team == "" || c.PublicURL == "" {
		return SetupResult{}, errors.New("setup needs --url, --token, --team and --public-url")
	}
	if c.BotUsername == "" {
		c.BotUsername = "playbooks"
	}
	cl := model.NewAPIv4Client(strings.TrimRight(c.SiteURL, "/"))
	if c.HTTPClient != nil {
		cl.HTTPClient = c.HTTPClient
	}
	cl.SetToken(c.AdminToken)
	var res SetupResult

	team, resp, err := cl.GetTeamByName(ctx, c.Team, "")
	if err != nil && bot.ValidID(c.Team) && resp != nil && resp.StatusCode == http.StatusNotFound {
		team, _, err = cl.GetTeam(ctx, c.Team, "")
	}
	if err != nil {
		return res, fmt.Errorf("find team %q: %w", c.Team, err)
	}
	res.TeamID = team.Id

	u, resp, err := cl.GetUserByUsername(ctx, c.BotUsername, "")
	switch {
	case err == nil && !u.IsBot:
		return res, fmt.Errorf("user %q exists and is not a bot: choose another --bot-username", c.BotUsername)
	case err == nil:
		res.BotUserID = u.Id
		if _, _, err := cl.EnableBot(ctx, u.Id); err != nil {
			return res, fmt.Errorf("enable bot %s: %w", c.BotUsername, err)
		}
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		b, _, err := cl.CreateBot(ctx, &model.Bot{
			Username: c.BotUsername, DisplayName: "Playbooks",
			Description: "Incident runs: checklists, owners, status updates.",
		})
		if err != nil {
			return res, fmt.Errorf("create bot %s (are bot accounts enabled?): %w", c.BotUsername, err)
		}
		res.BotUserID = b.UserId
		res.Created = append(res.Created, "bot account @"+c.BotUsername)
	default:
		return res, fmt.Errorf("look up bot %s: %w", c.BotUsername, err)
	}

	if _, _, err := cl.AddTeamMember(ctx, team.Id, res.BotUserID); err != nil {
		return res, fmt.Errorf("add bot to team %s: %w", team.Name, err)
	}
	tok, _, err := cl.CreateUserAccessToken(ctx, res.BotUserID, "playbooks server", 0)
	if err != nil {
		return res, fmt.Errorf("create bot token (are personal access tokens enabled?): %w", err)
	}
	res.BotToken = tok.Token
	res.Created = append(res.Created, "bot access token")

	res.CommandURL = strings.TrimRight(c.PublicURL, "/") + "/mattermost/command"
	cmd := &model.Command{
		TeamId: team.Id, Trigger: "playbook", Method: model.CommandMethodPost, URL: res.CommandURL,
		DisplayName: "Playbooks", Description: "Run incident playbooks",
		AutoComplete: true, AutoCompleteDesc: "Run and drive incident playbooks",
		AutoCompleteHint: commands.AutocompleteHint(), Username: c.BotUsername,
	}
	existing, _, err := cl.ListCommands(ctx, team.Id, true)
	if err != nil {
		return res, fmt.Errorf("list slash commands of team %s: %w", team.Name, err)
	}
	for _, e := range existing {
		if e.Trigger == cmd.Trigger && e.DeleteAt == 0 {
			cmd.Id, cmd.Token, cmd.CreatorId = e.Id, e.Token, e.CreatorId
		}
	}
	if cmd.Id != "" {
		updated, _, err := cl.UpdateCommand(ctx, cmd)
		if err != nil {
			return res, fmt.Errorf("update /playbook command: %w", err)
		}
		res.CommandToken = updated.Token
		if res.CommandToken == "" {
			res.CommandToken = cmd.Token
		}
	} else {
		created, _, err := cl.CreateCommand(ctx, cmd)
		if err != nil {
			return res, fmt.Errorf("register /playbook command (are custom slash commands enabled?): %w", err)
		}
		res.CommandToken = created.Token
		res.Created = append(res.Created, "/playbook slash command")
	}
	return res, nil
}
