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
	// Owner names this dispatcher in the claims it makes: unique among the
	// dispatchers running at once. A new ID when "".
	Owner string
	// Poll is how often due jobs are looked for when there were none:
	// 250 ms when 0. A job inserted due now is seen at most Poll late; one
	// due later, once seen, is claimed when it comes due.
	Poll time.Duration
	// Lease is how long a claim of a webhook lasts: 30 s when 0.
	// ReminderLease is that of a reminder, and of a refresh of a
	// checklist post (JobShow): 10 s when 0. A claim is renewed
	// every Renew while its job is in hand, so a lease need not cover an
	// attempt, only the time a dispatcher may go without reaching the
	// database; it is how long the jobs of a dispatcher that died wait
	// before another takes them.
	Lease         time.Duration
	ReminderLease time.Duration
	// Renew is how often the claims of the jobs in hand are renewed: a
	// third of the shorter lease when 0. It must be shorter than half of
	// either lease.
	Renew time.Duration
	// Grace is how long Run, once its context is done, lets the attempts
	// in flight finish and records their outcome: 30 s when 0. Attempts
	// still running then are cut and left to their lease.
	Grace time.Duration
	// Retention is how long a job that ended (done, failed, cancelled) is
	// kept before Run purges it: 720 h (30 days) when 0. Run purges every
	// PurgeEvery (1 h when 0), PurgeBatch rows (1 000 when 0) per
	// transaction.
	Retention  time.Duration
	PurgeEvery time.Duration
	PurgeBatch int
	// SweepEvery is how often the runs changed lately are checked for a
	// checklist post that does not show them (a replica died between a
	// change's commit and its refresh): 15 s when 0. A change is looked at
	// once SweepGrace (15 s when 0) has passed, the time its own replica
	// has to refresh the post, and for SweepWindow (10 min when 0) after
	// it: a refresh owed longer is a job already, or was found by then.
	SweepEvery  time.Duration
	SweepGrace  time.Duration
	SweepWindow time.Duration
	// Ahead is how long before its due time a job is claimed: 1 s when 0.
	// The claim (a write, which waits for the database's only write lock
	// on SQLite) and a reminder's first read are then done before the job
	// comes due; the attempt waits for the due time.
	Ahead time.Duration
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
	// RecordBackoff is the wait after n failed writes of a job's outcome
	// (the database is unreachable): 100 ms doubling up to 5 s when nil.
	RecordBackoff func(n int) time.Duration
	Logger        *slog.Logger // slog.Default() when nil
	// Metrics is told of webhook outcomes and reminder lateness; nil
	// reports nothing.
	Metrics JobMetrics
}

// Dispatcher handles due jobs: it delivers webhooks, sends reminders and
// retries the refreshes of checklist posts that failed (JobShow, with the
// reminders' lease).
// Any number of dispatchers may run against one database (one per
// replica); each job is claimed by one at a time, for a lease.
//
// What is guaranteed, precisely:
//
//   - No job is sent twice while the dispatcher that claimed it runs and
//     reaches the database at least once per lease (30 s for webhooks,
//     10 s for reminders). Its claim is renewed every Renew while the job
//     is in hand (attempt and outcome write), however long the attempt
//     takes (a webhook timeout may be 5 minutes), rather than bounding the
//     attempt inside a lease: a short lease lets another replica take over
//     soon after a crash, and a long attempt is still held. A dispatcher
//     never starts a second attempt at a job it has in hand, and a webhook
//     attempt whose claim could not be renewed is cut before the lease
//     runs out.
//   - The outcome of an attempt (done, failed, retry at) is written until
//     it lands: while the database is unreachable the write is retried with
//     backoff, never dropped, so a webhook delivered just before an outage
//     is recorded as done once the database is back.
//   - When Run's context ends, the dispatcher stops claiming, lets the
//     attempts in flight finish and records their outcome, within Grace.
//   - After a crash (kill -9), or an attempt cut at the end of Grace, only
//     the jobs the dispatcher had in hand may be sent again, by another
//     dispatcher once their lease ends, with the same delivery ID (the job's
//     ID). Receivers de-duplicate on it.
//
// A reminder is decided, posted and marked done in one transaction that
// holds its run's lock (see Service.SendReminder), so it is never posted
// after a newer status update nor, on Postgres, posted twice while that
// transaction is open, whatever the lease.
type Dispatcher struct {
	svc           *Service
	store         JobStore
	sender        WebhookPoster
	owner         string
	poll          time.Duration
	lease         time.Duration
	reminderLease time.Duration
	renew         time.Duration
	grace         time.Duration
	retention     time.Duration
	purgeEvery    time.Duration
	purgeBatch    int
	sweepEvery    time.Duration
	sweepGrace    time.Duration
	sweepWindow   time.Duration
	ahead         time.Duration
	batch         int
	conc          int
	now           func() time.Time
	backoff       func(int) time.Duration
	recordBackoff func(int) time.Duration
	log           *slog.Logger
	metrics       JobMetrics // nil: none

	mu   sync.Mutex
	held map[string]*heldJob // the jobs in hand, by ID
}

// heldJob is a job in hand: claimed, and its outcome not yet recorded.
type heldJob struct {
	job   Job
	until int64                   // the end of the claim, as last written
	cut   context.CancelCauseFunc // cuts the attempt short
	ctx   context.Context         // the attempt's
}

// Causes of an attempt cut short.
var (
	errLeaseLost    = errors.New("the job is no longer this dispatcher's: it was cancelled, or claimed by another after its lease ran out")
	errLeaseExpires = errors.New("the job's claim could not be renewed and its lease is running out")
	errGraceOver    = errors.New("the shutdown grace period ran out")
)

// recordTimeout bounds one write of a job's outcome; after the grace
// period one last write is made, so Run returns at most this long after.
const recordTimeout = 5 * time.Second

// NewDispatcher returns a Dispatcher for c. It fails when c.Service is nil
// or a duration or count is negative.
func NewDispatcher(c DispatcherConfig) (*Dispatcher, error) {
	if c.Service == nil {
		return nil, errors.New("new dispatcher: no Service")
	}
	if c.Poll < 0 || c.Lease < 0 || c.ReminderLease < 0 || c.Renew < 0 || c.Grace < 0 || c.Retention < 0 ||
		c.PurgeEvery < 0 || c.PurgeBatch < 0 || c.Ahead < 0 || c.Batch < 0 || c.Concurrency < 0 ||
		c.SweepEvery < 0 || c.SweepGrace < 0 || c.SweepWindow < 0 {
		return nil, fmt.Errorf("new dispatcher: negative duration or count in %+v", c)
	}
	d := &Dispatcher{svc: c.Service, store: c.Service.store, sender: c.Sender, owner: c.Owner,
		poll: c.Poll, lease: c.Lease, reminderLease: c.ReminderLease, renew: c.Renew, grace: c.Grace,
		retention: c.Retention, purgeEvery: c.PurgeEvery, purgeBatch: c.PurgeBatch, ahead: c.Ahead,
		sweepEvery: c.SweepEvery, sweepGrace: c.SweepGrace, sweepWindow: c.SweepWindow,
		batch: c.Batch, conc: c.Concurrency, now: c.Now, backoff: c.Backoff, recordBackoff: c.RecordBackoff,
		log: c.Logger, metrics: c.Metrics, held: map[string]*heldJob{}}
	if d.owner == "" {
		d.owner = NewID()
	}
	d.poll = orDefault(d.poll, 250*time.Millisecond)
	d.lease = orDefault(d.lease, 30*time.Second)
	d.reminderLease = orDefault(d.reminderLease, 10*time.Second)
	d.renew = orDefault(d.renew, min(d.lease, d.reminderLease)/3)
	if 2*d.renew >= min(d.lease, d.reminderLease) {
		return nil, fmt.Errorf("new dispatcher: renewing every %v leaves no margin in a lease of %v", d.renew, min(d.lease, d.reminderLease))
	}
	d.grace = orDefault(d.grace, 30*time.Second)
	d.retention = orDefault(d.retention, 720*time.Hour)
	d.purgeEvery = orDefault(d.purgeEvery, time.Hour)
	d.purgeBatch = orDefault(d.purgeBatch, 1000)
	d.sweepEvery = orDefault(d.sweepEvery, 15*time.Second)
	d.sweepGrace = orDefault(d.sweepGrace, 15*time.Second)
	d.sweepWindow = orDefault(d.sweepWindow, 10*time.Minute)
	if d.sweepWindow <= d.sweepGrace {
		return nil, fmt.Errorf("new dispatcher: a sweep window of %v ends before its grace of %v", d.sweepWindow, d.sweepGrace)
	}
	d.ahead = orDefault(d.ahead, time.Second)
	d.batch = orDefault(d.batch, 32)
	d.conc = orDefault(d.conc, 16)
	if d.now == nil {
		d.now = time.Now
	}
	if d.backoff == nil {
		d.backoff = func(n int) time.Duration { return Backoff(n, nil) }
	}
	if d.recordBackoff == nil {
		d.recordBackoff = func(n int) time.Duration { return min(100*time.Millisecond<<min(n-1, 6), 5*time.Second) }
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d, nil
}

func orDefault[T time.Duration | int](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// leases returns the ends of claims made or renewed at now.
func (d *Dispatcher) leases(now time.Time) Leases {
	return Leases{JobWebhook: now.Add(d.lease).UnixMilli(), JobReminder: now.Add(d.reminderLease).UnixMilli(),
		JobShow: now.Add(d.reminderLease).UnixMilli(), JobPost: now.Add(d.lease).UnixMilli()}
}

// Run claims and handles due jobs until ctx is done; then it stops
// claiming, waits up to the grace period for the jobs in hand (their
// attempts and outcome writes), cuts those still running, and returns nil.
// It also renews the claims of the jobs in hand, and purges ended jobs.
// Failures to reach the database are logged and retried. Run must not be
// called again before it returned.
func (d *Dispatcher) Run(ctx context.Context) error {
	// Attempts and outcome writes outlive ctx by the grace period.
	work, cutAll := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cutAll(nil)
	var bg sync.WaitGroup
	bgCtx, stopBg := context.WithCancel(work)
	bg.Go(func() { d.heartbeat(bgCtx) })
	bg.Go(func() { d.purgeLoop(ctx) })
	bg.Go(func() { d.sweepLoop(ctx) })
	defer func() {
		stopBg()
		bg.Wait()
	}()

	var handlers sync.WaitGroup
	slots := make(chan struct{}, d.conc) // one token per job in hand
	freed := make(chan struct{}, 1)      // a job returned: claim again
	for ctx.Err() == nil {
		n := min(d.conc-len(slots), d.batch)
		got := 0
		if n > 0 {
			now := d.now()
			jobs, err := d.store.ClaimJobs(ctx, d.owner, now.UnixMilli(), now.Add(d.ahead).UnixMilli(), d.leases(now), n)
			if err != nil && ctx.Err() == nil {
				d.log.Error("claim jobs", "owner", d.owner, "error", err)
			}
			for _, j := range jobs {
				h := d.hold(work, j)
				if h == nil {
					continue // in hand already: the claim only renewed it
				}
				slots <- struct{}{}
				handlers.Go(func() {
					defer func() {
						d.release(j.ID)
						<-slots
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					d.handle(work, h)
				})
			}
			got = len(jobs)
		}
		if ctx.Err() != nil || (n > 0 && got == n) {
			continue // stopping, or a full batch: more may be due now
		}
		wait := d.poll // all slots taken: until one is freed
		if n > 0 {
			wait = d.sleep(ctx)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-freed:
		case <-t.C:
		}
		t.Stop()
	}

	idle := make(chan struct{})
	go func() {
		handlers.Wait()
		close(idle)
	}()
	grace := time.NewTimer(d.grace)
	defer grace.Stop()
	select {
	case <-idle:
	case <-grace.C:
		d.log.Warn("shutdown grace period over: cutting the jobs in hand, left to their lease", "owner", d.owner, "jobs", d.inHand(), "grace", d.grace)
		cutAll(errGraceOver)
		<-idle
	}
	return nil
}

// sleep returns how long to wait before the next claim: until d.ahead
// before the next unclaimed job comes due, at most d.poll (jobs inserted
// or released meanwhile are seen within d.poll), at least minSleep.
func (d *Dispatcher) sleep(ctx context.Context) time.Duration {
	next, err := d.store.NextJobDue(ctx, d.now().UnixMilli())
	if err != nil || next == 0 {
		return d.poll
	}
	return min(d.poll, max(time.UnixMilli(next).Sub(d.now())-d.ahead, minSleep))
}

// minSleep keeps the claim loop from spinning on a job it cannot claim yet.
const minSleep = 5 * time.Millisecond

// hold registers j as in hand, with the context of its attempt, and
// returns it; nil when j is in hand already.
func (d *Dispatcher) hold(work context.Context, j Job) *heldJob {
	d.mu.Lock()
	defer d.mu.Unlock()
	if h, ok := d.held[j.ID]; ok {
		h.until = max(h.until, j.LeaseUntil)
		return nil
	}
	ctx, cut := context.WithCancelCause(work)
	h := &heldJob{job: j, until: j.LeaseUntil, cut: cut, ctx: ctx}
	d.held[j.ID] = h
	return h
}

// release forgets the job id: its outcome is recorded, or given up.
func (d *Dispatcher) release(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if h, ok := d.held[id]; ok {
		h.cut(nil)
		delete(d.held, id)
	}
}

func (d *Dispatcher) inHand() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.held)
}

// heartbeat renews the claims of the jobs in hand every d.renew, and four
// times as often while renewing fails, until ctx is done.
func (d *Dispatcher) heartbeat(ctx context.Context) {
	t := time.NewTimer(d.renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := d.renew
		if !d.renewHeld(ctx) {
			next = d.renew / 4
		}
		t.Reset(next)
	}
}

// renewHeld renews the claims of the jobs in hand, kind by kind (a
// reminder's row is locked while its run's transaction is open, and must
// not hold up the renewal of webhooks). It cuts the attempts of the jobs
// found lost and, when the database cannot be reached, those of the
// webhooks whose lease ends within d.renew (renewals are then tried every
// d.renew/4, so the cut comes well before the lease ends). Reminders are
// not cut so: one is posted only in a transaction that finds its job still
// held, and locks it, so its lease cannot make it post twice. It reports
// whether every renewal was written.
func (d *Dispatcher) renewHeld(ctx context.Context) bool {
	d.mu.Lock()
	byKind := map[string][]string{}
	for id, h := range d.held {
		byKind[h.job.Kind] = append(byKind[h.job.Kind], id)
	}
	d.mu.Unlock()
	ok := true
	for kind, ids := range byKind {
		ok = d.renewKind(ctx, kind, ids) && ok
	}
	return ok
}

// renewKind renews the claims of the jobs ids, of one kind; see renewHeld.
func (d *Dispatcher) renewKind(ctx context.Context, kind string, ids []string) bool {
	now := d.now()
	leases := d.leases(now)
	if _, known := leases[kind]; !known {
		return true // an unknown kind: failed without an attempt
	}
	rctx, cancel := context.WithTimeout(ctx, d.renew)
	renewed, err := d.store.RenewJobs(rctx, d.owner, Leases{kind: leases[kind]}, ids)
	cancel()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return true
		}
		d.log.Warn("renew the claims of the jobs in hand", "owner", d.owner, "kind", kind, "jobs", len(ids), "error", err)
		if kind != JobWebhook {
			return false // a reminder or refresh is safe to leave to its lock
		}
		cutAt := now.Add(d.renew).UnixMilli()
		for _, id := range ids {
			if h := d.held[id]; h != nil && h.until <= cutAt {
				h.cut(errLeaseExpires)
			}
		}
		return false
	}
	got := make(map[string]bool, len(renewed))
	for _, id := range renewed {
		got[id] = true
	}
	for _, id := range ids {
		h := d.held[id]
		switch {
		case h == nil: // its outcome was recorded meanwhile
		case got[id]:
			h.until = leases[kind]
		default:
			h.cut(errLeaseLost)
		}
	}
	return true
}

// untilDue waits until the job in hand comes due (it may be claimed up to
// d.ahead early); an error when its attempt is cut meanwhile.
func (d *Dispatcher) untilDue(h *heldJob) error {
	wait := time.UnixMilli(h.job.DueAt).Sub(d.now())
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-h.ctx.Done():
		return context.Cause(h.ctx)
	}
}

// handle makes one attempt at a job in hand and records its outcome.
func (d *Dispatcher) handle(work context.Context, h *heldJob) {
	switch j := h.job; j.Kind {
	case JobWebhook:
		d.webhook(work, h)
	case JobReminder:
		d.reminder(work, h)
	case JobShow:
		d.refresh(work, h)
	case JobPost:
		d.post(work, h)
	default:
		d.finish(work, j, nil, Errorf(EInvalid, "unknown job kind %q", j.Kind))
	}
}

// cutShort reports whether err ended an attempt cut short by the
// dispatcher, with nothing to record: the job is lost to another, or left
// to its lease at the end of the grace period. An attempt cut because its
// claim could not be renewed is a failed attempt, recorded as such.
func (d *Dispatcher) cutShort(h *heldJob, err error) bool {
	if err == nil || h.ctx.Err() == nil {
		return false
	}
	j := h.job
	switch cause := context.Cause(h.ctx); {
	case errors.Is(cause, errLeaseLost):
		d.log.Info("job attempt cut: no longer held", "job_id", j.ID, "run_id", j.RunID, "kind", j.Kind)
		return true
	case errors.Is(cause, errGraceOver):
		d.log.Warn("job attempt cut at shutdown: sent again when its lease ends", "job_id", j.ID, "run_id", j.RunID, "kind", j.Kind)
		return true
	}
	return false
}

// webhook makes one attempt at a webhook job and records it.
func (d *Dispatcher) webhook(work context.Context, h *heldJob) {
	j := h.job
	var p WebhookJob
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		d.countWebhook(WebhookNotSent)
		d.finish(work, j, nil, Errorf(EInvalid, "webhook job %s has an invalid payload: %v", j.ID, err))
		return
	}
	if d.sender == nil {
		d.countWebhook(WebhookNotSent)
		d.finish(work, j, nil, Errorf(EInvalid, "webhook not sent: no webhook sender (serve without PLAYBOOKS_WEBHOOK_SECRET, which signs them)"))
		return
	}
	if err := d.untilDue(h); err != nil {
		d.log.Info("webhook not attempted: cut before it came due", "job_id", j.ID, "run_id", j.RunID, "error", err)
		return // nothing was sent: left to its lease, if still held
	}
	at := d.now().UnixMilli()
	err := d.sender.Send(h.ctx, p.URL, j.ID, []byte(p.Body))
	if d.cutShort(h, err) {
		return
	}
	a := &JobAttempt{JobID: j.ID, Attempt: j.Attempts + 1, At: at}
	if err != nil {
		a.Error = err.Error()
		var we *WebhookError
		if errors.As(err, &we) {
			a.Status = we.Status
		}
	}
	d.countWebhook(webhookOutcome(j, err))
	d.finish(work, j, a, err)
}

// webhookOutcome is what finish makes of an attempt at the webhook job j
// that ended with err.
func webhookOutcome(j Job, err error) WebhookOutcome {
	switch {
	case err == nil:
		return WebhookDelivered
	case permanent(err):
		return WebhookFailed
	case j.Attempts+1 >= MaxWebhookAttempts:
		return WebhookGaveUp
	}
	return WebhookRetried
}

// permanent reports whether a job failing with err is not to be retried:
// a webhook's receiver refused it for good, or the job itself is invalid,
// or what it is about is gone or out of reach (a message's channel
// deleted, or the bot removed from it).
func permanent(err error) bool {
	var we *WebhookError
	switch ErrorCode(err) {
	case EInvalid, ENotFound, EForbidden:
		return true
	}
	return errors.As(err, &we) && we.Permanent
}

// countWebhook tells the metrics, if any, of an attempt's outcome.
func (d *Dispatcher) countWebhook(o WebhookOutcome) {
	if d.metrics != nil {
		d.metrics.WebhookDelivered(o)
	}
}

// reminderFired tells the metrics, if any, how late the reminder j was
// posted.
func (d *Dispatcher) reminderFired(j Job) {
	if d.metrics != nil {
		d.metrics.ReminderFired(max(d.now().Sub(time.UnixMilli(j.DueAt)), 0))
	}
}

// reminder makes one attempt at a reminder job. A reminder posted is
// recorded, and its job done, in its run's transaction; when that
// transaction failed after the post, the record is written until it lands.
func (d *Dispatcher) reminder(work context.Context, h *heldJob) {
	j := h.job
	out, sent, err := d.svc.remind(h.ctx, j, func() error { return d.untilDue(h) })
	if out != reminderNotSent {
		d.reminderFired(j)
	}
	switch {
	case out == reminderRecorded:
		return
	case out == reminderPosted:
		d.log.Warn("reminder posted but not recorded: recording it", "job_id", j.ID, "run_id", j.RunID, "error", err)
		if d.record(work, j, "record reminder", func(ctx context.Context) error { return d.svc.recordReminder(ctx, sent) }) {
			now := d.now().UnixMilli()
			d.record(work, j, "complete job", func(ctx context.Context) error { return d.store.CompleteJob(ctx, j.ID, d.owner, now) })
		}
		return
	case ErrorCode(err) == EConflict:
		d.log.Info("reminder not sent: no longer held (cancelled, or claimed by another)", "job_id", j.ID, "run_id", j.RunID)
		return
	case d.cutShort(h, err):
		return
	}
	d.finish(work, j, nil, err) // nil: stale or its run gone, done
}

// refresh makes one attempt at a JobShow job: it brings the run's
// checklist post up to date, as a change does after it is committed. A
// refresh is idempotent and ordered by the store's lock of the run's post,
// so a lease lost meanwhile does no harm. A run gone needs no refresh.
func (d *Dispatcher) refresh(work context.Context, h *heldJob) {
	j := h.job
	if err := d.untilDue(h); err != nil {
		return // left to its lease, if still held
	}
	err := d.svc.refreshPost(h.ctx, j.RunID, false)
	if ErrorCode(err) == ENotFound {
		err = nil
	}
	if d.cutShort(h, err) {
		return
	}
	if err != nil {
		d.log.Warn("refresh checklist post failed", "job_id", j.ID, "run_id", j.RunID, "attempt", j.Attempts+1, "error", err)
	}
	d.finish(work, j, nil, err)
}

// post makes one attempt at a JobPost job: it posts the job's message. A
// message is not idempotent: a lease lost meanwhile may post it twice,
// which the lease (as long as a webhook's) makes rare.
func (d *Dispatcher) post(work context.Context, h *heldJob) {
	j := h.job
	var p PostJob
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		d.finish(work, j, nil, Errorf(EInvalid, "post job %s has an invalid payload: %v", j.ID, err))
		return
	}
	if err := d.untilDue(h); err != nil {
		return // left to its lease, if still held
	}
	err := d.svc.postMessage(h.ctx, p)
	if d.cutShort(h, err) {
		return
	}
	if err != nil {
		d.log.Warn("post message failed", "job_id", j.ID, "run_id", j.RunID, "channel_id", p.ChannelID, "attempt", j.Attempts+1, "error", err)
	}
	d.finish(work, j, nil, err)
}

// finish records the outcome of an attempt that ended with err (nil for
// success) and, when not nil, the attempt a.
func (d *Dispatcher) finish(work context.Context, j Job, a *JobAttempt, err error) {
	if a != nil {
		d.record(work, j, "record attempt", func(ctx context.Context) error { return d.store.RecordAttempt(ctx, *a) })
	}
	attempt := j.Attempts + 1
	now := d.now()
	switch {
	case err == nil:
		d.record(work, j, "complete job", func(ctx context.Context) error {
			return d.store.CompleteJob(ctx, j.ID, d.owner, now.UnixMilli())
		})
	case permanent(err) || d.givesUp(j, attempt, now):
		d.log.Warn("job failed for good", "job_id", j.ID, "run_id", j.RunID, "kind", j.Kind, "attempt", attempt, "error", err)
		d.record(work, j, "fail job", func(ctx context.Context) error {
			return d.store.FailJob(ctx, j.ID, d.owner, now.UnixMilli(), err.Error())
		})
	default:
		due := now.Add(d.retryIn(j, attempt, err)).UnixMilli()
		d.record(work, j, "retry job", func(ctx context.Context) error {
			return d.store.RetryJob(ctx, j.ID, d.owner, due, err.Error())
		})
	}
}

// Limits of the jobs that carry what a change committed to chat.
const (
	// showBackoffCap bounds the wait between attempts at a JobShow job, so
	// that a post catches up within a minute of its platform's return
	// however long it was away.
	showBackoffCap = time.Minute
	// maxPostAge is how long a JobPost job is retried: a status update
	// is posted late rather than never, but not days late.
	maxPostAge = 24 * time.Hour
)

// givesUp reports whether the job j, whose attempt just failed, is given
// up. A webhook or a reminder has MaxWebhookAttempts attempts. A post
// refresh (JobShow) is retried until the post catches up, however long
// the chat platform is away: the post must end up showing the run. A
// message (JobPost) is retried for maxPostAge.
func (d *Dispatcher) givesUp(j Job, attempt int, now time.Time) bool {
	switch j.Kind {
	case JobShow:
		return false
	case JobPost:
		return now.Sub(time.UnixMilli(j.CreateAt)) >= maxPostAge
	}
	return attempt >= MaxWebhookAttempts
}

// retryIn is how long after its failed attempt the job j is tried again:
// the backoff (capped for a post refresh), and never sooner than the
// failure asked (a rate limit's Retry-After, see RetryAfter).
func (d *Dispatcher) retryIn(j Job, attempt int, err error) time.Duration {
	wait := d.backoff(attempt)
	if j.Kind == JobShow || j.Kind == JobPost {
		wait = min(wait, showBackoffCap)
	}
	return max(wait, RetryAfter(err))
}

// record makes write land: it retries it with backoff while it fails (the
// database is unreachable) until it succeeds, it is refused with EConflict
// (the job is no longer this dispatcher's: lost, or cancelled), or the
// grace period is over (work is done), after one last try. It reports
// whether the write landed. The job stays in hand, its claim renewed,
// meanwhile.
func (d *Dispatcher) record(work context.Context, j Job, what string, write func(context.Context) error) bool {
	for n := 1; ; n++ {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(work), recordTimeout)
		err := write(ctx)
		cancel()
		switch {
		case err == nil:
			if n > 1 {
				d.log.Info(what+": written after retries", "job_id", j.ID, "run_id", j.RunID, "tries", n)
			}
			return true
		case ErrorCode(err) == EConflict:
			d.log.Info(what+": the job is no longer held (lost with its lease, or cancelled)", "job_id", j.ID, "run_id", j.RunID, "error", err)
			return false
		case work.Err() != nil:
			d.log.Error(what+": not written before the end of the grace period; the job is sent again when its lease ends",
				"job_id", j.ID, "run_id", j.RunID, "kind", j.Kind, "error", err)
			return false
		}
		wait := d.recordBackoff(n)
		d.log.Warn(what+": retrying", "job_id", j.ID, "run_id", j.RunID, "tries", n, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-work.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// purgeLoop purges ended jobs now and every d.purgeEvery until ctx is done.
func (d *Dispatcher) purgeLoop(ctx context.Context) {
	every(ctx, d.purgeEvery, func() {
		if n, err := d.Purge(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("purge ended jobs", "purged", n, "error", err)
		} else if n > 0 {
			d.log.Info("purged ended jobs", "purged", n, "retention", d.retention)
		}
	})
}

// every calls f now and then period after each call ends, until ctx is
// done.
func every(ctx context.Context, period time.Duration, f func()) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f()
		t.Reset(period)
	}
}

// sweepBatch is the most runs one sweep enqueues refreshes for; the next
// sweep takes the rest.
const sweepBatch = 500

// sweepLoop sweeps now and every d.sweepEvery until ctx is done.
func (d *Dispatcher) sweepLoop(ctx context.Context) {
	every(ctx, d.sweepEvery, func() {
		if n, err := d.Sweep(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("sweep for stale checklist posts", "error", err)
		} else if n > 0 {
			d.log.Warn("checklist posts found behind their runs: refreshing them", "runs", n)
		}
	})
}

// Sweep enqueues a JobShow job for each run changed between SweepWindow
// and SweepGrace ago whose checklist post does not show it (or that has
// none) and that has no pending JobShow job, and returns how many runs it
// found. Such a refresh was owed by a replica that died after the
// change's commit, before (or while) it refreshed the post; a refresh that
// failed is a job already, and is left to it.
func (d *Dispatcher) Sweep(ctx context.Context) (int, error) {
	now := d.now()
	ids, err := d.store.StalePosts(ctx, now.Add(-d.sweepWindow).UnixMilli(), now.Add(-d.sweepGrace).UnixMilli(), sweepBatch)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		at := d.now().UnixMilli()
		j := Job{ID: NewID(), Kind: JobShow, RunID: id, DueAt: at, CreateAt: at, Payload: "{}"}
		if _, err := d.store.EnqueueJob(ctx, j, at); err != nil {
			return len(ids), fmt.Errorf("enqueue the refresh of run %s: %w", id, err)
		}
	}
	return len(ids), nil
}

// Purge deletes the jobs that ended (done, failed, cancelled) longer than
// the retention period ago, with their attempts, in transactions of at most
// PurgeBatch rows, and returns how many it deleted.
func (d *Dispatcher) Purge(ctx context.Context) (int, error) {
	before := d.now().Add(-d.retention).UnixMilli()
	total := 0
	for {
		n, err := d.store.PurgeJobs(ctx, before, d.purgeBatch)
		total += n
		if err != nil || n < d.purgeBatch {
			return total, err
		}
	}
}
