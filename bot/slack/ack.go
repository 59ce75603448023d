package slack

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
)

// Slack waits 3 seconds for the answer to a slash command, an interaction
// or an options request, counted from when it sent the request; a later
// answer is dropped and the user sees a timeout. Everything after the
// signature check (the replay check in the database, the use case, the
// Web API calls) therefore runs beside the request, and Slack gets an
// answer by AckAfter after the request arrived whatever they take: the
// work's own answer when it is ready by then, else an acknowledgement
// (early), after which the work goes on and reports its outcome another
// way (late: response_url, views.update, an ephemeral message).

// defaultAckAfter is AckAfter when zero: within Slack's 3 seconds, with a
// second for the network and Slack's own handling.
const defaultAckAfter = 2 * time.Second

// workTimeout bounds the work of one request, acknowledged or not: a run
// started while Slack and the database are both slow takes tens of
// seconds (its channel, invitations, checklist message).
const workTimeout = 2 * time.Minute

// answer is what Slack gets over HTTP: a status and a JSON body (none when
// body is nil), or a plain-text body for a refusal.
type answer struct {
	status int
	body   any
	text   string
}

// ok200 is an answer of status 200 with a JSON body, or none when body is nil.
func ok200(body any) answer { return answer{status: http.StatusOK, body: body} }

func (a answer) write(w http.ResponseWriter) {
	switch {
	case a.text != "":
		http.Error(w, a.text, a.status)
	case a.body == nil:
		w.WriteHeader(a.status)
	default:
		chatkit.WriteJSON(w, a.status, a.body)
	}
}

// outcome is what a request's work came to: the answer Slack gets when the
// work ended in time, then (inTime) what to do once it was given; or,
// when Slack was acknowledged before the work ended, what to do instead
// (late) to tell the user. Either may be nil: nothing more to do.
type outcome struct {
	answer
	inTime func(ctx context.Context)
	late   func(ctx context.Context)
	// report names, for the log, how a late outcome reaches the user.
	report string
}

// deferred is a request's work and how Slack is answered around it.
type deferred struct {
	// early is Slack's answer when work has not ended by AckAfter.
	early answer
	// work does what the request asks, with a context that outlives the
	// request, bounded by workTimeout.
	work func(ctx context.Context) outcome
	// failed is the outcome of a work that panicked.
	failed func(ctx context.Context) outcome
	// atOnce answers Slack with early as soon as the request is read,
	// without waiting for the work: for a request whose in-time answer
	// would say no more than early does. A click's answer is an empty 200
	// either way (what it changes shows in the message, what went wrong in
	// an ephemeral message), and waiting for its work only risks Slack's
	// 3 seconds when a burst of clicks meets a busy machine.
	atOnce bool
}

// served is what ServeHTTP notes of a request: when it arrived, and
// whether Slack was acknowledged before its work ended.
type served struct {
	arrival  time.Time
	deferred atomic.Bool
}

type servedKey struct{}

// servedOf returns what is noted of r (a fresh note when r did not come
// through ServeHTTP).
func servedOf(r *http.Request) *served {
	if s, ok := r.Context().Value(servedKey{}).(*served); ok {
		return s
	}
	return &served{arrival: time.Now()}
}

// respond runs d.work beside the request and answers Slack by AckAfter
// after the request arrived: with the work's answer if it has ended, else
// with d.early, the work then going on until it ends (its late part
// reporting to the user) or workTimeout. What an SRE sees: the request's
// log line says deferred=true when Slack was acknowledged before the work
// ended, and a second line ("slack work finished") gives the work's
// duration and how the outcome was reported, with the same request_id.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, d deferred) {
	note := servedOf(r)
	start := note.arrival
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), workTimeout)
	var (
		mu      sync.Mutex
		acked   bool // Slack got d.early
		decided bool // Slack gets the work's answer
	)
	done := make(chan outcome, 1)
	written := make(chan struct{}) // Slack has the work's answer
	early := make(chan struct{})   // Slack has d.early
	h.work.Add(1)
	go func() {
		defer h.work.Done()
		defer cancel()
		o := h.run(ctx, r, d)
		mu.Lock()
		if !acked {
			decided = true
			mu.Unlock()
			done <- o
			<-written
			if o.inTime != nil {
				o.inTime(ctx)
			}
			return
		}
		mu.Unlock()
		<-early // a late report must not reach Slack before the acknowledgement
		if o.late != nil {
			o.late(ctx)
		}
		report := o.report
		if o.late == nil || report == "" {
			report = "nothing"
		}
		h.log.LogAttrs(ctx, slog.LevelInfo, "slack work finished", slog.String("path", r.URL.Path),
			slog.String("request_id", bot.RequestID(ctx)), slog.Duration("duration", time.Since(start)),
			slog.String("reported_through", report))
	}()
	wait := time.Until(start.Add(h.ackAfter))
	if d.atOnce {
		wait = 0
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case o := <-done:
		o.answer.write(w)
		close(written)
		return
	case <-timer.C:
	}
	mu.Lock()
	if decided { // the work ended as the timer fired
		mu.Unlock()
		o := <-done
		o.answer.write(w)
		close(written)
		return
	}
	acked = true
	mu.Unlock()
	note.deferred.Store(true)
	d.early.write(w)
	http.NewResponseController(w).Flush() // sent now, not when the handler returns
	close(early)
}

// run runs d.work, turning a panic into d.failed's outcome.
func (h *Handler) run(ctx context.Context, r *http.Request, d deferred) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(ctx, "slack request panicked", "path", r.URL.Path, "panic", p)
			o = d.failed(ctx)
		}
	}()
	return d.work(ctx)
}

// Wait waits until the work of every request served so far has ended, or
// ctx is done: on shutdown, so that a request Slack was acknowledged for
// is carried out and reported.
func (h *Handler) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		h.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// firstSeen is the replay check of a verified request: it reports whether
// the request's (timestamp, MAC) is new, remembering it for the signature
// window on every replica.
func (h *Handler) firstSeen(ctx context.Context, r *http.Request) (bool, error) {
	return h.svc.FirstSeen(ctx, replayKey(r.Header), window)
}

// replayed is the outcome of a request seen before: 401 in time, nothing
// reported late (whoever replayed it gets no answer worth having, and the
// user who sent it first has theirs).
func (h *Handler) replayed(ctx context.Context, r *http.Request) outcome {
	h.log.WarnContext(ctx, "slack request refused", "path", r.URL.Path, "reason", "replayed", "remote_addr", r.RemoteAddr)
	return outcome{answer: answer{status: http.StatusUnauthorized, text: "replayed Slack request"}}
}
