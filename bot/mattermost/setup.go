package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// SetupConfig is what `playbooks mattermost setup` takes.
type SetupConfig struct {
	SiteURL     string // the Mattermost server, e.g. https://chat.example.com
	AdminToken  string // a system admin's personal access token, used once
	Team        string // the team's name or ID
	PublicURL   string // where Mattermost reaches this bot, e.g. https://playbooks.example.com
	BotUsername string // "playbooks" when empty
	// Plugin is plugin mode: the companion plugin registers /playbook, so
	// setup registers no command and deletes the custom /playbook command
	// an earlier setup registered (two /playbook commands would collide).
	Plugin     bool
	HTTPClient *http.Client
}

// SetupResult is what the server needs to talk to Mattermost.
type SetupResult struct {
	TeamID       string
	BotUserID    string
	BotUsername  string
	BotToken     string
	CommandToken string   // empty in plugin mode
	CommandURL   string   // empty in plugin mode
	Created      []string // what was created, as opposed to reused
	// Removed is what was deleted: in plugin mode, the custom /playbook
	// command of an earlier setup.
	Removed []string
	// Revoked counts the bot tokens an earlier setup issued that this one
	// revoked: they stop working at once.
	Revoked int
	// EphemeralAllowed reports whether the bot has create_post_ephemeral
	// through its roles; without it, messages for one user (dialog
	// confirmations) arrive as direct messages from the bot.
	EphemeralAllowed bool
	// Warnings says what could not be done or checked; setup still
	// succeeded.
	Warnings []string
}

// TokenDescription is the description of the bot access tokens Setup
// issues; a later Setup revokes the earlier ones by it, and leaves the
// bot's other tokens alone.
const TokenDescription = "playbooks server"

// commandTrigger is the slash command's trigger, /playbook.
const commandTrigger = "playbook"

// permissionEphemeral is the permission POST /posts/ephemeral needs.
const permissionEphemeral = "create_post_ephemeral"

// Setup creates, or reuses, the bot account, adds it to the team, issues
// it a personal access token, and registers (or updates) the team's
// /playbook slash command pointing at PublicURL. Running it again is safe:
// the bot and the command are reused, and only a new bot token is issued
// (Mattermost never shows an existing one again); the tokens earlier runs
// issued are then revoked, so that no forgotten token stays valid. It also
// reports whether the bot may post ephemeral messages. In plugin mode
// (c.Plugin) it registers no command and deletes the team's custom
// /playbook command instead, if it has one.
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
	if !c.Plugin { // first, before anything changes
		warning, err := checkNoPluginCommand(ctx, cl)
		if err != nil {
			return res, err
		}
		if warning != "" {
			res.Warnings = append(res.Warnings, warning)
		}
	}

	team, resp, err := cl.GetTeamByName(ctx, c.Team, "")
	if err != nil && ValidID(c.Team) && resp != nil && resp.StatusCode == http.StatusNotFound {
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
	res.BotUsername = c.BotUsername
	tok, _, err := cl.CreateUserAccessToken(ctx, res.BotUserID, TokenDescription, 0)
	if err != nil {
		return res, fmt.Errorf("create bot token (are personal access tokens enabled?): %w", err)
	}
	res.BotToken = tok.Token
	res.Created = append(res.Created, "bot access token")
	res.Revoked, err = revokeEarlierTokens(ctx, cl, res.BotUserID, tok.Id)
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"could not revoke the bot's earlier access tokens (revoke them in System Console > Integrations > Bot Accounts): %v", err))
	}
	res.EphemeralAllowed, err = hasPermission(ctx, cl, res.BotUserID, permissionEphemeral)
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("could not read the bot's roles to check %s: %v", permissionEphemeral, err))
	}

	existing, _, err := cl.ListCommands(ctx, team.Id, true)
	if err != nil {
		return res, fmt.Errorf("list slash commands of team %s: %w", team.Name, err)
	}
	if c.Plugin {
		for _, e := range existing {
			if e.Trigger != commandTrigger || e.DeleteAt != 0 || e.PluginId != "" {
				continue
			}
			if _, err := cl.DeleteCommand(ctx, e.Id); err != nil {
				return res, fmt.Errorf("delete the custom /playbook command %s (the plugin registers its own): %w", e.Id, err)
			}
			res.Removed = append(res.Removed, fmt.Sprintf("custom /playbook slash command %s (-> %s)", e.Id, e.URL))
		}
		return res, nil
	}

	res.CommandURL = strings.TrimRight(c.PublicURL, "/") + "/mattermost/command"
	cmd := &model.Command{
		TeamId: team.Id, Trigger: commandTrigger, Method: model.CommandMethodPost, URL: res.CommandURL,
		DisplayName: "Playbooks", Description: "Run incident playbooks",
		AutoComplete: true, AutoCompleteDesc: "Run and drive incident playbooks",
		AutoCompleteHint: commands.AutocompleteHint(), Username: c.BotUsername,
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

// checkNoPluginCommand refuses a plain setup while a plugin of ID
// mmplugin.ID (the companion, or the Mattermost Playbooks plugin) runs: a
// plugin's /playbook takes the place of a team's custom one, so the
// command setup would register would never be called. It returns a
// warning when it cannot tell (an error other than plugins being off).
func checkNoPluginCommand(ctx context.Context, cl *model.Client4) (warning string, err error) {
	plugins, resp, err := cl.GetPlugins(ctx)
	if resp != nil && resp.StatusCode == http.StatusNotImplemented {
		return "", nil // plugins are off on this server: none runs
	}
	if err != nil {
		return fmt.Sprintf("could not check whether a plugin registers /playbook (GET /api/v4/plugins): %v", err), nil
	}
	for _, p := range plugins.Active {
		if p.Id != mmplugin.ID {
			continue
		}
		if isCompanion(p.Manifest) {
			return "", fmt.Errorf("the Playbooks companion plugin (%s %s) is enabled: its /playbook takes the place of the custom command this setup would register. "+
				"Run `playbooks mattermost setup --plugin` for plugin mode, or disable the plugin first (System Console > Plugins > Plugin Management)", p.Name, p.Version)
		}
		return "", fmt.Errorf("the plugin %q (ID %s, version %s; the Mattermost Playbooks plugin?) is enabled: its /playbook takes the place of the custom command this setup would register; "+
			"disable it first (System Console > Plugins > Plugin Management): this bot replaces it", p.Name, p.Id, p.Version)
	}
	return "", nil
}

// isCompanion reports whether m is the manifest of this bot's companion
// plugin rather than another plugin of its ID: it has the companion's name.
func isCompanion(m model.Manifest) bool {
	var ours model.Manifest
	return json.Unmarshal(mmplugin.Manifest, &ours) == nil && m.Name == ours.Name
}

// revokeEarlierTokens revokes the bot's access tokens that Setup issued
// (by their description), all but keep, and returns how many it revoked.
func revokeEarlierTokens(ctx context.Context, cl *model.Client4, botID, keep string) (int, error) {
	const perPage = 100
	var earlier []string
	for page := 0; ; page++ {
		tokens, _, err := cl.GetUserAccessTokensForUser(ctx, botID, page, perPage)
		if err != nil {
			return 0, fmt.Errorf("list the bot's tokens: %w", err)
		}
		for _, t := range tokens {
			if t.Id != keep && t.Description == TokenDescription {
				earlier = append(earlier, t.Id)
			}
		}
		if len(tokens) < perPage {
			break
		}
	}
	for i, id := range earlier { // listed first: revoking shifts the pages
		if _, err := cl.RevokeUserAccessToken(ctx, id); err != nil {
			return i, fmt.Errorf("revoke token %s: %w", id, err)
		}
	}
	return len(earlier), nil
}

// hasPermission reports whether a user has a system-wide permission
// through their roles, which is how Mattermost checks create_post_ephemeral.
func hasPermission(ctx context.Context, cl *model.Client4, userID, permission string) (bool, error) {
	u, _, err := cl.GetUser(ctx, userID, "")
	if err != nil {
		return false, err
	}
	names := strings.Fields(u.Roles)
	if len(names) == 0 {
		return false, nil
	}
	roles, _, err := cl.GetRolesByNames(ctx, names)
	if err != nil {
		return false, err
	}
	for _, r := range roles {
		if slices.Contains(r.Permissions, permission) {
			return true, nil
		}
	}
	return false, nil
}
