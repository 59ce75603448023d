package slack

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
)

// maxChannelName is the longest channel name Slack accepts.
const maxChannelName = 80

// channelNameAttempts is how many names CreateChannel tries: the derived
// one, then the same with random suffixes.
const channelNameAttempts = 5

// inviteSkipErrors are conversations.invite errors that must not stop a
// run from starting: the member is there already, is the bot, or cannot be
// invited (deactivated, a guest); they are logged and skipped.
var inviteSkipErrors = map[string]bool{
	"already_in_channel": true, "cant_invite_self": true, "user_not_found": true,
	"cant_invite": true, "user_is_restricted": true, "user_is_ultra_restricted": true,
	"ura_max_channels": true, "user_disabled": true,
}

// CreateChannel creates the run's channel (conversations.create; private
// unless nc.Public), named after its display name; when the name is taken,
// short random suffixes are tried. The bot is a member as the channel's
// creator. The members are invited one by one (conversations.invite), so
// that one who cannot be invited is logged and skipped and the run still
// starts.
func (c *Client) CreateChannel(ctx context.Context, nc bot.NewChannel) (string, error) {
	base := channelName(nc.DisplayName)
	var ch *slackgo.Channel
	for attempt := 0; ; attempt++ {
		name := base
		if attempt > 0 {
			name = withSuffix(base, chatkit.RandomSuffix())
		}
		created, err := c.api.CreateConversationContext(ctx, slackgo.CreateConversationParams{
			ChannelName: name, IsPrivate: !nc.Public, TeamID: nc.TeamID,
		})
		if err == nil {
			ch = created
			break
		}
		if slackErr(err) != "name_taken" || attempt+1 >= channelNameAttempts {
			return "", apiError(err, "conversations.create", "channel "+name)
		}
	}
	for _, id := range nc.MemberIDs {
		if id == "" {
			continue
		}
		_, err := c.api.InviteUsersToConversationContext(ctx, ch.ID, id)
		if err == nil {
			continue
		}
		if code := slackErr(err); code != "" {
			if !inviteSkipErrors[code] {
				c.log.WarnContext(ctx, "invite run channel member", "channel_id", ch.ID, "user_id", id, "error", err)
			}
			continue
		}
		return "", apiError(err, "conversations.invite", "member "+id+" of channel "+ch.ID)
	}
	return ch.ID, nil
}

// inviteRefusals are conversations.invite errors that mean Slack will not
// add that user to that channel; their code is the reason shown.
var inviteRefusals = map[string]string{
	"cant_invite":              "Slack does not allow inviting them",
	"user_is_restricted":       "they are a guest who cannot be invited",
	"user_is_ultra_restricted": "they are a single-channel guest",
	"ura_max_channels":         "they are a guest in as many channels as allowed",
	"user_disabled":            "their account is deactivated",
	"not_in_channel":           "the bot is no longer in the channel",
	"channel_not_found":        "the channel is gone",
	"is_archived":              "the channel is archived",
	"user_not_found":           "Slack does not know them",
}

// AddChannelMember invites a user to a run's channel
// (conversations.invite); already being in it is not an error. A refusal
// becomes an EForbidden *bot.Error saying why.
func (c *Client) AddChannelMember(ctx context.Context, channelID, userID string) error {
	_, err := c.api.InviteUsersToConversationContext(ctx, channelID, userID)
	code := slackErr(err)
	switch {
	case err == nil, code == "already_in_channel":
		c.members.forget(channelID, userID) // seen in at once, not after MembershipTTL
		return nil
	case inviteRefusals[code] != "":
		return fmt.Errorf("slack: conversations.invite %s to %s: %w (%w)", userID, channelID,
			bot.Errorf(bot.EForbidden, "%s", inviteRefusals[code]), err)
	}
	return apiError(err, "conversations.invite", "member "+userID+" of channel "+channelID)
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9_-]+`)

// channelName derives a Slack channel name from a run's name: lower case,
// letters, digits, "-" and "_", words joined by single dashes, at most 80
// characters; "run" when nothing usable is left.
func channelName(display string) string {
	name := nonNameChars.ReplaceAllString(strings.ToLower(display), "-")
	name = strings.Trim(name, "-_")
	if len(name) > maxChannelName {
		name = strings.TrimRight(name[:maxChannelName], "-_")
	}
	if name == "" {
		return "run"
	}
	return name
}

// withSuffix appends "-suffix" to a channel name, shortening the name to
// stay within the length limit.
func withSuffix(name, suffix string) string {
	return chatkit.WithSuffix(name, suffix, maxChannelName, "-_")
}
