package slack

import (
	"context"
	"slices"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
)

// Who is in a private run's channel decides who may see the run, and every
// click, command and lookup on a private run asks it. Asking Slack each
// time would make 64 simultaneous clicks 64 calls of a Tier 3 method (50 a
// minute): those past the limit would be refused. So the adapter asks
// about the run's channel, once for everyone (conversations.members, Tier
// 4), and keeps the answer briefly:
//
//   - an answer is reused for MembershipTTL (10 s). A user removed from a
//     private run's channel may still see and change the run for up to 10
//     s after (as they could a moment before), and one added by someone
//     else in Slack may be refused for as long; members the bot adds
//     itself (AddChannelMember) are seen at once, the answer being
//     dropped. Nothing else a user sees depends on it.
//   - concurrent questions about one channel (or one user) wait for one
//     call to Slack instead of each making their own.
//   - when Slack rate-limits the question, an answer up to
//     membershipStale (1 min) old is used; with none, the caller gets
//     EUnavailable saying that Slack is limiting the bot and when to try
//     again, never "internal error".
//
// A question about many channels at once (which private runs may a user
// list) asks instead which private channels the user is in
// (users.conversations, Tier 3), kept as briefly, per user.

// MembershipTTL is how long an answer about who is in a channel (or which
// channels a user is in) is reused.
const MembershipTTL = 10 * time.Second

// membershipStale is how old an answer may be to stand in for one Slack
// refuses to give for now (429).
const membershipStale = time.Minute

// maxChannelQuestions is how many channels MemberChannels asks about one
// by one (their members); past that it asks for the user's channels.
const maxChannelQuestions = 3

// members is one answer: a set of IDs (the members of a channel, or the
// private channels of a user) and when Slack gave it.
type members struct {
	ids map[string]bool
	at  time.Time
}

// memberCache keeps answers by key ("c:" + channel, "u:" + user) and
// makes concurrent askers of one key share one call.
type memberCache struct {
	now func() time.Time

	mu       sync.Mutex
	answers  map[string]members
	inFlight map[string]*flight
}

// flight is a call in progress whose result several askers wait for.
type flight struct {
	done chan struct{}
	ans  members
	err  error
}

func newMemberCache(now func() time.Time) *memberCache {
	return &memberCache{now: now, answers: map[string]members{}, inFlight: map[string]*flight{}}
}

// get returns the answer of key: a fresh one kept, else the one ask
// returns (asked once for every concurrent caller), else, when Slack
// refuses it for now (EUnavailable), one kept that is not too stale.
func (m *memberCache) get(ctx context.Context, key string, ask func(context.Context) (map[string]bool, error)) (map[string]bool, error) {
	m.mu.Lock()
	if a, ok := m.answers[key]; ok && m.now().Sub(a.at) < MembershipTTL {
		m.mu.Unlock()
		return a.ids, nil
	}
	f, ok := m.inFlight[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		m.inFlight[key] = f
		m.mu.Unlock()
		// The call is made for every asker: the first one's cancellation
		// must not fail the others.
		go m.fly(context.WithoutCancel(ctx), key, f, ask)
	} else {
		m.mu.Unlock()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err == nil {
		return f.ans.ids, nil
	}
	if bot.ErrorCode(f.err) == bot.EUnavailable {
		m.mu.Lock()
		a, ok := m.answers[key]
		m.mu.Unlock()
		if ok && m.now().Sub(a.at) < membershipStale {
			return a.ids, nil
		}
	}
	return nil, f.err
}

// fly makes the call of a flight and keeps its answer.
func (m *memberCache) fly(ctx context.Context, key string, f *flight, ask func(context.Context) (map[string]bool, error)) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ids, err := ask(ctx)
	m.mu.Lock()
	f.ans, f.err = members{ids: ids, at: m.now()}, err
	if err == nil {
		m.answers[key] = f.ans
	}
	delete(m.inFlight, key)
	m.mu.Unlock()
	close(f.done)
}

// forget drops the answers about a channel and a user: the bot changed
// who is in that channel.
func (m *memberCache) forget(channelID, userID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.answers, "c:"+channelID)
	delete(m.answers, "u:"+userID)
}

// MemberChannels returns those of channelIDs (private run channels) that
// userID is a member of. For a few channels it asks who is in each
// (conversations.members), for more which private channels the user is in
// (users.conversations); either answer is kept briefly and shared (see
// MembershipTTL). With a bot token Slack answers only about the private
// channels the bot is in, which every run channel the bot created is
// unless the bot was removed; one it was removed from counts as one the
// user is not in. EUnavailable when Slack rate-limits the question and no
// recent answer stands in.
func (c *Client) MemberChannels(ctx context.Context, userID string, channelIDs []string) ([]string, error) {
	if len(channelIDs) == 0 {
		return nil, nil
	}
	var in []string
	if len(channelIDs) <= maxChannelQuestions {
		for _, ch := range channelIDs {
			ids, err := c.members.get(ctx, "c:"+ch, func(ctx context.Context) (map[string]bool, error) {
				return c.channelMembers(ctx, ch)
			})
			if err != nil {
				return nil, err
			}
			if ids[userID] {
				in = append(in, ch)
			}
		}
		return in, nil
	}
	chans, err := c.members.get(ctx, "u:"+userID, func(ctx context.Context) (map[string]bool, error) {
		return c.userChannels(ctx, userID)
	})
	if err != nil {
		return nil, err
	}
	for _, ch := range channelIDs {
		if chans[ch] && !slices.Contains(in, ch) {
			in = append(in, ch)
		}
	}
	return in, nil
}

// channelMembers asks Slack who is in a channel (conversations.members,
// every page); nobody, for a channel the bot cannot see.
func (c *Client) channelMembers(ctx context.Context, channelID string) (map[string]bool, error) {
	ids := map[string]bool{}
	cursor := ""
	for {
		page, next, err := c.api.GetUsersInConversationContext(ctx, &slackgo.GetUsersInConversationParameters{
			ChannelID: channelID, Cursor: cursor, Limit: 1000,
		})
		if code := slackErr(err); code == "channel_not_found" || code == "not_in_channel" {
			return map[string]bool{}, nil
		}
		if err != nil {
			return nil, apiError(err, "conversations.members", "members of channel "+channelID)
		}
		for _, id := range page {
			ids[id] = true
		}
		if next == "" {
			return ids, nil
		}
		cursor = next
	}
}

// userChannels asks Slack which private channels a user is in, of those
// the bot is in too (users.conversations, every page); none for a user
// Slack does not know.
func (c *Client) userChannels(ctx context.Context, userID string) (map[string]bool, error) {
	ids := map[string]bool{}
	cursor := ""
	for {
		chans, next, err := c.api.GetConversationsForUserContext(ctx, &slackgo.GetConversationsForUserParameters{
			UserID: userID, Types: []string{"private_channel"}, Cursor: cursor, Limit: 1000,
		})
		if slackErr(err) == "user_not_found" {
			return map[string]bool{}, nil // in nothing
		}
		if err != nil {
			return nil, apiError(err, "users.conversations", "channels of user "+userID)
		}
		for _, ch := range chans {
			ids[ch.ID] = true
		}
		if next == "" {
			return ids, nil
		}
		cursor = next
	}
}
