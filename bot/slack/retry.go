package slack

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
)

// A Web API call Slack refuses with 429 is retried after Slack's
// Retry-After by the client itself only when its caller's context has a
// deadline that leaves room for the wait and the call: the work of a
// request Slack was already answered for (a run's channel and
// invitations), which has time but no one to retry it. Any other caller
// (no deadline: a job, which the dispatcher reschedules; too short a
// deadline) gets the error at once, carrying the Retry-After
// (bot.RetryAfter), and decides itself.

// maxRetries is how many times one call is retried after a 429.
const maxRetries = 3

// retryMargin is the time a retried call is left besides its wait.
const retryMargin = 5 * time.Second

// retryWithin is slack-go's retry handler for the rule above.
type retryWithin struct{}

var _ slackgo.RetryHandler = retryWithin{}

// ShouldRetry retries a 429 after its Retry-After (at least a second) when
// the request's deadline leaves room.
func (retryWithin) ShouldRetry(state *slackgo.RetryState, req *http.Request, resp *http.Response, _ error) (bool, time.Duration) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || state.Attempt >= state.MaxRetries ||
		(req.Body != nil && req.GetBody == nil) {
		return false, 0
	}
	wait := time.Second
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 1 {
		wait = time.Duration(s) * time.Second
	}
	deadline, ok := req.Context().Deadline()
	if !ok || time.Until(deadline) < wait+retryMargin {
		return false, 0
	}
	return true, wait
}
