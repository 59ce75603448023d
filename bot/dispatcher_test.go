package bot_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
	"github.com/playbooks-bot/playbooks/webhook"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// postingChat records the messages posted, by channel.
type postingChat struct {
	bot.NoChat
	mu    sync.Mutex
	posts map[string][]string
	at    map[string][]time.Time
}

func newPostingChat() *postingChat {
	return &postingChat{posts: map[string][]string{}, at: map[string][]time.Time{}}
}

func (c *postingChat) CreateChannel(context.Context, bot.NewChannel) (string, error) {
	return "ch" + bot.NewID()[2:], nil
}

func (c *postingChat) Post(_ context.Context, channelID, message string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts[channelID] = append(c.posts[channelID], message)
	c.at[channelID] = append(c.at[channelID], time.Now())
	return "", nil
}

func (c *postingChat) PostReminder(ctx context.Context, r bot.Run, message string) (string, error) {
	return c.Post(ctx, r.ChannelID, message)
}

// reminders returns the reminder posts of a channel and their times.
func (c *postingChat) reminders(channelID string) ([]string, []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var msgs []string
	var at []time.Time
	for i, m := range c.posts[channelID] {
		if strings.Contains(m, "time for a status update") {
			msgs, at = append(msgs, m), append(at, c.at[channelID][i])
		}
	}
	return msgs, at
}

// receiver is a webhook endpoint counting deliveries by delivery ID.
type receiver struct {
	mu     sync.Mutex
	count  map[string]int
	bodies map[string][]byte
	// fail answers 500 to the first fail attempts of each delivery.
	fail int
	// stall, when set, holds requests whose URL has ?stall until the
	// client gives up.
	stall bool
	t     *testing.T
}

func newReceiver(t *testing.T) *receiver {
	return &receiver{count: map[string]int{}, bodies: map[string][]byte{}, t: t}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	// Receivers de-duplicate on webhook-id, the job's ID: count by it,
	// after checking its Standard Webhooks signature.
	id := r.Header.Get("webhook-id")
	key, _ := bot.WebhookKey(testSecret)
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if want := bot.SignWebhook(key, id, ts, body); id == "" || r.Header.Get("webhook-signature") != want {
		rc.t.Errorf("delivery %q: webhook-signature %q, want %q", id, r.Header.Get("webhook-signature"), want)
	}
	rc.mu.Lock()
	rc.count[id]++
	n := rc.count[id]
	rc.bodies[id] = body
	rc.mu.Unlock()
	if r.URL.Query().Has("stall") {
		<-r.Context().Done()
		return
	}
	if n <= rc.fail {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) counts() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	m := make(map[string]int, len(rc.count))
	for k, v := range rc.count {
		m[k] = v
	}
	return m
}

func newSender(t *testing.T, timeout time.Duration) *webhook.Sender {
	t.Helper()
	s, err := webhook.New(webhook.Config{Secret: testSecret, Timeout: timeout, AllowHosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startDispatcher runs a dispatcher until the returned stop is called (or
// t ends); stop waits for Run to return.
func startDispatcher(t *testing.T, c bot.DispatcherConfig) (stop func()) {
	t.Helper()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Grace == 0 {
		c.Grace = 100 * time.Millisecond // attempts left hanging at the end are cut soon
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
			t.Errorf("dispatcher %s: %v", c.Owner, err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// jobsByID returns the run's jobs by ID.
func jobsByID(t *testing.T, db *store.DB, runID string) map[string]bot.Job {
	t.Helper()
	jobs, err := db.Jobs(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bot.Job{}
	for _, j := range jobs {
		m[j.ID] = j
	}
	return m
}

func webhookJob(t *testing.T, url string, i int) bot.Job {
	t.Helper()
	p, err := json.Marshal(bot.WebhookJob{URL: url, Body: fmt.Sprintf(`{"n":%d}`, i)})
	if err != nil {
		t.Fatal(err)
	}
	return bot.Job{ID: bot.NewID(), Kind: bot.JobWebhook, DueAt: 1, Payload: string(p), CreateAt: 1}
}

func reminderJob() bot.Job {
	return bot.Job{ID: bot.NewID(), Kind: bot.JobReminder, DueAt: 1, Payload: `{"after":0}`, CreateAt: 1}
}

func testRun(i int) bot.Run {
	return bot.Run{ID: bot.NewID(), Name: fmt.Sprintf("Run %d", i), IsActive: true, TeamID: "T061EG9R6",
		OwnerUserID: "U024BE7LH", ChannelID: fmt.Sprintf("ch-%04d", i), CreateAt: 1,
		ParticipantIDs: []string{"U024BE7LH"}}
}

// waitJobs waits until no job of the database at url is pending.
func waitJobs(t *testing.T, raw *sql.DB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM jobs WHERE state = 'pending'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still pending after %v", n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// twoPools opens the Postgres schema of one test twice, as two replicas
// would, and returns both stores and a raw connection.
func twoPools(t *testing.T) (a, b *store.DB, raw *sql.DB) {
	t.Helper()
	ctx := context.Background()
	url := storetest.MigratedURL(t, storetest.Postgres)
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if err := dbs[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return dbs[0], dbs[1], raw
}

// TestDispatchExactlyOnce runs two dispatchers on two connection pools of
// one Postgres over 1 000 due webhooks and 1 000 due reminders: each is
// delivered once.
func TestDispatchExactlyOnce(t *testing.T) {
	ctx := context.Background()
	dbA, dbB, raw := twoPools(t)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	const n = 1000
	jobs := make([]bot.Job, n)
	for i := range jobs {
		jobs[i] = webhookJob(t, srv.URL+"/hook", i)
	}
	if err := dbA.CreateRun(ctx, testRun(-1), nil, jobs...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if err := dbA.CreateRun(ctx, testRun(i), nil, reminderJob()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	chat := newPostingChat()
	start := time.Now()
	for i, db := range []*store.DB{dbA, dbB} {
		svc := bot.NewService(bot.Config{Store: db, Chat: chat})
		startDispatcher(t, bot.DispatcherConfig{Service: svc, Sender: newSender(t, 5*time.Second),
			Owner: fmt.Sprintf("replica-%d", i), Poll: 20 * time.Millisecond, Concurrency: 16})
	}
	waitJobs(t, raw, 90*time.Second)
	t.Logf("2 000 jobs in %v", time.Since(start))
	time.Sleep(100 * time.Millisecond) // let a stray duplicate show

	got := rc.counts()
	if len(got) != n {
		t.Errorf("%d distinct webhook deliveries, want %d", len(got), n)
	}
	for _, j := range jobs {
		if got[j.ID] != 1 {
			t.Errorf("webhook %s delivered %d times, want 1", j.ID, got[j.ID])
		}
	}
	for i := range n {
		if msgs, _ := chat.reminders(fmt.Sprintf("ch-%04d", i)); len(msgs) != 1 {
			t.Errorf("run %d got %d reminders, want 1", i, len(msgs))
		}
	}
	var owners int
	if err := raw.QueryRow(`SELECT COUNT(DISTINCT claimed_by) FROM jobs WHERE state = 'done'`).Scan(&owners); err != nil {
		t.Fatal(err)
	}
	if owners != 2 {
		t.Errorf("jobs were done by %d dispatchers, want both", owners)
	}
}

// stallingPoster sends through a real sender to URLs made to stall, so
// that its dispatcher dies with deliveries in flight.
type stallingPoster struct {
	s        *webhook.Sender
	mu       sync.Mutex
	inFlight map[string]bool
}

func (p *stallingPoster) Send(ctx context.Context, url, id string, body []byte) error {
	p.mu.Lock()
	p.inFlight[id] = true
	p.mu.Unlock()
	return p.s.Send(ctx, url+"?stall", id, body)
}

func (p *stallingPoster) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inFlight)
}

// TestDispatcherKilledMidDelivery kills a dispatcher while its deliveries
// hang (its grace period is over at once, so it records nothing, as after
// kill -9): the other delivers its jobs once their lease ends; none is
// lost, and only those in flight are delivered twice, with the same
// delivery ID. The survivor's lease is short (1 s) and its attempts may
// outlast it on a loaded machine: it renews it, and never starts a second
// attempt at a job it has in hand, so nothing else is sent twice. (Before
// the fix, it claimed its own jobs again once their lease ran out.)
func TestDispatcherKilledMidDelivery(t *testing.T) {
	ctx := context.Background()
	dbA, dbB, raw := twoPools(t)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	const n = 200
	jobs := make([]bot.Job, n)
	for i := range jobs {
		jobs[i] = webhookJob(t, srv.URL+"/hook", i)
	}
	if err := dbA.CreateRun(ctx, testRun(0), nil, jobs...); err != nil {
		t.Fatal(err)
	}
	staller := &stallingPoster{s: newSender(t, 30*time.Second), inFlight: map[string]bool{}}
	killA := startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: dbA}),
		Sender: staller, Owner: "doomed", Poll: 20 * time.Millisecond, Lease: time.Second, ReminderLease: time.Second,
		Concurrency: 4, Grace: time.Nanosecond})
	// Its 4 slots hang, each on a request the receiver has counted.
	eventually(t, "the doomed dispatcher's 4 deliveries in flight", func() bool {
		return staller.count() == 4 && len(rc.counts()) == 4
	})
	killA()
	var held int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM jobs WHERE claimed_by = 'doomed' AND state = 'pending'`).Scan(&held); err != nil || held != 4 {
		t.Fatalf("the dead dispatcher holds %d jobs (%v), want its 4 in flight", held, err)
	}
	startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: dbB}),
		Sender: newSender(t, 5*time.Second), Owner: "survivor", Poll: 20 * time.Millisecond,
		Lease: time.Second, ReminderLease: time.Second})
	waitJobs(t, raw, 2*time.Minute)

	got := rc.counts()
	for _, j := range jobs {
		want := 1
		if staller.inFlight[j.ID] {
			want = 2 // in flight at the kill: sent again, with its delivery ID
		}
		if got[j.ID] != want {
			t.Errorf("webhook %s delivered %d times, want %d (in flight at the kill: %v)", j.ID, got[j.ID], want, staller.inFlight[j.ID])
		}
	}
}

// TestDispatcherGraceCutsHangingAttempts: a shutdown whose attempts outlast
// the grace period returns once it is over; the cut attempt is left to its
// lease, not recorded, and the job is sent again by the next dispatcher
// with the same delivery ID.
func TestDispatcherGraceCutsHangingAttempts(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	j := webhookJob(t, srv.URL+"/hook", 0)
	r := testRun(0)
	if err := db.CreateRun(ctx, r, nil, j); err != nil {
		t.Fatal(err)
	}
	staller := &stallingPoster{s: newSender(t, 5*time.Minute), inFlight: map[string]bool{}}
	cancel, done := runUntil(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}), Sender: staller,
		Owner: "stopping", Poll: 10 * time.Millisecond, Grace: 50 * time.Millisecond})
	eventually(t, "the attempt reaches the receiver", func() bool { return rc.counts()[j.ID] == 1 })
	cancel()
	waitFor(t, done, "return from Run after the grace period")
	if g := jobsByID(t, db, r.ID)[j.ID]; g.State != bot.JobPending || g.ClaimedBy != "stopping" || g.Attempts != 0 {
		t.Fatalf("cut job = %+v, want pending, still claimed, no attempt recorded", g)
	}
	later := chattest.NewClock(time.Now().Add(time.Hour)) // its lease ended
	startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}),
		Sender: newSender(t, 5*time.Second), Poll: 10 * time.Millisecond, Now: later.Now})
	eventually(t, "the job is sent again", func() bool { return jobsByID(t, db, r.ID)[j.ID].State == bot.JobDone })
	if c := rc.counts(); c[j.ID] != 2 || len(c) != 1 {
		t.Errorf("deliveries = %v, want the cut one twice under its ID", c)
	}
}

// TestDispatcherCutsAttemptWhenLeaseCannotBeRenewed: while the database
// refuses the renewals, an attempt is cut before its lease runs out,
// recorded as failed once the database is back, and retried.
func TestDispatcherCutsAttemptWhenLeaseCannotBeRenewed(t *testing.T) {
	ctx := context.Background()
	db := &renewOutageStore{outageStore: outageStore{DB: storetest.Open(t, storetest.SQLite)}}
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	j := webhookJob(t, srv.URL+"/hook", 0)
	r := testRun(0)
	if err := db.CreateRun(ctx, r, nil, j); err != nil {
		t.Fatal(err)
	}
	clock := chattest.NewClock(time.Now())
	gate := newGatePoster(newSender(t, 5*time.Second))
	runUntil(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}), Sender: gate, Now: clock.Now,
		Poll: 10 * time.Millisecond, Lease: time.Minute, Renew: 10 * time.Millisecond,
		Backoff: func(int) time.Duration { return 0 }})
	waitFor(t, gate.entered, "attempt")
	db.setDown(true)
	// The lease ends in 5 ms: less than Renew, so the next failed renewal
	// cuts the attempt.
	clock.Advance(time.Minute - 5*time.Millisecond)
	waitFor(t, gate.cut, "attempt cut")
	db.setDown(false)
	eventually(t, "the cut attempt recorded as failed", func() bool { return jobsByID(t, db.DB, r.ID)[j.ID].Attempts == 1 })
	if g := jobsByID(t, db.DB, r.ID)[j.ID]; !strings.Contains(g.LastError, "context canceled") {
		t.Errorf("job = %+v, want the cut attempt recorded as failed", g)
	}
	close(gate.release)
	eventually(t, "the job is retried and done", func() bool { return jobsByID(t, db.DB, r.ID)[j.ID].State == bot.JobDone })
	if c := rc.counts()[j.ID]; c != 1 {
		t.Errorf("receiver got %d requests, want 1 (the cut attempt never reached it)", c)
	}
}

// renewOutageStore is an outageStore whose renewals fail too.
type renewOutageStore struct{ outageStore }

func (s *renewOutageStore) RenewJobs(ctx context.Context, owner string, leases bot.Leases, ids []string) ([]string, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.DB.RenewJobs(ctx, owner, leases, ids)
}

// TestDispatcherPurgesEndedJobs: the dispatcher deletes, periodically and
// in batches, the jobs that ended longer than the retention period ago,
// with their attempts, on both stores; pending and recent jobs stay.
func TestDispatcherPurgesEndedJobs(t *testing.T) {
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
			for i := range 25 {
				jobs = append(jobs, webhookJob(t, srv.URL+"/hook", i))
			}
			future := webhookJob(t, srv.URL+"/hook", 99)
			future.DueAt = time.Now().Add(60 * 24 * time.Hour).UnixMilli()
			if err := db.CreateRun(ctx, r, nil, append(jobs, future)...); err != nil {
				t.Fatal(err)
			}
			// A first dispatcher delivers them all (now, by its clock).
			stop := startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}),
				Sender: newSender(t, 5*time.Second), Poll: 10 * time.Millisecond})
			eventually(t, "all delivered", func() bool {
				for _, j := range jobsByID(t, db, r.ID) {
					if j.ID != future.ID && j.State != bot.JobDone {
						return false
					}
				}
				return true
			})
			stop()
			// 31 days later, with one job done an hour ago: the others are
			// past the retention of 30 days (the default).
			clock := chattest.NewClock(time.Now().Add(31 * 24 * time.Hour))
			recent := webhookJob(t, srv.URL+"/hook", 100)
			recent.DueAt = clock.Now().Add(-time.Hour).UnixMilli()
			if _, err := db.UpdateRun(ctx, r.ID, func(*bot.Run) (bot.RunChange, error) {
				return bot.RunChange{Jobs: []bot.Job{recent}}, nil
			}); err != nil {
				t.Fatal(err)
			}
			startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}),
				Sender: newSender(t, 5*time.Second), Poll: 10 * time.Millisecond, Now: clock.Now,
				PurgeEvery: 10 * time.Millisecond, PurgeBatch: 7})
			eventually(t, "ended jobs purged", func() bool {
				left := jobsByID(t, db, r.ID)
				return len(left) == 2 && left[recent.ID].State == bot.JobDone
			})
			left := jobsByID(t, db, r.ID)
			if left[future.ID].State != bot.JobPending {
				t.Errorf("jobs left = %+v, want the future one pending and the recent one", left)
			}
			if atts, err := db.JobAttempts(ctx, jobs[0].ID); err != nil || len(atts) != 0 {
				t.Errorf("attempts of a purged job: %+v, %v", atts, err)
			}
		})
	}
}

// TestWebhookRetries: a receiver that fails the first 3 attempts gets the
// delivery on the 4th, each attempt recorded; a receiver that never
// answers does not hold up the other.
func TestWebhookRetries(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, kind)
			flaky := newReceiver(t)
			flaky.fail = 3
			srv := httptest.NewServer(flaky)
			defer srv.Close()
			hang := newReceiver(t)
			hangSrv := httptest.NewServer(hang)
			defer hangSrv.Close()

			stuck := webhookJob(t, hangSrv.URL+"/hook", 0)
			stuck.Payload = strings.Replace(stuck.Payload, "/hook", "/hook?stall", 1)
			job := webhookJob(t, srv.URL+"/hook", 1)
			job.DueAt = 2 // after the stuck one
			r := testRun(0)
			if err := db.CreateRun(ctx, r, nil, stuck, job); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			stop := startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}),
				Sender: newSender(t, 5*time.Minute), Poll: 10 * time.Millisecond,
				Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
			deadline := time.Now().Add(time.Minute)
			for {
				jobs := jobsByID(t, db, r.ID)
				if j := jobs[job.ID]; j.State == bot.JobDone {
					if j.Attempts != 3 || j.LastError == "" {
						t.Errorf("job = %+v, want 3 failed attempts before success", j)
					}
					if s := jobs[stuck.ID].State; s != bot.JobPending {
						t.Errorf("stuck job state = %s, want still pending", s)
					}
					break
				}
				if time.Now().After(deadline) {
					stop()
					t.Fatalf("delivery not done after a minute: %+v", jobs[job.ID])
				}
				time.Sleep(10 * time.Millisecond)
			}
			// The stuck one still hangs (for 5 minutes): it held up nothing.
			t.Logf("delivery done in %v beside a hanging receiver", time.Since(start))
			stop()
			if c := flaky.counts()[job.ID]; c != 4 {
				t.Errorf("receiver got %d attempts, want 4", c)
			}
			if got := string(flaky.bodies[job.ID]); got != `{"n":1}` {
				t.Errorf("body = %s, want {\"n\":1}", got)
			}
			atts, err := db.JobAttempts(ctx, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			var statuses []int
			for _, a := range atts {
				statuses = append(statuses, a.Status)
			}
			if fmt.Sprint(statuses) != "[500 500 500 0]" {
				t.Errorf("attempt statuses = %v, want [500 500 500 0]", statuses)
			}
		})
	}
}

// TestWebhookGivesUp: a permanent failure fails the job at once; a
// receiver failing every time gets MaxWebhookAttempts attempts.
func TestWebhookGivesUp(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	rc := newReceiver(t)
	rc.fail = 1000
	srv := httptest.NewServer(rc)
	defer srv.Close()
	always := webhookJob(t, srv.URL+"/hook", 0)
	refused := webhookJob(t, "ftp://example.com/hook", 1)
	r := testRun(0)
	if err := db.CreateRun(ctx, r, nil, always, refused); err != nil {
		t.Fatal(err)
	}
	stop := startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}),
		Sender: newSender(t, 5*time.Second), Poll: 5 * time.Millisecond,
		Backoff: func(int) time.Duration { return time.Millisecond }})
	deadline := time.Now().Add(time.Minute)
	for {
		jobs := jobsByID(t, db, r.ID)
		a, f := jobs[always.ID], jobs[refused.ID]
		if a.State != bot.JobPending && f.State != bot.JobPending {
			if a.State != bot.JobFailed || a.Attempts != bot.MaxWebhookAttempts {
				t.Errorf("always failing job = %s after %d attempts, want failed after %d", a.State, a.Attempts, bot.MaxWebhookAttempts)
			}
			if f.State != bot.JobFailed || f.Attempts != 1 {
				t.Errorf("refused job = %s after %d attempts, want failed after 1", f.State, f.Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs still pending: %+v", jobs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if c := rc.counts()[always.ID]; c != bot.MaxWebhookAttempts {
		t.Errorf("receiver got %d attempts, want %d", c, bot.MaxWebhookAttempts)
	}
}

// TestDispatcherClaimsAhead: a job is claimed up to Ahead before its due
// time, and attempted no earlier than that (a lower bound only: a loaded
// machine makes it later, never earlier).
func TestDispatcherClaimsAhead(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	rc := newReceiver(t)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	j := webhookJob(t, srv.URL+"/hook", 0)
	due := time.Now().Add(700 * time.Millisecond)
	j.DueAt = due.UnixMilli()
	r := testRun(0)
	if err := db.CreateRun(ctx, r, nil, j); err != nil {
		t.Fatal(err)
	}
	timed := &timedPoster{s: newSender(t, 5*time.Second), at: make(chan time.Time, 10)}
	startDispatcher(t, bot.DispatcherConfig{Service: bot.NewService(bot.Config{Store: db}), Sender: timed,
		Owner: "early", Poll: 10 * time.Millisecond, Ahead: time.Hour})
	eventually(t, "claimed ahead", func() bool { return jobsByID(t, db, r.ID)[j.ID].ClaimedBy == "early" })
	if at := waitFor(t, timed.at, "attempt"); at.UnixMilli() < j.DueAt {
		t.Errorf("attempted %v before its due time", due.Sub(at))
	}
	eventually(t, "the job done", func() bool { return jobsByID(t, db, r.ID)[j.ID].State == bot.JobDone })
}

// timedPoster sends through a real sender and reports when each attempt
// began.
type timedPoster struct {
	s  *webhook.Sender
	at chan time.Time
}

func (p *timedPoster) Send(ctx context.Context, url, id string, body []byte) error {
	p.at <- time.Now()
	return p.s.Send(ctx, url, id, body)
}
