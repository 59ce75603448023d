// Package mattermost is the Mattermost adapter of playbooks. Client
// implements bot.Chat over Mattermost's REST API v4 with the bot account's
// personal access token: it creates run channels, posts, and keeps each
// run's checklist post (message buttons, one per item) up to date; status
// update reminders carry "Update status" and "Snooze" buttons. Handler
// is the inbound side: it verifies and decodes the slash commands, dialog
// submissions and button clicks Mattermost sends, hands
// them to commands.Dispatcher or bot.Service, and answers as Mattermost
// expects (always status 200 once the caller is authenticated).
//
// Mattermost authenticates nothing it sends to the bot except slash
// commands (with the command token). Dialog states and button contexts
// therefore carry tokens signed by dialogs.Signer: a dialog's is bound to
// the user it was opened for, the channel it was opened in, its callback ID
// and a 15-minute expiry, and is single use (a handled submission is
// remembered in the database, for every replica); a button's to the run and
// item (or reminder action) it was rendered for; a dynamic select's lookup
// URL (Mattermost 11+) to the user, dialog, channel and select. Every dialog and button
// URL is one of the bot's own /mattermost/ paths, never a /plugins/ URL, to
// which Mattermost would add the user's session token when the bot shares
// its hostname.
package mattermost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Config is what a Client needs.
type Config struct {
	// URL is the Mattermost site URL, e.g. https://chat.example.com.
	URL string
	// BotToken is the bot account's personal access token.
	BotToken string
	// BotUserID is the bot account's user ID; optional: the creator of a
	// channel the bot creates is the bot.
	BotUserID string
	// Signer signs dialog states and button contexts. Required.
	Signer *dialogs.Signer
	// PublicURL is this server's base URL as Mattermost reaches it, for the
	// URLs of buttons and dialogs.
	PublicURL string
	// Logger receives what cannot be returned (a member that could not be
	// added); slog.Default() when nil.
	Logger *slog.Logger
	// HTTPClient makes the REST calls; one with a 30-second timeout when nil.
	HTTPClient *http.Client
	// Now is the clock (time.Now when nil), for how long a refused
	// ephemeral post is remembered.
	Now func() time.Time
}

// Client is a Mattermost bot account acting over the REST API v4. It is
// safe for concurrent use.
type Client struct {
	api       *model.Client4
	botUserID string
	signer    *dialogs.Signer
	publicURL string
	log       *slog.Logger
	now       func() time.Time

	// ephemeralRefusedAt is when Mattermost last refused an ephemeral post
	// for lack of create_post_ephemeral (Unix nanoseconds; 0 for never).
	ephemeralRefusedAt atomic.Int64

	selfMu sync.Mutex
	selfID string // the bot's user ID, once known

	infoMu       sync.Mutex
	info         *serverInfo // what the bot read of the server, once (server)
	infoFailedAt time.Time   // when reading it last failed
}

var (
	_ bot.Chat              = (*Client)(nil)
	_ commands.UserResolver = (*Client)(nil)
)

// NewClient returns a Client for the bot account of c. It fails when a
// required setting is missing.
func NewClient(c Config) (*Client, error) {
	switch {
	case c.URL == "":
		return nil, errors.New("mattermost: the site URL is required")
	case c.BotToken == "":
		return nil, errors.New("mattermost: the bot token is required")
	case c.Signer == nil:
		return nil, errors.New("mattermost: a signer is required")
	case !model.IsValidHTTPURL(c.PublicURL):
		return nil, fmt.Errorf("mattermost: the public URL must be an absolute http(s) URL, got %q", c.PublicURL)
	}
	api := model.NewAPIv4Client(c.URL)
	api.HTTPClient = c.HTTPClient
	if api.HTTPClient == nil {
		api.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	api.SetToken(c.BotToken)
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		api: api, botUserID: c.BotUserID, signer: c.Signer,
		publicURL: strings.TrimRight(c.PublicURL, "/"), log: log, now: now, selfID: c.BotUserID,
	}, nil
}

// Platform is the name runs started from Mattermost carry (bot.Run.Platform).
const Platform = "mattermost"

// URL returns the Mattermost site URL the client talks to.
func (c *Client) URL() string { return c.api.URL }

// User returns a Mattermost user by ID. ENotFound.
func (c *Client) User(ctx context.Context, userID string) (bot.User, error) {
	u, resp, err := c.api.GetUser(ctx, userID, "")
	if err != nil {
		return bot.User{}, apiError(resp, err, "user "+userID)
	}
	return bot.User{ID: u.Id, Username: u.Username, SystemAdmin: u.IsSystemAdmin()}, nil
}

// Mention names a user so that Mattermost notifies them: @username. A user
// Mattermost cannot name (unknown, or unreachable) is shown by ID, in code.
func (c *Client) Mention(ctx context.Context, userID string) string {
	u, err := c.User(ctx, userID)
	if err != nil || u.Username == "" {
		if err != nil {
			c.log.WarnContext(ctx, "look up a user to mention", "user_id", userID, "error", err)
		}
		return "`" + userID + "`"
	}
	return "@" + u.Username
}

// UserByName returns a Mattermost user by username, with or without the
// leading "@". ENotFound.
func (c *Client) UserByName(ctx context.Context, name string) (bot.User, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	if name == "" {
		return bot.User{}, bot.Errorf(bot.EInvalid, "a username is required")
	}
	u, resp, err := c.api.GetUserByUsername(ctx, name, "")
	if err != nil {
		return bot.User{}, apiError(resp, err, "user @"+name)
	}
	return bot.User{ID: u.Id, Username: u.Username}, nil
}

// ChannelStats describes a channel: its names, its team's name, its member
// count and its post count (the channel's total_msg_count, since
// Mattermost's channel stats have no post count). ENotFound.
func (c *Client) ChannelStats(ctx context.Context, channelID string) (bot.RunMetadata, error) {
	ch, resp, err := c.api.GetChannel(ctx, channelID)
	if err != nil {
		return bot.RunMetadata{}, apiError(resp, err, "channel "+channelID)
	}
	team, resp, err := c.api.GetTeam(ctx, ch.TeamId, "")
	if err != nil {
		return bot.RunMetadata{}, apiError(resp, err, "team "+ch.TeamId)
	}
	stats, resp, err := c.api.GetChannelStats(ctx, channelID, "", true)
	if err != nil {
		return bot.RunMetadata{}, apiError(resp, err, "stats of channel "+channelID)
	}
	return bot.RunMetadata{
		ChannelName: ch.Name, ChannelDisplayName: ch.DisplayName, TeamName: team.Name,
		NumMembers: stats.MemberCount, TotalPosts: ch.TotalMsgCount,
	}, nil
}

// RunCommand executes a slash command in a channel and returns its trigger
// ID. The command runs as the bot account, not as userID: a bot token
// cannot act for another user, so commands that check who runs them see
// the bot.
func (c *Client) RunCommand(ctx context.Context, channelID, userID, command string) (string, error) {
	if !strings.HasPrefix(command, "/") {
		return "", bot.FieldErrorf("command", "a slash command starts with /, got %q", command)
	}
	res, resp, err := c.api.ExecuteCommand(ctx, channelID, command)
	if err != nil {
		return "", apiError(resp, err, "command "+strings.Fields(command)[0])
	}
	return res.TriggerId, nil
}

// Post posts a Markdown message as the bot in a channel and returns the
// post's ID.
func (c *Client) Post(ctx context.Context, channelID, message string) (string, error) {
	p, resp, err := c.api.CreatePost(ctx, &model.Post{ChannelId: channelID, Message: message})
	if err != nil {
		return "", apiError(resp, err, "post in channel "+channelID)
	}
	return p.Id, nil
}

// ephemeralRecheck is how long a refused ephemeral post is remembered:
// until then, messages for one user go straight to a direct message, and
// afterwards an ephemeral post is tried again (an admin may have granted
// the permission meanwhile).
const ephemeralRecheck = 10 * time.Minute

// Ephemeral shows a message to one user: as an ephemeral post in the
// channel when the bot may make one, else as a direct message from the bot.
//
// POST /posts/ephemeral needs create_post_ephemeral, which on a default
// server only system admins have; Team Edition has no role for bots alone,
// so granting it means granting it to every user. Without it Mattermost
// answers 403 and the message would be lost. A direct message needs no
// extra permission and is seen by that user only. The refusal is
// remembered for ephemeralRecheck, so that each message does not cost a
// failing call.
func (c *Client) Ephemeral(ctx context.Context, channelID, userID, message string) error {
	if !c.ephemeralRefused() {
		_, resp, err := c.api.CreatePostEphemeral(ctx, &model.PostEphemeral{
			UserID: userID, Post: &model.Post{ChannelId: channelID, Message: message},
		})
		if err == nil {
			return nil
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			return apiError(resp, err, "ephemeral post in channel "+channelID)
		}
		c.ephemeralRefusedAt.Store(c.now().UnixNano())
		c.log.InfoContext(ctx, "the bot lacks create_post_ephemeral: messages for one user go to direct messages",
			"recheck_after", ephemeralRecheck.String())
	}
	return c.DirectMessage(ctx, userID, message)
}

// ephemeralRefused reports whether an ephemeral post was refused less than
// ephemeralRecheck ago.
func (c *Client) ephemeralRefused() bool {
	at := c.ephemeralRefusedAt.Load()
	return at != 0 && c.now().Sub(time.Unix(0, at)) < ephemeralRecheck
}

// DirectMessage posts a message as the bot in its direct message channel
// with a user (POST /channels/direct, then a post there).
func (c *Client) DirectMessage(ctx context.Context, userID, message string) error {
	self, err := c.self(ctx)
	if err != nil {
		return err
	}
	ch, resp, err := c.api.CreateDirectChannel(ctx, self, userID)
	if err != nil {
		return apiError(resp, err, "direct channel with "+userID)
	}
	if _, err := c.Post(ctx, ch.Id, message); err != nil {
		return err
	}
	return nil
}

// self returns the bot's user ID: Config.BotUserID, else asked once of
// Mattermost (GET /users/me).
func (c *Client) self(ctx context.Context) (string, error) {
	c.selfMu.Lock()
	defer c.selfMu.Unlock()
	if c.selfID != "" {
		return c.selfID, nil
	}
	me, resp, err := c.api.GetMe(ctx, "")
	if err != nil {
		return "", apiError(resp, err, "the bot's own user")
	}
	c.selfID = me.Id
	return c.selfID, nil
}

// apiError translates a failed REST call: 404 to ENotFound and 400 to
// EInvalid (each with what was asked for), anything else to an internal
// error. The Mattermost error stays in the chain.
func apiError(resp *model.Response, err error, what string) error {
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var ae *model.AppError
	if errors.As(err, &ae) && status == 0 {
		status = ae.StatusCode
	}
	switch status {
	case http.StatusTooManyRequests:
		after := retryAfter(resp)
		return fmt.Errorf("mattermost: %s: %w (%w)", what, bot.RateLimitedf(after,
			"Mattermost is limiting how often the bot may call it; try again in %s", after), err)
	case http.StatusNotFound:
		return fmt.Errorf("mattermost: %s: %w (%w)", what, bot.Errorf(bot.ENotFound, "%s not found on Mattermost", what), err)
	case http.StatusBadRequest:
		msg := "Mattermost refused the request"
		if ae != nil && ae.Message != "" {
			msg += ": " + ae.Message
		}
		return fmt.Errorf("mattermost: %s: %w (%w)", what, bot.Errorf(bot.EInvalid, "%s", msg), err)
	}
	return fmt.Errorf("mattermost: %s: %w", what, err)
}

// retryAfter is how long a Mattermost that rate-limited the bot (its
// RateLimitSettings, which answer 429 with Retry-After and
// X-RateLimit-Reset, in seconds) asks it to wait: at least a second.
func retryAfter(resp *model.Response) time.Duration {
	if resp != nil {
		for _, h := range []string{"Retry-After", "X-RateLimit-Reset"} {
			if n, err := strconv.Atoi(resp.Header.Get(h)); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return time.Second
}

// appErrorID returns the ID of the Mattermost error in err's chain, or "".
func appErrorID(err error) string {
	var ae *model.AppError
	if errors.As(err, &ae) {
		return ae.Id
	}
	return ""
}
