package bot

import "context"

// Job kinds.
const (
	JobWebhook  = "webhook"  // an outgoing webhook delivery
	JobReminder = "reminder" // a status-update reminder in the run's channel
	// JobShow is a refresh of the run's checklist post that failed (the
	// chat platform was down) and is retried, coalesced per run.
	JobShow = "refresh_post"
	// JobPost is a message a change committed to post in a channel (a
	// status update, in the run's channel and its broadcast channels; a
	// new run's announcement): posted right after the commit by the
	// replica that made the change, which holds the job meanwhile, and
	// retried by the dispatcher when that failed or the replica died.
	JobPost = "post_message"
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
// at a time for a lease that the dispatcher renews while it works on the
// job, and done, retried, failed or cancelled. See Dispatcher for what is
// guaranteed: no job is sent twice while the dispatcher that claimed it is
// alive; a job a dispatcher had in flight when it died is claimed again
// when its lease ends, and sent again with the same ID.
type Job struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"` // JobWebhook, JobReminder, JobShow or JobPost
	RunID      string `json:"run_id"`
	DueAt      int64  `json:"due_at"`
	Payload    string `json:"payload"` // JSON: WebhookJob, ReminderJob or PostJob
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

// PostJob is the payload of a JobPost job.
type PostJob struct {
	Platform  string `json:"platform"` // the run's
	ChannelID string `json:"channel_id"`
	Message   string `json:"message"` // Markdown, as Chat.Post takes it
}

// JobAttempt records one attempt at a job (a webhook POST).
type JobAttempt struct {
	JobID   string `json:"job_id"`
	Attempt int    `json:"attempt"` // 1 for the first
	At      int64  `json:"at"`
	Status  int    `json:"status"` // the HTTP status of a failure; 0 on success or with no answer
	Error   string `json:"error"`  // "" on success
}

// Leases are the ends of the claims a dispatcher makes or renews, by kind
// of job, in milliseconds since the epoch.
type Leases map[string]int64

// JobStore persists jobs. Jobs are inserted with their run's change
// (CreateRun, UpdateRun's RunChange) and claimed here.
type JobStore interface {
	// ClaimJobs claims up to n pending jobs due by dueBy (now, or a little
	// later to claim ahead) whose lease has ended (or never began) at now,
	// oldest due first, for owner: a job of kind k until leaseUntil[k];
	// kinds not in leaseUntil are not claimed. Concurrent callers never get
	// the same job while its lease runs.
	ClaimJobs(ctx context.Context, owner string, now, dueBy int64, leaseUntil Leases, n int) ([]Job, error)
	// EnqueueJob inserts j as its run's unless the run has a pending job of
	// its kind that nobody holds at now, and reports whether it did: jobs
	// of a kind coalesce per run. Concurrent calls may both insert.
	EnqueueJob(ctx context.Context, j Job, now int64) (bool, error)
	// NextJobDue returns the earliest due time after the time now of the
	// pending jobs nobody holds at now; 0 when there is none.
	NextJobDue(ctx context.Context, now int64) (int64, error)
	// RenewJobs extends owner's claim on those of the jobs ids it still
	// holds (pending, claimed by owner) to leaseUntil[kind] and returns
	// their IDs; the others are lost: cancelled, or claimed by another
	// owner once the lease had run out.
	RenewJobs(ctx context.Context, owner string, leaseUntil Leases, ids []string) ([]string, error)
	// CompleteJob marks the job done at now. EConflict when owner no
	// longer holds it: its lease was lost to another owner, or the job was
	// cancelled.
	CompleteJob(ctx context.Context, id, owner string, now int64) error
	// CompleteRunJob locks the run as UpdateRun does and, in the same
	// transaction, marks the job done at now if owner still holds it
	// (EConflict, without calling fn, if not), calls fn and saves the run
	// and fn's change: the job's work is decided and recorded under the
	// run's lock, atomically. ENotFound when the run is gone.
	CompleteRunJob(ctx context.Context, runID, jobID, owner string, now int64, fn func(*Run) (RunChange, error)) (Run, error)
	// RetryJob counts a failed attempt, records lastErr and releases the
	// job, due again at dueAt. EConflict as for CompleteJob.
	RetryJob(ctx context.Context, id, owner string, dueAt int64, lastErr string) error
	// FailJob counts a failed attempt and gives the job up at now.
	// EConflict as for CompleteJob.
	FailJob(ctx context.Context, id, owner string, now int64, lastErr string) error
	// RecordAttempt records one attempt at a job.
	RecordAttempt(ctx context.Context, a JobAttempt) error
	// PurgeJobs deletes up to limit jobs that ended (done, failed,
	// cancelled) before the time before, oldest first, with their
	// attempts, and returns how many.
	PurgeJobs(ctx context.Context, before int64, limit int) (int, error)
	// StalePosts returns at most limit IDs of runs with a channel, a
	// timeline event recorded in [since, until), a checklist post that is
	// missing or shows an older version of the run than the stored one,
	// and no pending JobShow job: the post refreshes a replica owed when it
	// died, which nobody owes now (see Dispatcher's sweep).
	StalePosts(ctx context.Context, since, until int64, limit int) ([]string, error)
	// Jobs returns the run's jobs, oldest first.
	Jobs(ctx context.Context, runID string) ([]Job, error)
	// JobAttempts returns the attempts recorded for a job, first first.
	JobAttempts(ctx context.Context, jobID string) ([]JobAttempt, error)
}
