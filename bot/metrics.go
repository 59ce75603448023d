package bot

import "time"

// JobMetrics is what the Dispatcher reports about the jobs it handles, for
// the operator's metrics. An adapter outside the core implements it (the
// core imports no metrics library); a nil JobMetrics reports nothing.
// Its methods are called from the dispatcher's goroutines and must be
// safe for concurrent use and quick.
type JobMetrics interface {
	// WebhookDelivered counts one attempt at a webhook by its outcome.
	WebhookDelivered(outcome WebhookOutcome)
	// ReminderFired observes how long after its due time a reminder was
	// posted.
	ReminderFired(late time.Duration)
}

// WebhookOutcome is what became of one attempt at a webhook job.
type WebhookOutcome string

// The outcomes of an attempt at a webhook, a bounded set (a metric label).
const (
	WebhookDelivered WebhookOutcome = "delivered" // the receiver answered 2xx
	WebhookRetried   WebhookOutcome = "retried"   // failed, to be tried again later
	WebhookFailed    WebhookOutcome = "failed"    // refused for good (permanent error): not tried again
	WebhookGaveUp    WebhookOutcome = "gave_up"   // failed MaxWebhookAttempts times: not tried again
	WebhookNotSent   WebhookOutcome = "not_sent"  // never sent: no sender configured, or an invalid job
)

// WebhookOutcomes returns every WebhookOutcome, so that each series can
// exist (at zero) before its first event.
func WebhookOutcomes() []WebhookOutcome {
	return []WebhookOutcome{WebhookDelivered, WebhookRetried, WebhookFailed, WebhookGaveUp, WebhookNotSent}
}

// JobStat describes the pending jobs of one kind at one instant, for the
// queue metrics.
type JobStat struct {
	Kind    string // JobWebhook, JobReminder or JobShow
	Pending int    // pending jobs, due or not
	Due     int    // pending jobs whose due time has come
	// OldestDue is how long ago the oldest due job came due; 0 when none is.
	OldestDue time.Duration
}
