//go:build faults

package faults

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// lease is how long a dispatcher holds a claimed job (bot.Dispatcher's
// default, not configurable by serve): a job a replica holds when it dies
// may be sent again by another once it has run out. The suite waits that
// long after each fault before it counts duplicates.
const lease = 30 * time.Second

// Phase lengths: they shape the faults, no correctness condition waits on
// them (those poll with deadlines).
const (
	workers      = 6
	warmup       = 6 * time.Second  // load before the kill -9
	afterKill    = 5 * time.Second  // load between the restart and the outage
	outage       = 10 * time.Second // Postgres stopped
	afterOutage  = 4 * time.Second  // load between the recovery and SIGTERM
	tail         = 3 * time.Second  // load after the SIGTERMed replica exited
	slowHold     = lease + 5*time.Second
	inflightReq  = 12 * time.Second // how long a request stays in flight after SIGTERM (issue 9: a 15 s one was cut at 10 s)
	inflightLead = time.Second      // how long it has been in flight when SIGTERM comes
)

const (
	adminToken  = "faults-admin-token-0123456789abcdef"
	adminUserID = "playbooksadmin000000000000"
	hookSecret  = "faults-webhook-secret-0123456789abcdef"
)

// idAlphabet is Mattermost's: ids are 26 of these.
const idAlphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

func newID() string {
	b := make([]byte, 26)
	for i := range b {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b)
}

// TestFaults is the fault suite of issue 9: two serve replicas on one
// Postgres under load; kill -9 of one and its restart; Postgres stopped
// for 10 s and started again; SIGTERM of the other. Then, through the REST
// API and the webhook receiver: no acknowledged write lost, no webhook or
// reminder sent twice while the replica that sent it was alive, duplicates
// after the kill only among the jobs the killed replica held, each with
// its delivery id. It prints its figures in one block.
func TestFaults(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fault suite needs Linux (/proc tells which replica sent a webhook)")
	}
	began := time.Now()
	pg := startCluster(t)
	procs := newProcesses(t)
	rc := newReceiver(procs, slowHold)
	t.Cleanup(rc.srv.Close)
	t.Cleanup(procs.stopAll) // runs before the receiver closes

	portA, portB := freePort(t), freePort(t)
	env := func(port int) map[string]string {
		e := map[string]string{
			"PLAYBOOKS_DATABASE_URL":        pg.URL(),
			"PLAYBOOKS_ADMIN_TOKEN":         adminToken,
			"PLAYBOOKS_ADMIN_USER_ID":       adminUserID,
			"PLAYBOOKS_PUBLIC_URL":          fmt.Sprintf("http://127.0.0.1:%d", port),
			"PLAYBOOKS_WEBHOOK_SECRET":      hookSecret,
			"PLAYBOOKS_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
			// Long enough for the slow receiver to outlast the lease.
			"PLAYBOOKS_WEBHOOK_TIMEOUT": (slowHold + 20*time.Second).String(),
		}
		return withServeEnv(e)
	}
	slowCase := true
	startReplica := func(name, replica string, port int) *instance {
		t.Helper()
		e := env(port)
		if !slowCase {
			delete(e, "PLAYBOOKS_WEBHOOK_TIMEOUT")
		}
		in, err := procs.start(t, name, replica, port, e)
		if err != nil && errors.Is(err, errConfig) && slowCase && strings.Contains(err.Error(), "PLAYBOOKS_WEBHOOK_TIMEOUT") {
			// A server that bounds attempts inside the lease may refuse a
			// long timeout: then the slow receiver case cannot be made.
			t.Logf("serve refuses PLAYBOOKS_WEBHOOK_TIMEOUT=%s; the slow receiver case is skipped", e["PLAYBOOKS_WEBHOOK_TIMEOUT"])
			slowCase = false
			delete(e, "PLAYBOOKS_WEBHOOK_TIMEOUT")
			in, err = procs.start(t, name, replica, port, e)
		}
		if err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		return in
	}
	a1 := startReplica("A1", "A", portA)
	b1 := startReplica("B1", "B", portB)
	urlA, urlB := a1.url, b1.url
	c := newClient(adminToken, map[string]string{urlA: "A", urlB: "B"})
	c.setRoutes(urlA, urlB)
	ctx := context.Background()

	// Setup, through A: the team's playbooks and one run for the request
	// kept in flight across SIGTERM.
	team := newID()
	playbook := func(title string, hooks map[string]any) string {
		t.Helper()
		body := map[string]any{"title": title, "team_id": team, "create_public_playbook_run": false, "checklists": checklists()}
		for k, v := range hooks {
			body[k] = v
		}
		var pb struct {
			ID string `json:"id"`
		}
		if _, err := c.do(ctx, false, urlA, "POST", "/playbooks", body, &pb); err != nil {
			t.Fatalf("create playbook %q: %v", title, err)
		}
		return pb.ID
	}
	mainPB := playbook("Faults", map[string]any{
		"webhook_on_creation_url": rc.URL("/hook/create"), "webhook_on_creation_enabled": true,
		"webhook_on_status_update_url": rc.URL("/hook/status"), "webhook_on_status_update_enabled": true,
	})
	slowPB := playbook("Slow receiver", map[string]any{
		"webhook_on_creation_url": rc.URL("/hook/slow"), "webhook_on_creation_enabled": true,
	})
	stats := &loadStats{}
	createRun := func(base, pb, name string) *runRec {
		t.Helper()
		var r struct {
			ID string `json:"id"`
		}
		if _, err := c.do(ctx, false, base, "POST", "/runs", map[string]any{
			"name": name, "owner_user_id": adminUserID, "team_id": team, "playbook_id": pb,
		}, &r); err != nil {
			t.Fatalf("create run %q: %v", name, err)
		}
		stats.creates.Add(1)
		return &runRec{id: r.ID, name: name}
	}
	trickleRun := createRun(urlA, mainPB, "in flight across SIGTERM")
	extraRuns := []*runRec{trickleRun}

	// Load.
	loadCtx, stopLoad := context.WithCancel(ctx)
	ws := make([]*worker, workers)
	var wg sync.WaitGroup
	loadBegan := time.Now()
	for i := range ws {
		ws[i] = &worker{n: i, c: c, team: team, playbook: mainPB, owner: adminUserID, stats: stats}
		wg.Go(func() { ws[i].loop(loadCtx) })
	}
	defer stopLoad()
	time.Sleep(warmup)

	// Fault 1: kill -9 of A mid-load, then its restart on the same port.
	c.setRoutes(urlB) // as a load balancer would, once the replica is gone
	killAt := a1.kill9()
	inflight, inflightErr := heldJobs(pg.URL(), a1.pid, killAt)
	a2 := startReplica("A2", "A", portA)
	restartedIn := time.Since(killAt)
	c.setRoutes(urlA, urlB)
	time.Sleep(afterKill)

	// Fault 2: Postgres stopped for a while, then started; the replicas must
	// recover by themselves.
	pgStop := time.Now()
	if err := pg.stop(); err != nil {
		t.Fatalf("stop Postgres: %v", err)
	}
	time.Sleep(outage)
	if err := pg.start(); err != nil {
		t.Fatalf("start Postgres again: %v", err)
	}
	pgStart := time.Now()
	recovered := map[string]bool{}
	waitUntil(60*time.Second, 200*time.Millisecond, func() bool {
		for _, base := range []string{urlA, urlB} {
			if !recovered[base] {
				if _, err := c.do(ctx, false, base, "GET", "/runs/"+trickleRun.id, nil, nil); err == nil {
					recovered[base] = true
				}
			}
		}
		return recovered[urlA] && recovered[urlB]
	})
	pgRecovered := time.Now()
	if !recovered[urlA] || !recovered[urlB] {
		t.Errorf("replicas did not recover within 60 s of Postgres starting again: A %v, B %v", recovered[urlA], recovered[urlB])
	}
	time.Sleep(afterOutage)

	// Fault 3: SIGTERM of B under load, with a request in flight that lasts
	// well past the signal.
	type answer struct {
		status int
		err    error
	}
	trickled := make(chan answer, 1)
	trickleMsg := "in flight across SIGTERM"
	go func() {
		st, err := c.trickle(urlB, trickleRun.id, trickleMsg, inflightLead+inflightReq)
		trickled <- answer{st, err}
	}()
	time.Sleep(inflightLead) // the request is on its way
	termAt := b1.sigterm()
	c.setRoutes(urlA)
	bExited := true
	select {
	case <-b1.done:
	case <-time.After(inflightReq + 60*time.Second):
		bExited = false
		t.Errorf("B1 did not exit within %v of SIGTERM", inflightReq+60*time.Second)
	}
	var tr answer
	select {
	case tr = <-trickled:
	case <-time.After(30 * time.Second):
		tr = answer{0, errors.New("no answer 30 s after B1 exited")}
	}
	if tr.err == nil {
		trickleRun.statusAcked = append(trickleRun.statusAcked, trickleMsg)
		stats.statuses.Add(1)
	}

	// The slow receiver: only A is alive, so a duplicate of this delivery
	// can only be A's own, sent while it still waits for the first.
	var slowRun *runRec
	var slowCreated time.Time
	if slowCase {
		slowRun = createRun(urlA, slowPB, "slow receiver")
		slowCreated = time.Now()
		extraRuns = append(extraRuns, slowRun)
	}
	time.Sleep(tail)
	stopLoad()
	wg.Wait()
	loadEnded := time.Now()

	var runs []*runRec
	for _, w := range ws {
		runs = append(runs, w.runs...)
	}
	runs = append(runs, extraRuns...)

	// Settle: every webhook of an acknowledged write has arrived, every
	// lease a fault may have left has run out (so that duplicates have had
	// their chance), the slow delivery has been answered, and the receiver
	// has been quiet for 2 s. Bounded.
	b1.mu.Lock()
	bExitAt := b1.exitAt
	b1.mu.Unlock()
	if bExitAt.IsZero() {
		bExitAt = time.Now()
	}
	quietFrom := latest(killAt, pgRecovered, bExitAt).Add(lease + 5*time.Second)
	settleDeadline := loadEnded.Add(90 * time.Second)
	lastCount, lastChange := -1, time.Now()
	settled := waitUntil(time.Until(settleDeadline), 250*time.Millisecond, func() bool {
		rs := rc.snapshot()
		if len(rs) != lastCount {
			lastCount, lastChange = len(rs), time.Now()
		}
		missing, _ := missingWebhooks(runs, rs)
		slowDone := !slowCase || time.Now().After(slowCreated.Add(slowHold+10*time.Second)) || slices.ContainsFunc(rs, func(r receipt) bool {
			return r.Path == "/hook/slow" && r.At.Sub(slowCreated) >= slowHold-time.Second
		})
		return missing == 0 && slowDone && time.Now().After(quietFrom) && time.Since(lastChange) >= 2*time.Second
	})

	// Verify through the REST API.
	lost, lostNotes, reminders := verifyRuns(t, c, urlA, runs)
	receipts := rc.snapshot()
	missing, missingNotes := missingWebhooks(runs, receipts)
	wh := classifyWebhooks(receipts, a1.name, b1.name, killAt, termAt, pgStop, pgStart, inflight, inflightErr == nil && len(inflight) > 0)
	rem := classifyReminders(reminders, killAt)
	reqs := c.requests()
	rq := classifyRequests(reqs, pgStop, pgRecovered, termAt, bExitAt)
	panics := procs.panics(t)
	b1.mu.Lock()
	bExit := b1.exitCode
	b1.mu.Unlock()

	inflightNote := fmt.Sprintf("%d held by A1 in the jobs table", len(inflight))
	if inflightErr != nil {
		inflightNote = "jobs table unreadable (" + inflightErr.Error() + "): judged by receipt times"
	}
	slowNote := "skipped (serve refused a webhook timeout longer than the lease)"
	if slowCase {
		slowNote = fmt.Sprintf("run %s, held %v: duplicates %d", slowRun.id, slowHold, wh.dupSlow)
	}
	var b strings.Builder
	f := func(k, format string, args ...any) { fmt.Fprintf(&b, "  %-28s %s\n", k, fmt.Sprintf(format, args...)) }
	b.WriteString("\n=== fault suite figures ===\n")
	f("duration", "%.1f s (load %.1f s, settle %.1f s, settled: %v)", time.Since(began).Seconds(),
		loadEnded.Sub(loadBegan).Seconds(), time.Since(loadEnded).Seconds(), settled)
	f("requests", "%d by the load (%d by the suite's probes): 2xx %d, 4xx %d, 500 %d, 503 %d, other 5xx %d, no answer %d, refused %d",
		rq.load, rq.probes, rq.ok, rq.c4xx, rq.c500, rq.c503, rq.c5xx, rq.none, rq.refused)
	f("acked writes", "%d (runs %d, item states %d, status updates %d, items added %d); unacknowledged attempts %d",
		stats.acked(), stats.creates.Load(), stats.toggles.Load(), stats.statuses.Load(), stats.adds.Load(), stats.unacked.Load())
	f("acked writes lost", "%d", lost)
	f("webhooks delivered", "%d (answered 200 while the sender waited; %d more arrived after it gave up)", wh.delivered, wh.unacked)
	f("unique deliveries", "%d", wh.unique)
	f("webhooks missing", "%d (acked runs and status updates whose webhook never came)", missing)
	f("duplicates while alive", "%d (first answered during the outage: %d, slow receiver: %d, first sent by B1, repeated after its SIGTERM: %d, other: %d)",
		wh.dupAlive, wh.dupOutage, wh.dupSlow, wh.dupTerm, wh.dupAlive-wh.dupOutage-wh.dupSlow-wh.dupTerm)
	f("duplicates after kill -9", "%d (not among the jobs A1 had in flight: %d; in flight at the kill: %s)", wh.dupKill, wh.dupKillNotInFlight, inflightNote)
	f("re-sent under a new id", "%d (one run's creation, or one body, delivered under two delivery ids)", wh.newID)
	f("reminders sent", "%d: duplicates while alive %d, after kill -9 %d; after a newer status update %d", rem.sent, rem.dupAlive, rem.dupKill, rem.stale)
	f("reminders late", "%s (from due to sent; a reminder the killed replica held waits out its lease)", rem.lateness())
	f("during the outage", "%.1f s stopped + %.1f s to recover: 500s %d, 503s %d (with Retry-After %d), 2xx %d, no answer %d",
		pgStart.Sub(pgStop).Seconds(), pgRecovered.Sub(pgStart).Seconds(), rq.out500, rq.out503, rq.out503RA, rq.outOK, rq.outNone)
	f("500s outside the outage", "%d", rq.c500-rq.out500)
	f("kill -9", "A1 (pid %d) at +%.1f s; A2 listening %.1f s later", a1.pid, killAt.Sub(loadBegan).Seconds(), restartedIn.Seconds())
	f("SIGTERM", "B1 (pid %d) at +%.1f s: exit %d after %.1f s; request in flight (%v body): %s; load requests cut %d",
		b1.pid, termAt.Sub(loadBegan).Seconds(), bExit, bExitAt.Sub(termAt).Seconds(), inflightReq, answerText(tr.status, tr.err), rq.cutByTerm)
	f("slow receiver", "%s", slowNote)
	f("webhook senders unknown", "%d of %d receipts; without a delivery id: %d", wh.unknownSender, len(receipts), rc.withoutID())
	f("panics in replica logs", "%d", panics)
	t.Log(b.String())
	for _, n := range lostNotes {
		t.Logf("lost: %s", n)
	}
	for _, n := range missingNotes {
		t.Logf("webhook missing: %s", n)
	}
	for _, n := range rem.notes {
		t.Log(n)
	}
	for _, n := range wh.notes {
		t.Logf("duplicate: %s", n)
	}

	// The promises.
	if lost != 0 {
		t.Errorf("acked writes lost = %d, want 0", lost)
	}
	if wh.dupAlive != 0 {
		t.Errorf("webhook duplicates while alive = %d, want 0 (issue 9 point 2)", wh.dupAlive)
	}
	if rem.stale != 0 {
		t.Errorf("reminders sent after a newer status update = %d, want 0 (issue 9 point 5)", rem.stale)
	}
	if rem.dupAlive != 0 {
		t.Errorf("reminder duplicates while alive = %d, want 0 (issue 9 point 2)", rem.dupAlive)
	}
	if wh.dupKillNotInFlight != 0 {
		t.Errorf("duplicates after kill -9 not among the jobs A1 had in flight = %d, want 0", wh.dupKillNotInFlight)
	}
	if wh.newID != 0 {
		t.Errorf("deliveries re-sent under a new delivery id = %d, want 0", wh.newID)
	}
	if missing != 0 {
		t.Errorf("webhooks of acked writes never delivered = %d, want 0", missing)
	}
	if rq.c500 != 0 {
		t.Errorf("500 answers = %d (%d during the outage), want 0: an outage answers 503 with Retry-After (issue 9 point 7)", rq.c500, rq.out500)
	}
	if rq.c503 != rq.c503RA {
		t.Errorf("503 answers without Retry-After = %d, want 0", rq.c503-rq.c503RA)
	}
	if !bExited || bExit != 0 {
		t.Errorf("B1 after SIGTERM: exited %v with code %d, want exit 0 within its grace period (issue 9 point 7)", bExited, bExit)
	}
	if tr.err != nil {
		t.Errorf("the request in flight across SIGTERM (%v long): %s, want 2xx (issue 9 point 7)", inflightReq, answerText(tr.status, tr.err))
	}
	if panics != 0 {
		t.Errorf("%d replica logs show a panic", panics)
	}
	_ = a2
}

// checklists is the playbook's: nChecklists of nItems.
func checklists() []any {
	var cls []any
	for i := 0; i < nChecklists; i++ {
		var items []any
		for j := 0; j < nItems; j++ {
			items = append(items, map[string]any{"title": fmt.Sprintf("item %d.%d", i, j)})
		}
		cls = append(cls, map[string]any{"title": fmt.Sprintf("stage %d", i), "items": items})
	}
	return cls
}

func latest(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.After(m) {
			m = t
		}
	}
	return m
}

func answerText(status int, err error) string {
	if err == nil {
		return fmt.Sprintf("%d", status)
	}
	if status > 0 {
		return fmt.Sprintf("%d", status)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the URL
	}
	return "no answer (" + err.Error() + ")"
}

// heldJobs reads, right after the kill, the jobs the killed process had
// claimed and not finished: those "in flight" at the kill. The claim's
// owner names the process id (host-pid-random); a server that names its
// claims otherwise yields none, and the suite judges by receipt times.
func heldJobs(dbURL string, pid int, at time.Time) (map[string]bool, error) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT id FROM jobs WHERE state = 'pending' AND lease_until > $1 AND claimed_by LIKE $2`,
		at.UnixMilli(), fmt.Sprintf("%%-%d-%%", pid))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	held := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		held[id] = true
	}
	return held, rows.Err()
}

// runView is what the suite reads of a run.
type runView struct {
	ID              string `json:"id"`
	ChannelID       string `json:"channel_id"`
	ChecklistPostID string `json:"checklist_post_id"`
	Checklists      []struct {
		Items []struct {
			Title string `json:"title"`
			State string `json:"state"`
		} `json:"items"`
	} `json:"checklists"`
	StatusUpdates []struct {
		Message  string `json:"message"`
		Reminder int64  `json:"reminder"`
		CreateAt int64  `json:"create_at"`
	} `json:"status_updates"`
	TimelineEvents []struct {
		EventType string `json:"event_type"`
		CreateAt  int64  `json:"create_at"`
	} `json:"timeline_events"`
}

// verifyRuns reads every run the load created and counts the acknowledged
// writes it lacks. It returns the runs as read, for the reminders.
func verifyRuns(t *testing.T, c *client, base string, runs []*runRec) (int, []string, []runView) {
	t.Helper()
	lost := 0
	var notes []string
	note := func(format string, args ...any) {
		if len(notes) < 20 {
			notes = append(notes, fmt.Sprintf(format, args...))
		}
	}
	var views []runView
	ctx := context.Background()
	for _, r := range runs {
		var v runView
		var status int
		var err error
		waitUntil(30*time.Second, 200*time.Millisecond, func() bool {
			v = runView{}
			status, err = c.do(ctx, false, base, "GET", "/runs/"+r.id, nil, &v)
			return err == nil || status == 404
		})
		if err != nil {
			n := 1 + len(r.statusAcked) + len(r.addsAcked)
			for _, cl := range r.items {
				for _, it := range cl {
					if it.acked {
						n++
					}
				}
			}
			lost += n
			note("run %s (%s): %v: its %d acknowledged writes", r.id, r.name, err, n)
			continue
		}
		views = append(views, v)
		msgs := map[string]bool{}
		for _, s := range v.StatusUpdates {
			msgs[s.Message] = true
		}
		for _, m := range r.statusAcked {
			if !msgs[m] {
				lost++
				note("run %s: status update %q", r.id, m)
			}
		}
		titles := map[string]bool{}
		for ci, cl := range v.Checklists {
			for ii, it := range cl.Items {
				if ci == 0 {
					titles[it.Title] = true
				}
				if ci < nChecklists && ii < nItems {
					rec := &r.items[ci][ii]
					if !rec.allowed(it.State) {
						lost++
						note("run %s: item %d %d is %q, last acknowledged %q", r.id, ci, ii, it.State, rec.last)
					}
				}
			}
		}
		for _, title := range r.addsAcked {
			if !titles[title] {
				lost++
				note("run %s: added item %q", r.id, title)
			}
		}
	}
	return lost, notes, views
}

// missingWebhooks counts acknowledged runs without a creation webhook and
// acknowledged status updates without a status webhook (by distinct
// delivery ids per run).
func missingWebhooks(runs []*runRec, rs []receipt) (int, []string) {
	created := map[string]bool{}
	statusIDs := map[string]map[string]bool{}
	for _, r := range rs {
		if !r.Acked {
			continue
		}
		switch r.Path {
		case "/hook/create", "/hook/slow":
			created[r.RunID] = true
		case "/hook/status":
			if statusIDs[r.RunID] == nil {
				statusIDs[r.RunID] = map[string]bool{}
			}
			statusIDs[r.RunID][r.ID] = true
		}
	}
	n := 0
	var notes []string
	for _, r := range runs {
		if !created[r.id] {
			n++
			if len(notes) < 10 {
				notes = append(notes, "creation of run "+r.id)
			}
		}
		if d := len(r.statusAcked) - len(statusIDs[r.id]); d > 0 {
			n += d
			if len(notes) < 10 {
				notes = append(notes, fmt.Sprintf("%d status updates of run %s", d, r.id))
			}
		}
	}
	return n, notes
}

// webhookFigures classifies the receipts.
type webhookFigures struct {
	delivered, unacked, unique int
	// dupAlive broken down, first match: the first answer came while
	// Postgres was (being) stopped, so its "done" write could not land
	// (dupOutage); the slow receiver outlasted the lease (dupSlow); the
	// first was sent by the SIGTERMed replica, before or while it shut
	// down, and the repeat came after the signal (dupTerm).
	dupAlive, dupOutage, dupSlow, dupTerm int
	dupKill, dupKillNotInFlight           int
	newID, unknownSender                  int
	notes                                 []string
}

// classifyWebhooks: a delivery id answered 200 more than once is a
// duplicate. It is "after kill -9" when its first attempt came from the
// killed instance and reached the receiver before the kill, and the repeat
// came after it (the job was in flight there); any other is "while alive". inFlight, when known, is the
// set of jobs the killed instance held at the kill.
func classifyWebhooks(rs []receipt, killed, termed string, killAt, termAt, pgStop, pgStart time.Time, inFlight map[string]bool, inFlightKnown bool) webhookFigures {
	var w webhookFigures
	byID := map[string][]receipt{}
	var order []string
	for _, r := range rs {
		if r.Sender == "?" {
			w.unknownSender++
		}
		if !r.Acked {
			w.unacked++
			continue
		}
		w.delivered++
		if byID[r.ID] == nil {
			order = append(order, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	w.unique = len(byID)
	note := func(format string, args ...any) {
		if len(w.notes) < 30 {
			w.notes = append(w.notes, fmt.Sprintf(format, args...))
		}
	}
	for _, id := range order {
		got := byID[id]
		sort.Slice(got, func(i, j int) bool { return got[i].At.Before(got[j].At) })
		first := got[0]
		for _, again := range got[1:] {
			fromKilled := first.Sender == killed || (first.Sender == "?" && !first.At.Before(killAt.Add(-lease)))
			// In flight at the kill: the first attempt reached the receiver
			// before it, whenever the receiver's answer went out (a 200
			// written just after the kill still counts as answered, since
			// the dead peer's socket takes it).
			if fromKilled && !first.Arrived.After(killAt) && again.At.After(killAt) {
				w.dupKill++
				ok := !inFlightKnown || inFlight[id]
				if !ok {
					w.dupKillNotInFlight++
				}
				note("%s %s after kill -9: first by %s (in %s, 200 at %s), again by %s (in %s, 200 at %s); in flight at the kill: %v",
					first.Path, id, first.Sender, clock(first.Arrived), clock(first.At), again.Sender, clock(again.Arrived), clock(again.At), ok)
				continue
			}
			w.dupAlive++
			switch {
			case !first.At.Before(pgStop.Add(-2*time.Second)) && !first.At.After(pgStart):
				w.dupOutage++
			case first.Path == "/hook/slow":
				w.dupSlow++
			case first.Sender == termed && again.At.After(termAt):
				w.dupTerm++
			}
			note("%s %s while alive: first by %s (in %s, 200 at %s), again by %s (in %s, 200 at %s)",
				first.Path, id, first.Sender, clock(first.Arrived), clock(first.At), again.Sender, clock(again.Arrived), clock(again.At))
		}
	}
	// One run's creation, or one body, under two delivery ids.
	createIDs := map[string]map[string]bool{}
	bodyIDs := map[[32]byte]map[string]bool{}
	for id, got := range byID {
		r := got[0]
		if r.Path == "/hook/create" || r.Path == "/hook/slow" {
			if createIDs[r.RunID] == nil {
				createIDs[r.RunID] = map[string]bool{}
			}
			createIDs[r.RunID][id] = true
		}
		for _, g := range got {
			if bodyIDs[g.Body] == nil {
				bodyIDs[g.Body] = map[string]bool{}
			}
			bodyIDs[g.Body][id] = true
		}
	}
	for run, ids := range createIDs {
		if len(ids) > 1 {
			w.newID += len(ids) - 1
			note("run %s created once, its creation webhook delivered under %d ids", run, len(ids))
		}
	}
	for _, ids := range bodyIDs {
		if len(ids) > 1 {
			w.newID += len(ids) - 1
		}
	}
	return w
}

func clock(t time.Time) string { return t.Format("15:04:05.000") }

// reminderFigures: a reminder_sent event belongs to the status update it
// reminds of, the one whose reminder came due last before it; two events
// for one status update are a duplicate.
type reminderFigures struct {
	sent, dupAlive, dupKill, stale int
	late                           []int64 // ms from due to sent, of each first reminder of an update
	notes                          []string
}

// lateness is the median, 99th percentile and worst of late, in seconds.
func (f reminderFigures) lateness() string {
	if len(f.late) == 0 {
		return "none sent"
	}
	l := slices.Clone(f.late)
	slices.Sort(l)
	q := func(p float64) float64 { return float64(l[int(p*float64(len(l)-1))]) / 1000 }
	return fmt.Sprintf("p50 %.2f s, p99 %.2f s, max %.2f s", q(0.5), q(0.99), q(1))
}

func classifyReminders(runs []runView, killAt time.Time) reminderFigures {
	var f reminderFigures
	kill := killAt.UnixMilli()
	leaseMs := lease.Milliseconds()
	for _, v := range runs {
		updates := v.StatusUpdates
		sort.Slice(updates, func(i, j int) bool { return updates[i].CreateAt < updates[j].CreateAt })
		sent := map[int][]int64{}
		events := v.TimelineEvents
		sort.SliceStable(events, func(i, j int) bool { return events[i].CreateAt < events[j].CreateAt })
		for _, e := range events {
			if e.EventType != "reminder_sent" {
				continue
			}
			f.sent++
			// The reminder belongs to the newest update whose reminder was
			// due by then: a newer update replaces an older one's reminder,
			// even when the older one's would have come due later.
			of, ofDue := -1, int64(0)
			for i, u := range updates {
				if due := u.CreateAt + u.Reminder*1000; u.Reminder > 0 && due <= e.CreateAt {
					of, ofDue = i, due
				}
			}
			if of < 0 {
				continue
			}
			if len(sent[of]) == 0 {
				f.late = append(f.late, e.CreateAt-ofDue)
			}
			sent[of] = append(sent[of], e.CreateAt)
			// A newer status update before the reminder fired made it stale.
			if of+1 < len(updates) && updates[of+1].CreateAt < e.CreateAt {
				f.stale++
				if len(f.notes) < 10 {
					f.notes = append(f.notes, fmt.Sprintf("reminder of run %s sent at %d after a newer status update at %d (the one it belongs to: at %d, due %d)",
						v.ID, e.CreateAt, updates[of+1].CreateAt, updates[of].CreateAt, ofDue))
				}
			}
		}
		for _, ats := range sent {
			slices.Sort(ats)
			for _, at := range ats[1:] {
				if ats[0] <= kill && at > kill && ats[0] >= kill-leaseMs {
					f.dupKill++
				} else {
					f.dupAlive++
				}
			}
		}
	}
	return f
}

// requestFigures counts the answers, in all and during the outage.
type requestFigures struct {
	load, probes                     int
	ok, c4xx, c500, c503, c5xx, none int
	refused, c503RA                  int
	out500, out503, out503RA, outOK  int
	outNone                          int
	cutByTerm                        int
}

func classifyRequests(reqs []reqRec, pgStop, pgRecovered, termAt, bExitAt time.Time) requestFigures {
	var f requestFigures
	for _, r := range reqs {
		if r.load {
			f.load++
		} else {
			f.probes++
		}
		during := !r.at.Before(pgStop) && !r.at.After(pgRecovered)
		switch {
		case r.status == -1:
			f.refused++
		case r.status == 0:
			f.none++
			if during {
				f.outNone++
			}
			if r.replica == "B" && r.load && !r.at.Before(termAt) && !r.at.After(bExitAt.Add(time.Second)) {
				f.cutByTerm++
			}
		case r.status/100 == 2:
			f.ok++
			if during {
				f.outOK++
			}
		case r.status/100 == 4:
			f.c4xx++
		case r.status == 500:
			f.c500++
			if during {
				f.out500++
			}
		case r.status == 503:
			f.c503++
			if r.retryAfter {
				f.c503RA++
			}
			if during {
				f.out503++
				if r.retryAfter {
					f.out503RA++
				}
			}
		default:
			f.c5xx++
		}
	}
	return f
}
