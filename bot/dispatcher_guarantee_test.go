package bot_test

// The dispatcher's guarantees under faults (issue 9, points 2 and 5): an
// attempt that outlasts its lease, a database outage right after a send, a
// shutdown with attempts in flight, and a status update racing a reminder.
// These tests use only the dispatcher's and the store's older API, so that
// they run, and fail, against the code before the fix too.

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
	"github.com/playbooks-bot/playbooks/webhook"
)

// gatePoster holds each attempt until release is closed (or the attempt's
// context ends), then sends it through a real sender.
type gatePoster struct {
	s       *webhook.Sender
	entered chan string // the delivery ID of each attempt, as it begins
	cut     chan string // the delivery ID of each attempt cut short while held
	release chan struct{}
	// after, when not nil, runs after each send that succeeded.
	after func()
}

func newGatePoster(s *webhook.Sender) *gatePoster {
	return &gatePoster{s: s, entered: make(chan string, 100), cut: make(chan string, 100), release: make(chan struct{})}
}

func (p *gatePoster) Send(ctx context.Context, url, id string, body []byte) error {
	select {
	case p.entered <- id:
	default: // nobody is counting that many
	}
	select {
	case <-p.release:
	case <-ctx.Done():
		select {
		case p.cut <- id:
		default:
		}
		return ctx.Err()
	}
	err := p.s.Send(ctx, url, id, body)
	if err == nil && p.after != nil {
		p.after()
	}
	return err
}

// waitFor waits for a value from c; it fails t after a minute, long
// enough for any loaded machine.
func waitFor[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("no %s after a minute", what)
	}
	var zero T
	return zero
}

// eventually polls cond until it holds; it fails t after a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after a minute", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runUntil runs a dispatcher and returns the cancel of its context and a
// channel closed when Run returned.
func runUntil(t *testing.T, c bot.DispatcherConfig) (context.CancelFunc, <-chan struct{}) {
	t.Helper()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	d, err := bot.NewDispatcher(c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			t.Errorf("dispatcher: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return cancel, done
}

// TestDispatcherRenewsLease: an attempt that lasts ten times its lease (by
// the dispatcher's clock) keeps its claim, so no other replica can claim
// the job meanwhile; it is delivered once.
func TestDispatcherRenewsLease(t *testing.T) {
	ctx := context.Background()
	dbA, _, raw := twoPools(t)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	j := webhookJob(t, srv.URL+"/hook", 0)
	if err := dbA.CreateRun(ctx, testRun(0), nil, j); err != nil {
		t.Fatal(err)
	}
	clock := chattest.NewClock(time.Now())
	gate := newGatePoster(newSender(t, 5*time.Minute))
	runUntil(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: dbA}), Sender: gate, Owner: "slow",
		Poll: 20 * time.Millisecond, Lease: 300 * time.Millisecond, Now: clock.Now})
	if id := waitFor(t, gate.entered, "attempt"); id != j.ID {
		t.Fatalf("attempt at %s, want %s", id, j.ID)
	}
	clock.Advance(3 * time.Second) // the attempt outlasts its lease ten times
	// Another replica claims what is pending with a lease ended by now: the
	// claim must be renewed past now, by the replica holding it.
	claimable := func() int {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND lease_until <= $1`,
			clock.Now().UnixMilli()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "the claim of the attempt in flight is renewed", func() bool { return claimable() == 0 })
	var owner string
	if err := raw.QueryRow(`SELECT claimed_by FROM jobs WHERE id = $1`, j.ID).Scan(&owner); err != nil || owner != "slow" {
		t.Errorf("job claimed by %q (%v), want the replica sending it", owner, err)
	}
	close(gate.release)
	waitJobs(t, raw, time.Minute)
	if got := rc.counts()[j.ID]; got != 1 {
		t.Errorf("delivered %d times, want 1", got)
	}
}

// outageStore is a store whose job outcome writes fail while it is down,
// as they do while Postgres is stopped.
type outageStore struct {
	*store.DB
	mu      sync.Mutex
	down    bool
	refused int
}

var errOutage = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (s *outageStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *outageStore) refusedWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

func (s *outageStore) fail() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		s.refused++
		return errOutage
	}
	return nil
}

func (s *outageStore) CompleteJob(ctx context.Context, id, owner string, now int64) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.DB.CompleteJob(ctx, id, owner, now)
}

func (s *outageStore) RetryJob(ctx context.Context, id, owner string, dueAt int64, lastErr string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.DB.RetryJob(ctx, id, owner, dueAt, lastErr)
}

func (s *outageStore) FailJob(ctx context.Context, id, owner string, now int64, lastErr string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.DB.FailJob(ctx, id, owner, now, lastErr)
}

func (s *outageStore) RecordAttempt(ctx context.Context, a bot.JobAttempt) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.DB.RecordAttempt(ctx, a)
}

// TestDispatcherRecordsOutcomeAfterOutage: the database goes away right
// after a successful send; once it is back, the job is recorded done, and
// it was delivered once.
func TestDispatcherRecordsOutcomeAfterOutage(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := &outageStore{DB: storetest.Open(t, kind)}
			rc := newReceiver(t)
			srv := httptest.NewServer(rc)
			defer srv.Close()
			j := webhookJob(t, srv.URL+"/hook", 0)
			r := testRun(0)
			if err := db.CreateRun(ctx, r, nil, j); err != nil {
				t.Fatal(err)
			}
			gate := newGatePoster(newSender(t, 5*time.Second))
			close(gate.release)
			gate.after = func() { db.setDown(true) }
			runUntil(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}), Sender: gate,
				Poll: 10 * time.Millisecond, Lease: 300 * time.Millisecond})
			eventually(t, "outcome writes refused during the outage", func() bool { return db.refusedWrites() >= 3 })
			db.setDown(false)
			eventually(t, "the job is recorded done", func() bool { return jobsByID(t, db.DB, r.ID)[j.ID].State == bot.JobDone })
			if got := rc.counts()[j.ID]; got != 1 {
				t.Errorf("delivered %d times, want 1", got)
			}
			if atts, err := db.JobAttempts(ctx, j.ID); err != nil || len(atts) != 1 || atts[0].Error != "" {
				t.Errorf("attempts = %+v, %v; want one successful attempt recorded", atts, err)
			}
		})
	}
}

// TestDispatcherShutdownRecordsInFlight: when its context ends, the
// dispatcher claims nothing more, lets the attempt in flight finish and
// records it done.
func TestDispatcherShutdownRecordsInFlight(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, kind)
			rc := newReceiver(t)
			srv := httptest.NewServer(rc)
			defer srv.Close()
			r := testRun(0)
			var jobs []bot.Job
			for i := range 3 {
				j := webhookJob(t, srv.URL+"/hook", i)
				j.DueAt = int64(1 + i)
				jobs = append(jobs, j)
			}
			if err := db.CreateRun(ctx, r, nil, jobs...); err != nil {
				t.Fatal(err)
			}
			gate := newGatePoster(newSender(t, 5*time.Second))
			cancel, done := runUntil(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}), Sender: gate,
				Owner: "stopping", Poll: 10 * time.Millisecond, Concurrency: 1})
			if id := waitFor(t, gate.entered, "attempt"); id != jobs[0].ID {
				t.Fatalf("first attempt at %s, want %s", id, jobs[0].ID)
			}
			cancel() // SIGTERM
			close(gate.release)
			waitFor(t, done, "return from Run")
			got := jobsByID(t, db, r.ID)
			if j := got[jobs[0].ID]; j.State != bot.JobDone {
				t.Errorf("job in flight at shutdown = %s (claimed by %q), want done", j.State, j.ClaimedBy)
			}
			for _, j := range jobs[1:] {
				if g := got[j.ID]; g.State != bot.JobPending || g.ClaimedBy != "" {
					t.Errorf("job %s = %s claimed by %q, want pending and never claimed", j.ID, g.State, g.ClaimedBy)
				}
			}
			if c := rc.counts(); c[jobs[0].ID] != 1 || len(c) != 1 {
				t.Errorf("deliveries = %v, want the one in flight, once", c)
			}
		})
	}
}

// hookChat is a postingChat that calls onReminder before posting a
// reminder, inside the reminder's attempt.
type hookChat struct {
	*postingChat
	onReminder func(bot.Run)
}

func (c *hookChat) PostReminder(ctx context.Context, r bot.Run, message string) (string, error) {
	if c.onReminder != nil {
		c.onReminder(r)
	}
	return c.postingChat.PostReminder(ctx, r, message)
}

// runLockProbe reports whether a change of the run could begin now: false
// while another transaction holds the run's lock (Postgres: its row;
// SQLite: the database's write lock). It never waits.
func runLockProbe(t *testing.T, kind, url string) func(runID string) bool {
	t.Helper()
	dsn, driver := url, "postgres"
	if kind == storetest.SQLite {
		dsn, driver = "file:"+url+"?_txlock=immediate&_pragma=busy_timeout(0)", "sqlite"
	}
	probe, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { probe.Close() })
	return func(runID string) bool {
		tx, err := probe.Begin()
		if err != nil {
			return false // SQLite: SQLITE_BUSY, the write lock is held
		}
		defer tx.Rollback()
		if kind == storetest.SQLite {
			return true
		}
		_, err = tx.Exec(`SELECT 1 FROM runs WHERE id = $1 FOR UPDATE NOWAIT`, runID)
		return err == nil
	}
}

// TestReminderNeverAfterNewerUpdate: when a reminder is about to be posted,
// no newer status update can be made before it is posted: the run is
// locked from the reminder's decision to its record. A status update tried
// then waits, and comes after the reminder on the timeline.
func TestReminderNeverAfterNewerUpdate(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := storetest.MigratedURL(t, kind)
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			unlocked := runLockProbe(t, kind, url)
			chat := &hookChat{postingChat: newPostingChat()}
			svc := bot.NewService(bot.Config{Store: db, Chat: chat})
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: "T061EG9R6", Checklists: []bot.Checklist{}})
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "racy", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateRun(ctx, r.ID, func(*bot.Run) (bot.RunChange, error) {
				return bot.RunChange{Jobs: []bot.Job{reminderJob()}}, nil
			}); err != nil {
				t.Fatal(err)
			}
			var (
				mu         sync.Mutex
				firedAfter bool
			)
			updated := make(chan struct{})
			chat.onReminder = func(bot.Run) {
				if unlocked(r.ID) {
					// Nothing keeps a newer status update out: make one,
					// then the reminder is posted after it.
					if _, err := svc.UpdateStatus(ctx, admin, r.ID, "newer", 0); err != nil {
						t.Error(err)
					}
					mu.Lock()
					firedAfter = true
					mu.Unlock()
					close(updated)
					return
				}
				go func() {
					defer close(updated)
					if _, err := svc.UpdateStatus(ctx, admin, r.ID, "newer", 0); err != nil {
						t.Error(err)
					}
				}()
			}
			runUntil(t, bot.DispatcherConfig{Service: svc, Poll: 10 * time.Millisecond})
			waitFor(t, updated, "status update")
			mu.Lock()
			defer mu.Unlock()
			if firedAfter {
				t.Errorf("a newer status update was made while the reminder was being sent, and the reminder was posted after it")
			}
			types := eventTypes(t, svc, admin, r.ID)
			sent, status := -1, -1
			for i, typ := range types {
				switch typ {
				case bot.EventReminderSent:
					sent = i
				case bot.EventStatusUpdated:
					status = i
				}
			}
			if sent < 0 || status < sent {
				t.Errorf("timeline = %q, want the reminder sent before the newer status update", types)
			}
		})
	}
}

// TestReminderLeaseShorter: a reminder is claimed for 10 s, a webhook for
// 30 s (by default), so a reminder held by a replica that died is taken
// over sooner.
func TestReminderLeaseShorter(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.Postgres)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	chat := &hookChat{postingChat: newPostingChat(), onReminder: func(bot.Run) {
		entered <- struct{}{}
		<-release
	}}
	r := testRun(0)
	w, rem := webhookJob(t, srv.URL+"/hook", 0), reminderJob()
	if err := db.CreateRun(ctx, r, nil, w, rem); err != nil {
		t.Fatal(err)
	}
	gate := newGatePoster(newSender(t, 5*time.Second))
	start := time.Now().Truncate(time.Second)
	clock := chattest.NewClock(start)
	runUntil(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db, Chat: chat}), Sender: gate,
		Poll: 10 * time.Millisecond, Now: clock.Now})
	waitFor(t, gate.entered, "webhook attempt")
	waitFor(t, entered, "reminder attempt")
	got := jobsByID(t, db, r.ID)
	close(release)
	close(gate.release)
	if l := got[rem.ID].LeaseUntil - start.UnixMilli(); l != 10_000 {
		t.Errorf("reminder claimed for %d ms, want 10 000", l)
	}
	if l := got[w.ID].LeaseUntil - start.UnixMilli(); l != 30_000 {
		t.Errorf("webhook claimed for %d ms, want 30 000", l)
	}
}

// runOutageStore is outageStore whose run writes fail too while it is
// down: UpdateRun, and CompleteRunJob once its callback (which posts the
// reminder) has run, as a transaction does when Postgres stops under it.
type runOutageStore struct{ *outageStore }

func (s runOutageStore) UpdateRun(ctx context.Context, id string, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	if err := s.fail(); err != nil {
		return bot.Run{}, err
	}
	return s.DB.UpdateRun(ctx, id, fn)
}

func (s runOutageStore) CompleteRunJob(ctx context.Context, runID, jobID, owner string, now int64, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	return s.DB.CompleteRunJob(ctx, runID, jobID, owner, now, func(r *bot.Run) (bot.RunChange, error) {
		c, err := fn(r)
		if err == nil {
			err = s.fail()
		}
		return c, err
	})
}

// TestReminderRecordedAsPosted: when the database goes away between a
// reminder's post and its record, the record written once it is back
// says when the reminder was posted, not when the record landed: the
// timeline must not show a reminder after a status update made meanwhile
// (the fault suite's "reminder after a newer status update").
func TestReminderRecordedAsPosted(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := runOutageStore{&outageStore{DB: storetest.Open(t, kind)}}
			var (
				mu  sync.Mutex
				now = time.UnixMilli(1_800_000_000_000)
			)
			clock := func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				return now
			}
			posted := now.UnixMilli()
			chat := &hookChat{postingChat: newPostingChat(), onReminder: func(bot.Run) { db.setDown(true) }}
			svc := bot.NewService(bot.Config{Store: db, Chat: chat, Now: clock})
			r := testRun(0)
			j := reminderJob()
			if err := db.CreateRun(ctx, r, nil, j); err != nil {
				t.Fatal(err)
			}
			runUntil(t, bot.DispatcherConfig{Service: svc, Poll: 10 * time.Millisecond, Now: clock})
			eventually(t, "the record of the reminder refused during the outage", func() bool { return db.refusedWrites() >= 3 })
			mu.Lock()
			now = now.Add(10 * time.Second) // the outage lasted 10 s
			mu.Unlock()
			db.setDown(false)
			eventually(t, "the reminder recorded", func() bool {
				got, err := db.DB.Run(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range got.TimelineEvents {
					if e.EventType == bot.EventReminderSent {
						if e.CreateAt != posted || e.EventAt != posted {
							t.Errorf("reminder recorded at create %d, event %d; want both %d, when it was posted", e.CreateAt, e.EventAt, posted)
						}
						return true
					}
				}
				return false
			})
			chat.mu.Lock()
			defer chat.mu.Unlock()
			if n := len(chat.posts[r.ChannelID]); n != 1 {
				t.Errorf("reminder posted %d times, want 1", n)
			}
		})
	}
}
