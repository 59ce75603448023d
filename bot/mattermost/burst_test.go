package mattermost_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/commands"
)

// burstClicks is the clicks of a burst: more than a checklist post has
// buttons (MaxButtons), so some items are clicked twice.
const burstClicks = 64

// postWriteDelay is how long Mattermost takes to write a post in a burst.
const postWriteDelay = 25 * time.Millisecond

// burst is two replicas, each serving Mattermost's clicks on an HTTP
// server of its own, and a playbook with as many items as a post has
// buttons.
type burst struct {
	*replicas
	urls     [2]string // the replicas' base URLs
	playbook bot.Playbook
	writes   atomic.Int64 // post writes (create, patch) Mattermost received
}

func newBurst(t testing.TB) *burst {
	t.Helper()
	rs := newReplicas(t)
	b := &burst{replicas: rs, urls: [2]string{rs.e.botURL}}
	client1, err := mattermost.NewClient(mattermost.Config{
		URL: rs.e.mm.URL, BotToken: rs.token1, Signer: rs.e.signer, PublicURL: rs.e.botURL,
		Logger: rs.logger, Now: rs.e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := mattermost.NewHandler(mattermost.HandlerConfig{
		Client: client1, CommandTokens: []string{rs.e.cmdToken},
		HandlerBase: commands.HandlerBase{Service: rs.svcs[1], Logger: rs.logger,
			Dispatcher: commands.NewDispatcher(rs.svcs[1]).WithUsers(client1).WithLogger(rs.logger)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(botMux(h))
	t.Cleanup(srv.Close)
	b.urls[1] = srv.URL
	// A post write takes as long as on a real Mattermost 10.12 server on
	// loopback, one at a time (24-27 ms).
	rs.e.mm.SetPostFault(func(*http.Request) mmtest.Fault {
		b.writes.Add(1)
		return mmtest.Fault{Delay: postWriteDelay}
	})
	items := make([]bot.ChecklistItem, mattermost.MaxButtons)
	for i := range items {
		items[i] = bot.ChecklistItem{Title: fmt.Sprintf("Step %d", i)}
	}
	b.playbook, err = rs.e.svc.CreatePlaybook(context.Background(), rs.e.admin, bot.Playbook{
		Title: "Big", TeamID: rs.e.team.Id, Checklists: []bot.Checklist{{Title: "Steps", Items: items}},
		InvitedUserIDs: []string{rs.e.bob.Id}, InviteUsersEnabled: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startRun starts a run of the big playbook, owned by alice.
func (b *burst) startRun(t testing.TB) bot.Run {
	t.Helper()
	r, err := b.e.svc.CreateRun(context.Background(), b.e.admin, bot.NewRun{
		Name: "Burst", PlaybookID: b.playbook.ID, OwnerUserID: b.e.alice.Id})
	if err != nil {
		t.Fatalf("create run: %v", err)
	}
	if r.ChecklistPostID == "" {
		t.Fatal("the run has no checklist post")
	}
	return r
}

// click is one click of a burst: how long it took, and what the user saw.
type click struct {
	took time.Duration
	err  error
	text string // the answer's ephemeral text
}

// fire clicks the buttons of r's checklist post burstClicks times at once,
// alternately through replica 0 and 1, alice and bob in turn, each item's
// button in post order and then again from the first, as Mattermost sends
// clicks: each a request of its own, answered by the replica it reached.
func (b *burst) fire(t testing.TB, r bot.Run) []click {
	t.Helper()
	users := []*model.User{b.e.alice, b.e.bob}
	type prepared struct {
		url string
		req model.PostActionIntegrationRequest
	}
	reqs := make([]prepared, burstClicks)
	for i := range reqs {
		n := i % mattermost.MaxButtons
		url, req, err := b.e.mm.ActionRequest(users[i%2].Id, r.ChecklistPostID, fmt.Sprintf("c0i%d", n))
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = prepared{b.urls[i%2] + strings.TrimPrefix(url, b.e.botURL), req}
	}
	// What preparing the clicks allocated (64 reads of the post) is
	// collected before the burst, not during it: it is the harness's.
	runtime.GC()
	out := make([]click, burstClicks)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range reqs {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			resp, err := b.e.mm.SendAction(context.Background(), p.url, p.req)
			out[i].took, out[i].err = time.Since(t0), err
			if resp != nil {
				out[i].text = resp.EphemeralText
			}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// TestClickBurst checks a burst of 64 clicks on one checklist post,
// spread over two replicas: every click is answered without an error, and
// the post ends showing every change, whatever order the replicas
// refreshed it in.
func TestClickBurst(t *testing.T) {
	b := newBurst(t)
	r := b.startRun(t)
	for i, c := range b.fire(t, r) {
		if c.err != nil || c.text != "" {
			t.Errorf("click %d: error %v, ephemeral %q; want neither", i, c.err, c.text)
		}
	}
	eventually(t, 20*time.Second, func() string { return b.stale(t, r.ID) })
	got, err := b.dbs[0].RunState(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range got.Checklists[0].Items {
		// Items clicked twice are back where they began.
		if want := i >= burstClicks-mattermost.MaxButtons; (it.State == bot.ItemClosed) != want {
			t.Errorf("item %d is %q after the burst, want checked: %v", i, it.State, want)
		}
	}
}

// BenchmarkClickBurst measures bursts of 64 simultaneous clicks on one
// run's checklist post over HTTP, half through each of two replicas on one
// Postgres (as TestClickBurst fires them): the time each click takes to be
// answered (p50, p95 and max over all bursts), how many post writes
// Mattermost received per burst, and how long until the post showed every
// change (settle-ms, from the burst's start), and the CPU time the test
// process spent per click while the clicks were answered (cpu-ms/click:
// both replicas, Mattermost and the clients, not Postgres).
func BenchmarkClickBurst(b *testing.B) {
	bb := newBurst(b)
	var lat []time.Duration
	var writes, settle float64
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		r := bb.startRun(b)
		if err := bb.svcs[0].SettlePosts(context.Background()); err != nil {
			b.Fatal(err)
		}
		bb.writes.Store(0)
		b.StartTimer()
		t0, cpu0 := time.Now(), processCPU()
		clicks := bb.fire(b, r)
		cpu += processCPU() - cpu0
		for i, c := range clicks {
			if c.err != nil || c.text != "" {
				b.Fatalf("click %d: error %v, ephemeral %q", i, c.err, c.text)
			}
			lat = append(lat, c.took)
		}
		deadline := time.Now().Add(30 * time.Second)
		for bb.stale(b, r.ID) != "" {
			if time.Now().After(deadline) {
				b.Fatalf("the post is stale 30 s after the burst: %s", bb.stale(b, r.ID))
			}
			time.Sleep(5 * time.Millisecond)
		}
		settle += float64(time.Since(t0)) / float64(time.Millisecond)
		writes += float64(bb.writes.Load())
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*95/100]), "p95-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(writes/float64(b.N), "writes/burst")
	b.ReportMetric(settle/float64(b.N), "settle-ms")
	b.ReportMetric(ms(cpu)/float64(b.N*burstClicks), "cpu-ms/click")
}

// processCPU is the CPU time (user and system) this process used so far:
// in the benchmark, the replicas', Mattermost's and the clients' together
// (Postgres's not).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
