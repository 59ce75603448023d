package mattermost

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
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
	display := truncateRunes(strings.TrimSpace(nc.DisplayName), maxChannelDisplayName)
	typ := model.ChannelTypePrivate
	if nc.Public {
		typ = model.ChannelTypeOpen
	}
	base := channelName(display)
	var ch *model.Channel
	for attempt := 0; ; attempt++ {
		name := base
		if attempt > 0 {
			name = withSuffix(base, randomSuffix())
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
	if keep := maxChannelName - len(suffix) - 1; len(name) > keep {
		name = strings.TrimRight(name[:keep], "-")
	}
	return name + "-" + suffix
}

// randomSuffix returns 5 random lower-case letters and digits.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [5]byte
	rand.Read(b[:]) // never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// truncateRunes shortens s to at most n runes, marking a cut with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
