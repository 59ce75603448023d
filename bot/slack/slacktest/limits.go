package slacktest

import (
	"maps"
	"slices"
	"time"
)

// Limit is a Web API rate limit: at most Calls calls of a method within any
// window of Per, counted per workspace, or per channel when PerChannel.
// A call over the limit is answered as Slack answers it: HTTP 429,
// Retry-After (whole seconds until the window has room again) and
// {"ok":false,"error":"ratelimited"}. A sliding window lets a burst of
// Calls through at once, as Slack tolerates short bursts, and then
// nothing until the window moves on.
type Limit struct {
	Calls      int
	Per        time.Duration
	PerChannel bool
}

// Slack's tiers (https://docs.slack.dev/apis/web-api/rate-limits): each
// method has one, "per API method per workspace per app".
var (
	Tier1 = Limit{Calls: 1, Per: time.Minute}
	Tier2 = Limit{Calls: 20, Per: time.Minute}
	Tier3 = Limit{Calls: 50, Per: time.Minute}
	Tier4 = Limit{Calls: 100, Per: time.Minute}
	// PostMessage is chat.postMessage's special tier: about one message a
	// second per channel, short bursts allowed (Slack does not say how
	// long; five is a short burst).
	PostMessage = Limit{Calls: 5, Per: 5 * time.Second, PerChannel: true}
)

// DefaultLimits returns the limit of each Web API method the double
// serves, from each method's page on docs.slack.dev ("Rate Limits").
func DefaultLimits() map[string]Limit {
	return map[string]Limit{
		"conversations.create":  Tier2,
		"conversations.invite":  Tier3,
		"conversations.info":    Tier3,
		"conversations.members": Tier4,
		"users.conversations":   Tier3,
		"chat.postMessage":      PostMessage,
		"chat.update":           Tier3,
		"chat.postEphemeral":    Tier4,
		"views.open":            Tier4,
		"views.update":          Tier4,
		"views.push":            Tier4,
		"users.info":            Tier4,
		"users.list":            Tier2,
		"team.info":             Tier3,
	}
}

// limiter counts the calls of each method (and channel) within its
// window, on the double's clock. Callers hold Server.mu.
type limiter struct {
	on     bool
	limits map[string]Limit
	calls  map[string][]time.Time // key → times of the calls in the window, oldest first
}

func newLimiter() *limiter {
	return &limiter{on: true, limits: DefaultLimits(), calls: map[string][]time.Time{}}
}

// admit records a call of method (in channel, for a per-channel limit) at
// now, or refuses it and says when to retry.
func (l *limiter) admit(method, channel string, now time.Time) (retryAfter time.Duration, ok bool) {
	lim, has := l.limits[method]
	if !l.on || !has || lim.Calls <= 0 {
		return 0, true
	}
	key := method
	if lim.PerChannel {
		key += "/" + channel
	}
	times := l.calls[key]
	for len(times) > 0 && !times[0].Add(lim.Per).After(now) {
		times = times[1:]
	}
	if len(times) >= lim.Calls {
		l.calls[key] = times
		wait := times[0].Add(lim.Per).Sub(now)
		secs := (wait + time.Second - 1) / time.Second // Retry-After is in whole seconds, rounded up
		return max(secs, 1) * time.Second, false
	}
	l.calls[key] = append(times, now)
	return 0, true
}

// RateLimits turns Slack's rate limits on (the default) or off.
func (s *Server) RateLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits.on = on
}

// SetLimit sets (tightens or loosens) the limit of a Web API method; a
// Limit with no Calls lifts it.
func (s *Server) SetLimit(method string, l Limit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits.limits[method] = l
}

// Limits returns the limit of each method.
func (s *Server) Limits() map[string]Limit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.limits.limits)
}

// RateLimited returns the Web API methods refused with 429 so far, in
// order.
func (s *Server) RateLimited() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.limited)
}

// CallCount returns how many times method was called (refused calls
// included).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.calls {
		if m == method {
			n++
		}
	}
	return n
}
