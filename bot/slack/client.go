// Package slack is the Slack adapter of playbooks. Client implements
// bot.Chat over Slack's Web API with the bot token: it creates run
// channels, posts, and keeps each run's checklist message (Block Kit, one
// button per item) up to date. Handler is the inbound side: it verifies the
// signature of every slash command and interaction Slack sends (signing
// secret, 5-minute window, replays refused), hands them to
// commands.Dispatcher or bot.Service, and answers as Slack expects.
//
// Modal metadata and button values carry tokens signed by dialogs.Signer,
// as in the Mattermost adapter: a modal's is bound to the user it was
// opened for, its callback ID and a 15-minute expiry; a button's to the run
// and item it was rendered for. Slack's request signature proves the
// request came from Slack; the tokens prove the bot rendered what is
// submitted.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Platform is the name runs started from Slack carry (bot.Run.Platform).
const Platform = "slack"

// DefaultAPIURL is the base URL of Slack's Web API.
const DefaultAPIURL = slackgo.APIURL

// Config is what a Client needs.
type Config struct {
	// BotToken is the bot user OAuth token (xoxb-...). Required.
	BotToken string
	// APIURL is the Web API's base URL, ending in "/"; DefaultAPIURL when
	// empty. Tests point it at a local server.
	APIURL string
	// Signer signs modal metadata and button values. Required.
	Signer *dialogs.Signer
	// Logger receives what cannot be returned (a member that could not be
	// invited); slog.Default() when nil.
	Logger *slog.Logger
	// HTTPClient makes the Web API calls (and response_url posts); one with
	// a 30-second timeout when nil.
	HTTPClient *http.Client
	// Now is the clock of the membership answers kept (MembershipTTL);
	// time.Now when nil.
	Now func() time.Time
}

// Client is a Slack bot user acting over the Web API. It is safe for
// concurrent use.
type Client struct {
	api     *slackgo.Client
	http    *http.Client
	signer  *dialogs.Signer
	log     *slog.Logger
	members *memberCache
}

var (
	_ bot.Chat              = (*Client)(nil)
	_ commands.UserResolver = (*Client)(nil)
)

// NewClient returns a Client for the bot token of c. It fails when a
// required setting is missing.
func NewClient(c Config) (*Client, error) {
	switch {
	case c.BotToken == "":
		return nil, errors.New("slack: the bot token is required")
	case c.Signer == nil:
		return nil, errors.New("slack: a signer is required")
	}
	apiURL := c.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	api := slackgo.New(c.BotToken, slackgo.OptionAPIURL(apiURL), slackgo.OptionHTTPClient(hc),
		slackgo.OptionRetryConfig(slackgo.RetryConfig{MaxRetries: maxRetries, Handlers: []slackgo.RetryHandler{retryWithin{}}}))
	return &Client{api: api, http: hc, signer: c.Signer, log: log, members: newMemberCache(now)}, nil
}

// User returns a Slack user by ID (users.info). ENotFound.
func (c *Client) User(ctx context.Context, userID string) (bot.User, error) {
	u, err := c.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return bot.User{}, apiError(err, "users.info", "user "+userID)
	}
	return bot.User{ID: u.ID, Username: u.Name, SystemAdmin: u.IsAdmin || u.IsOwner}, nil
}

// Mention names a user so that Slack notifies them: <@U…>, which Slack shows
// as their name. A plain @name notifies nobody.
func (c *Client) Mention(_ context.Context, userID string) string {
	return "<@" + userID + ">"
}

// mention matches a user mention as Slack escapes it in command text:
// <@U123> or <@U123|name>.
var (
	mention     = regexp.MustCompile(`^<@([A-Z0-9]+)(\|[^>]*)?>$`)
	slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{6,20}$`)
)

// UserByName returns a Slack user named by a mention (<@U123>), a user ID,
// or a name with or without "@", matched against user names and display
// names (users.list, every page). ENotFound.
func (c *Client) UserByName(ctx context.Context, name string) (bot.User, error) {
	name = strings.TrimSpace(name)
	if m := mention.FindStringSubmatch(name); m != nil {
		return c.User(ctx, m[1])
	}
	name = strings.TrimPrefix(name, "@")
	if name == "" {
		return bot.User{}, bot.Errorf(bot.EInvalid, "a username is required")
	}
	if slackUserID.MatchString(name) {
		return c.User(ctx, name)
	}
	users, err := c.api.GetUsersContext(ctx, slackgo.GetUsersOptionLimit(200))
	if err != nil {
		return bot.User{}, apiError(err, "users.list", "users")
	}
	for _, u := range users {
		if u.Deleted {
			continue
		}
		if strings.EqualFold(u.Name, name) || strings.EqualFold(u.Profile.DisplayName, name) {
			return bot.User{ID: u.ID, Username: u.Name}, nil
		}
	}
	return bot.User{}, bot.Errorf(bot.ENotFound, "user @%s not found on Slack", name)
}

// ChannelStats describes a channel (conversations.info with its member
// count) and its workspace (team.info). Slack channels have one name, so
// it is both the name and the display name; Slack reports no post count.
// ENotFound.
func (c *Client) ChannelStats(ctx context.Context, channelID string) (bot.RunMetadata, error) {
	ch, err := c.api.GetConversationInfoContext(ctx, &slackgo.GetConversationInfoInput{
		ChannelID: channelID, IncludeNumMembers: true,
	})
	if err != nil {
		return bot.RunMetadata{}, apiError(err, "conversations.info", "channel "+channelID)
	}
	team, err := c.api.GetTeamInfoContext(ctx)
	if err != nil {
		return bot.RunMetadata{}, apiError(err, "team.info", "workspace")
	}
	return bot.RunMetadata{
		ChannelName: ch.Name, ChannelDisplayName: ch.Name, TeamName: team.Name,
		NumMembers: int64(ch.NumMembers),
	}, nil
}

// RunCommand fails with EInvalid: Slack has no Web API method to run a
// slash command, as a bot or for a user.
func (c *Client) RunCommand(_ context.Context, _, _, command string) (string, error) {
	return "", bot.Errorf(bot.EInvalid, "Slack cannot run slash commands for a bot; run %s yourself", command)
}

// Post posts a message (Markdown, converted to Slack's mrkdwn) as the bot in a channel
// (chat.postMessage) and returns its ts, Slack's ID of a message within
// its channel.
func (c *Client) Post(ctx context.Context, channelID, message string) (string, error) {
	_, ts, err := c.api.PostMessageContext(ctx, channelID, slackgo.MsgOptionText(toMrkdwn(message), false))
	if err != nil {
		return "", apiError(err, "chat.postMessage", "message in channel "+channelID)
	}
	return ts, nil
}

// Ephemeral shows a message (Markdown, converted to Slack's mrkdwn) to one
// user in a channel (chat.postEphemeral).
func (c *Client) Ephemeral(ctx context.Context, channelID, userID, message string) error {
	_, err := c.api.PostEphemeralContext(ctx, channelID, userID, slackgo.MsgOptionText(toMrkdwn(message), false))
	if err != nil {
		return apiError(err, "chat.postEphemeral", "ephemeral message in channel "+channelID)
	}
	return nil
}

// notFoundErrors are the Web API errors that mean what was asked for does
// not exist (or the bot cannot see it).
var notFoundErrors = map[string]bool{
	"channel_not_found": true, "user_not_found": true, "users_not_found": true,
	"message_not_found": true, "team_not_found": true, "not_in_channel": true,
	"not_found": true, // views.update: the modal is closed
}

// apiError translates a failed Web API call: errors meaning "not found" to
// ENotFound, a rate limit (HTTP 429) to EUnavailable with Slack's
// Retry-After (bot.RetryAfter), the rest to internal errors. Slack's error
// stays in the chain.
func apiError(err error, method, what string) error {
	var rl *slackgo.RateLimitedError
	if errors.As(err, &rl) {
		after := max(rl.RetryAfter, time.Second)
		return fmt.Errorf("slack: %s %s: %w (%w)", method, what, bot.RateLimitedf(after,
			"Slack is limiting how often the bot may call it (%s); try again in %s", method, after), err)
	}
	if slackErr(err) != "" && notFoundErrors[slackErr(err)] {
		return fmt.Errorf("slack: %s: %w (%w)", method, bot.Errorf(bot.ENotFound, "%s not found on Slack", what), err)
	}
	return fmt.Errorf("slack: %s %s: %w", method, what, err)
}

// slackErr returns the Web API error code in err's chain ("name_taken"), or
// "".
func slackErr(err error) string {
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}
