package bot

import "context"

// Job kinds.
const (
	JobWebhook  = "webhook"  // an outgoing webhook delivery
	JobReminder = "reminder" // a status-update reminder in the run's channel
)

// Job states. A job is pending until it is done, has failed for good, or
// was cancelled by a change of its run.
const (
	JobPending   = "pending"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Job is one piece of time-based or outbound work (the outbox): written in
// the transaction of the change that causes it, claimed by one dispatcher
// at a time for a lease, and done, retried, failed or cancelled. A
// dispatcher that dies holding a claim loses it when the lease ends, and
// another claims the job again: delivery is exactly once except for the
// job in flight at a crash, which is delivered at least once.
type Job struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"` // JobWebhook or JobReminder
	RunID      string `json:"run_id"`
	DueAt      int64  `json:"due_at"`
	Payload    string `json:"payload"` // JSON: WebhookJob or ReminderJob
	Attempts   int    `json:"attempts"`
	LastError  string `json:"last_error"`
	CreateAt   int64  `json:"create_at"`
	DoneAt     int64  `json:"done_at"`
	LeaseUntil int64  `json:"lease_until"`
	ClaimedBy  string `json:"claimed_by"`
	State      string `json:"state"`
}

// WebhookJob is the payload of a JobWebhook job.
type WebhookJob struct {
	URL  string `json:"url"`
	Body string `json:"body"` // the JSON POSTed, as enqueued
}

// ReminderJob is the payload of a JobReminder job: the reminder is stale,
// and sent no more, once the run has a status update newer than After.
type ReminderJob struct {
	After int64 `json:"after"` // the run's LastStatusUpdateAt when scheduled
}

// JobAttempt records one attempt at a job (a webhook POST).
type JobAttempt struct {
	JobID   string `json:"job_id"`
	Attempt int    `json:"attempt"` // 1 for the first
	At      int64  `json:"at"`
	Status  int    `json:"status"` // the HTTP status of a failure; 0 on success or with no answer
	Error   string `json:"error"`  // "" on success
}

// JobStore persists jobs. Jobs are inserted with their run's change
// (CreateRun, UpdateRun's RunChange) and claimed here.
type JobStore interface {
	// ClaimJobs claims up to n pending jobs due at now whose lease has
	// ended (or never began), oldest due first, for owner until leaseUntil.
	// Concurrent callers never get the same job while its lease runs.
	ClaimJobs(ctx context.Context, owner string, now, leaseUntil int64, n int) ([]Job, error)
	// CompleteJob marks the job done at now. EConflict when owner no
	// longer holds it: its lease was lost to another owner, or the job was
	// cancelled.
	CompleteJob(ctx context.Context, id, owner string, now int64) error
	// RetryJob counts a failed attempt, records lastErr and releases the
	// job, due again at dueAt. EConflict as for CompleteJob.
	RetryJob(ctx context.Context, id, owner string, dueAt int64, lastErr string) error
	// FailJob counts a failed attempt and gives the job up at now.
	// EConflict as for CompleteJob.
	FailJob(ctx context.Context, id, owner string, now int64, lastErr string) error
	// RecordAttempt records one attempt at a job.
	RecordAttempt(ctx context.Context, a JobAttempt) error
	// Jobs returns the run's jobs, oldest first.
	Jobs(ctx context.Context, runID string) ([]Job, error)
	// JobAttempts returns the attempts recorded for a job, first first.
	JobAttempts(ctx context.Context, jobID string) ([]JobAttempt, error)
}
