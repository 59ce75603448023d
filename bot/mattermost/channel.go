package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
)

// Limits of channel names and display names, as Mattermost checks them.
const (
	maxChannelName        = model.ChannelNameMaxLength       // 64
	maxChannelDisplayName = model.ChannelDisplayNameMaxRunes // 64
	minChannelName        = 2
)

// channelNameAttempts is how many names CreateChannel tries: the derived
// one, then the same with random suffixes.
const channelNameAttempts = 5

// errChannelExists is the ID of the error Mattermost answers (status 400)
// when a team already has a channel of that name.
const errChannelExists = "store.sql_channel.save_channel.exists"

// CreateChannel creates the run's channel (private unless c.Public), named
// after its display name, and adds c.MemberIDs to it. When the team has a
// channel of that name already, a short random suffix is tried. The bot is
// a member as the channel's creator. A member Mattermost does not know (a
// deleted or deactivated user) is logged and skipped: the run must still
// start.
func (c *Client) CreateChannel(ctx context.Context, nc bot.NewChannel) (string, error) {
	display := chatkit.TruncateRunes(strings.TrimSpace(nc.DisplayName), maxChannelDisplayName)
	typ := model.ChannelTypePrivate
	if nc.Public {
		typ = model.ChannelTypeOpen
	}
	base := channelName(display)
	var ch *model.Channel
	for attempt := 0; ; attempt++ {
		name := base
		if attempt > 0 {
			name = withSuffix(base, chatkit.RandomSuffix())
		}
		created, resp, err := c.api.CreateChannel(ctx, &model.Channel{
			TeamId: nc.TeamID, Name: name, DisplayName: display, Type: typ,
		})
		if err == nil {
			ch = created
			break
		}
		if !strings.HasPrefix(appErrorID(err), errChannelExists) || attempt+1 >= channelNameAttempts {
			return "", apiError(resp, err, "channel "+name)
		}
	}
	botID := c.botUserID
	if botID == "" {
		botID = ch.CreatorId
	}
	for _, id := range nc.MemberIDs {
		if id == "" || id == botID {
			continue
		}
		_, resp, err := c.api.AddChannelMember(ctx, ch.Id, id)
		if err == nil {
			continue
		}
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden) {
			c.log.WarnContext(ctx, "add run channel member", "channel_id", ch.Id, "user_id", id, "status", resp.StatusCode, "error", err)
			continue
		}
		return "", apiError(resp, err, fmt.Sprintf("member %s of channel %s", id, ch.Id))
	}
	return ch.Id, nil
}

// memberLookups is how many channel memberships MemberChannels asks
// Mattermost at once, per call.
const memberLookups = 8

// MemberChannels returns those of channelIDs that userID is a member of.
// A bot cannot list another user's channels on a real server (GET
// /users/{id}/teams/{tid}/channels needs that user's session or
// manage_system), but it is a member of every run channel it created, so
// it asks GET /channels/{id}/members/{user_id} for each, at most
// memberLookups at a time. Mattermost answers 404 for a non-member (and a
// channel that is gone); a 403 (the bot was removed from the channel)
// counts as not a member too, and is logged. Any other failure fails the
// whole answer.
func (c *Client) MemberChannels(ctx context.Context, userID string, channelIDs []string) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		in       []string
		firstErr error
		sem      = make(chan struct{}, memberLookups)
	)
	for _, id := range channelIDs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			member, err := c.isMember(ctx, id, userID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && firstErr == nil:
				firstErr = err
				cancel()
			case member:
				in = append(in, id)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// isMember asks Mattermost whether a user is in a channel, as the bot.
func (c *Client) isMember(ctx context.Context, channelID, userID string) (bool, error) {
	_, resp, err := c.api.GetChannelMember(ctx, channelID, userID, "")
	if err == nil {
		return true, nil
	}
	switch restStatus(resp, err) {
	case http.StatusNotFound:
		return false, nil
	case http.StatusForbidden:
		c.log.WarnContext(ctx, "bot may not read the members of a run channel; its private run is hidden from non-admins",
			"channel_id", channelID, "user_id", userID, "error", err)
		return false, nil
	}
	return false, apiError(resp, err, "membership of "+userID+" in channel "+channelID)
}

// AddChannelMember adds a user to a run's channel (POST
// /channels/{id}/members), as the bot, a member of every run channel it
// created; adding a member again is not an error. A refusal becomes a
// *bot.Error with Mattermost's reason: EForbidden (403: the user is not in
// the channel's team, or the bot may not add members), ENotFound (the user
// or the channel is gone), EInvalid (400).
func (c *Client) AddChannelMember(ctx context.Context, channelID, userID string) error {
	_, resp, err := c.api.AddChannelMember(ctx, channelID, userID)
	if err == nil {
		return nil
	}
	if restStatus(resp, err) == http.StatusForbidden {
		msg := "Mattermost refused to add them"
		var ae *model.AppError
		if errors.As(err, &ae) && ae.Message != "" {
			msg += " (" + ae.Message + ")"
		}
		return fmt.Errorf("mattermost: add %s to channel %s: %w (%w)", userID, channelID, bot.Errorf(bot.EForbidden, "%s", msg), err)
	}
	return apiError(resp, err, "user "+userID+" or channel "+channelID)
}

// restStatus is the HTTP status of a failed REST call; 0 when none came back.
func restStatus(resp *model.Response, err error) int {
	if resp != nil && resp.StatusCode != 0 {
		return resp.StatusCode
	}
	var ae *model.AppError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

var nonNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// fortyHex matches the names Mattermost reserves for group messages.
var fortyHex = regexp.MustCompile(`^[a-f0-9]{40}$`)

// channelName derives a channel name from a display name: lower case,
// letters and digits with single dashes between words, 2 to 64
// characters; "run" when nothing usable is left.
func channelName(display string) string {
	name := nonNameChars.ReplaceAllString(strings.ToLower(display), "-")
	name = strings.Trim(name, "-")
	if len(name) > maxChannelName {
		name = strings.TrimRight(name[:maxChannelName], "-")
	}
	switch {
	case len(name) < minChannelName:
		return "run"
	case fortyHex.MatchString(name):
		return name + "-run"
	}
	return name
}

// withSuffix appends "-suffix" to a channel name, shortening the name to
// stay within the length limit.
func withSuffix(name, suffix string) string {
	return chatkit.WithSuffix(name, suffix, maxChannelName, "-")
}
