package bot

import (
	"context"
	"sync"
	"time"
)

// A change's checklist post is refreshed after the change is committed,
// and the change does not wait for it: in a burst of clicks on one run,
// each click is answered once its change is committed, and one refresh
// carries every change made since the previous one (the store skips a
// refresh the post already shows, see Store.RefreshPost). What this
// process owes is kept in postRefresher; what a crash loses of it is owed
// durably all the same, and found by the dispatcher's sweep (StalePosts):
// every change that a post shows writes a timeline event in its own
// transaction.

// defaultPostWait is how long a change that starts the refresh of its
// run's post waits for it (Config.PostWait): long enough for the post of a
// single change to show it before the change is answered, short enough
// that a slow or unreachable chat platform never holds the answer up.
const defaultPostWait = time.Second

// refreshRoundTimeout bounds one refresh, database included; the chat call
// within it is bounded by showTimeout.
const refreshRoundTimeout = 30 * time.Second

// postRefresher is the refreshes of checklist posts this process owes,
// at most one worker per run at a time.
type postRefresher struct {
	mu   sync.Mutex
	runs map[string]*runRefresh // runs with a worker
	// notBefore holds runs whose last refresh was refused until a time
	// (a rate limit): their refresh is a JobShow job due then, which shows
	// every change made meanwhile.
	notBefore map[string]time.Time
	// idle is closed while no worker runs; a new one is made when the
	// first worker starts.
	idle chan struct{}
}

// runRefresh is the state of a run whose post a worker is refreshing.
type runRefresh struct {
	// pending is set by a change the worker's current round may not show
	// (it may have read the run before the change was committed).
	pending bool
}

// request records that the run's post is to show a change just committed.
// It returns a channel closed when the first round of a new worker ends,
// when this call started one; nil when a worker already runs (its next
// round shows the change) or the post's refresh is left to a job.
func (p *postRefresher) request(runID string, now time.Time, start func(first chan struct{})) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runs == nil {
		p.runs, p.notBefore = map[string]*runRefresh{}, map[string]time.Time{}
	}
	if p.idle == nil {
		p.idle = make(chan struct{})
		close(p.idle)
	}
	if t, ok := p.notBefore[runID]; ok {
		if now.Before(t) {
			return nil
		}
		delete(p.notBefore, runID)
	}
	if rr, ok := p.runs[runID]; ok {
		rr.pending = true
		return nil
	}
	if len(p.runs) == 0 {
		p.idle = make(chan struct{})
	}
	p.runs[runID] = &runRefresh{pending: true}
	first := make(chan struct{})
	go start(first)
	return first
}

// next reports whether the worker of runID has a round to make, and
// clears pending: the round about to start shows every change requested
// so far. When there is none the worker is gone.
func (p *postRefresher) next(runID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	rr := p.runs[runID]
	if rr == nil || !rr.pending {
		p.end(runID)
		return false
	}
	rr.pending = false
	return true
}

// holdOff ends the worker of runID after a refresh refused until until:
// the job that retries it then shows what was requested meanwhile.
func (p *postRefresher) holdOff(runID string, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end(runID)
	if !until.IsZero() {
		p.notBefore[runID] = until
	}
}

// end forgets the worker of runID; the caller holds p.mu.
func (p *postRefresher) end(runID string) {
	if _, ok := p.runs[runID]; !ok {
		return
	}
	delete(p.runs, runID)
	if len(p.runs) == 0 {
		close(p.idle)
	}
}

// idleChan returns a channel closed once no worker runs.
func (p *postRefresher) idleChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle == nil || len(p.runs) == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.idle
}

// show brings the run's checklist post up to date with the stored run
// after a change was committed, or posts it when the run has none yet:
// through a worker of this process for the run (postRefresher), which
// makes rounds of Store.RefreshPost while changes keep coming. The change
// waits at most Config.PostWait, and only when it started the worker: in
// a burst, the others are answered at once and carried by its next round.
// A round that fails is logged and left to a JobShow job, which the
// dispatcher retries until the post catches up (no sooner than a rate
// limit's Retry-After): the change is committed and must not be reported
// as failed.
func (s *Service) show(ctx context.Context, runID string) {
	first := s.posts.request(runID, s.clock(), func(first chan struct{}) { s.refreshWorker(runID, first) })
	if first == nil || s.postWait <= 0 {
		return
	}
	t := time.NewTimer(s.postWait)
	defer t.Stop()
	select {
	case <-first:
	case <-t.C:
	case <-ctx.Done():
	}
}

// refreshWorker makes rounds of refreshes of the run's post while changes
// are requested, closing first when its first round ends. A failed round
// ends it: the JobShow job then owes the rest.
func (s *Service) refreshWorker(runID string, first chan struct{}) {
	defer func() {
		if first != nil {
			close(first)
		}
	}()
	for s.posts.next(runID) {
		ctx, cancel := context.WithTimeout(context.Background(), refreshRoundTimeout)
		err := s.refreshPost(ctx, runID, false)
		cancel()
		if first != nil {
			close(first)
			first = nil
		}
		if err != nil {
			var until time.Time
			if d := RetryAfter(err); d > 0 {
				until = s.clock().Add(d)
			}
			// The job is owed before the worker ends, so that whoever
			// waits for this process to settle finds it.
			s.showLater(context.Background(), runID, err)
			s.posts.holdOff(runID, until)
			return
		}
	}
}

// SettlePosts waits until this process owes no refresh of a checklist post
// (the refreshes in flight, and the rounds they still have to make), or
// ctx is done: at shutdown, and in tests that look at posts after a burst
// of changes. Refreshes left to jobs are not waited for.
func (s *Service) SettlePosts(ctx context.Context) error {
	select {
	case <-s.posts.idleChan():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
