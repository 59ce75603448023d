package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// WebhookPoster makes one webhook delivery attempt; package webhook's
// *Sender is the real one.
type WebhookPoster interface {
	Send(ctx context.Context, url, deliveryID string, body []byte) error
}

// DispatcherConfig holds what a Dispatcher needs. Service is required; so
// is Sender when there may be webhook jobs. The rest default.
type DispatcherConfig struct {
	// Service's store holds the jobs; reminders go through its SendReminder.
	Service *Service
	Sender  WebhookPoster
	// Owner names this replica in the claims it makes; unique among the
	// replicas. A new ID when "".
	Owner string
	// Poll is how often due jobs are looked for when there were none:
	// 250 ms when 0. A job comes due at most Poll late.
	Poll time.Duration
	// Lease is how long a claimed job is this replica's: 30 s when 0. It
	// must be longer than a webhook attempt's timeout, or another replica
	// may claim the job while it is being sent.
	Lease time.Duration
	// Batch is the most jobs claimed at once: 32 when 0.
	Batch int
	// Concurrency is the most jobs handled at once: 16 when 0. Each job has
	// its own goroutine, so a receiver that never answers holds one slot
	// until the sender's timeout, never the others.
	Concurrency int
	Now         func() time.Time // time.Now when nil
	// Backoff is the wait after n failed attempts of a job; Backoff(n, nil)
	// (exponential, with jitter) when nil.
	Backoff func(n int) time.Duration
	Logger  *slog.Logger // slog.Default() when nil
}

// Dispatcher handles due jobs: it delivers webhooks and sends reminders.
// Any number of dispatchers may run against one database (one per
// replica): each job is claimed by one at a time, for a lease. Delivery is
// exactly once, except for a job whose dispatcher stopped or died while
// handling it: that job is claimed again when its lease ends, and so may be
// delivered twice (at least once). Webhook receivers tell such duplicates
// apart by their X-Playbooks-Delivery header, the job's ID.
type Dispatcher struct {
	svc     *Service
	store   JobStore
	sender  WebhookPoster
	owner   string
	poll    time.Duration
	lease   time.Duration
	batch   int
	conc    int
	now     func() time.Time
	backoff func(int) time.Duration
	log     *slog.Logger
}

// NewDispatcher returns a Dispatcher for c. It fails when c.Service is nil
// or a duration or count is negative.
func NewDispatcher(c DispatcherConfig) (*Dispatcher, error) {
	if c.Service == nil {
		return nil, errors.New("new dispatcher: no Service")
	}
	if c.Poll < 0 || c.Lease < 0 || c.Batch < 0 || c.Concurrency < 0 {
		return nil, fmt.Errorf("new dispatcher: negative poll %v, lease %v, batch %d or concurrency %d",
			c.Poll, c.Lease, c.Batch, c.Concurrency)
	}
	d := &Dispatcher{svc: c.Service, store: c.Service.store, sender: c.Sender, owner: c.Owner,
		poll: c.Poll, lease: c.Lease, batch: c.Batch, conc: c.Concurrency, now: c.Now,
		backoff: c.Backoff, log: c.Logger}
	if d.owner == "" {
		d.owner = NewID()
	}
	if d.poll == 0 {
		d.poll = 250 * time.Millisecond
	}
	if d.lease == 0 {
		d.lease = 30 * time.Second
	}
	if d.batch == 0 {
		d.batch = 32
	}
	if d.conc == 0 {
		d.conc = 16
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.backoff == nil {
		d.backoff = func(n int) time.Duration { return Backoff(n, nil) }
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d, nil
}

// Run claims and handles due jobs until ctx is done, then waits for the
// jobs in hand to return and returns nil. Jobs interrupted by the end of
// ctx are left claimed: another dispatcher (or this one, restarted) takes
// them when their lease ends. Failures to reach the database are logged
// and retried at the next poll.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, d.conc) // one token per job in hand
	freed := make(chan struct{}, 1)      // a job returned: claim again
	for {
		n := min(d.conc-len(slots), d.batch)
		got := 0
		if n > 0 {
			now := d.now()
			jobs, err := d.store.ClaimJobs(ctx, d.owner, now.UnixMilli(), now.Add(d.lease).UnixMilli(), n)
			if err != nil && ctx.Err() == nil {
				d.log.Error("claim jobs", "owner", d.owner, "error", err)
			}
			for _, j := range jobs {
				slots <- struct{}{}
				wg.Go(func() {
					defer func() {
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					d.handle(ctx, j)
				})
			}
			got = len(jobs)
		}
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 && got == n {
			continue // a full batch: more may be due now
		}
		t := time.NewTimer(d.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-freed:
		case <-t.C:
		}
		t.Stop()
	}
}

// handle runs one claimed job and records its outcome.
func (d *Dispatcher) handle(ctx context.Context, j Job) {
	var err error
	switch j.Kind {
	case JobWebhook:
		err = d.webhook(ctx, j)
	case JobReminder:
		err = d.svc.SendReminder(ctx, j)
	default:
		err = Errorf(EInvalid, "unknown job kind %q", j.Kind)
	}
	if ctx.Err() != nil {
		return // stopped: the job is claimed again when its lease ends
	}
	attempt := j.Attempts + 1
	now := d.now()
	var we *WebhookError
	permanent := (errors.As(err, &we) && we.Permanent) || ErrorCode(err) == EInvalid
	switch {
	case err == nil:
		err = d.store.CompleteJob(ctx, j.ID, d.owner, now.UnixMilli())
	case permanent || attempt >= MaxWebhookAttempts:
		d.log.Warn("job failed for good", "job_id", j.ID, "run_id", j.RunID, "kind", j.Kind, "attempt", attempt, "error", err)
		err = d.store.FailJob(ctx, j.ID, d.owner, now.UnixMilli(), err.Error())
	default:
		due := now.Add(d.backoff(attempt)).UnixMilli()
		err = d.store.RetryJob(ctx, j.ID, d.owner, due, err.Error())
	}
	if err != nil && ctx.Err() == nil {
		// EConflict: the lease ran out and another dispatcher has the job,
		// or the job was cancelled meanwhile.
		d.log.Error("record job outcome", "job_id", j.ID, "run_id", j.RunID, "kind", j.Kind, "error", err)
	}
}

// webhook makes one attempt at a webhook job and records it.
func (d *Dispatcher) webhook(ctx context.Context, j Job) error {
	var p WebhookJob
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return Errorf(EInvalid, "webhook job %s has an invalid payload: %v", j.ID, err)
	}
	if d.sender == nil {
		return Errorf(EInvalid, "no webhook sender configured")
	}
	at := d.now().UnixMilli()
	err := d.sender.Send(ctx, p.URL, j.ID, []byte(p.Body))
	if ctx.Err() != nil {
		return err
	}
	a := JobAttempt{JobID: j.ID, Attempt: j.Attempts + 1, At: at}
	if err != nil {
		a.Error = err.Error()
		var we *WebhookError
		if errors.As(err, &we) {
			a.Status = we.Status
		}
	}
	if rerr := d.store.RecordAttempt(ctx, a); rerr != nil {
		d.log.Error("record webhook attempt", "job_id", j.ID, "run_id", j.RunID, "error", rerr)
	}
	return err
}
