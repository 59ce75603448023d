package main

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// benchItems is the number of items of the benchmarks' playbook, in one
// checklist: one per client at 64 clients on one run.
const benchItems = 64

// BenchmarkItemStateUpdates measures item state updates per second through
// the whole server (HTTP, auth, use case, one store transaction each) with
// 1, 8 and 64 concurrent clients, each alternating the state of its own
// item between closed and open, b.N updates in all:
//   - runs=distinct: client k updates an item of run k mod 64, so clients
//     never wait on each other's run (compare with the pgbench floor of
//     scripts/bench, which does the same database work on 64 runs);
//   - runs=one: every client updates its own item of one run, the war-room
//     case, where today every update of the run takes the run's lock.
//
// Each sub-benchmark starts on fresh runs and, at the end, reads every run
// back (GET /runs/{id}) and fails if an item's state is not the one its
// last update set. It reports updates/s, per-request p50/p99 latency, and
// lost (items whose final state is wrong, always 0 when it passes).
// scripts/bench runs it on Postgres only:
//
//	go test ./cmd/playbooks -run '^$' -bench 'ItemStateUpdates/postgres' -benchtime 3000x
func BenchmarkItemStateUpdates(b *testing.B) {
	for kind, dbURL := range testDatabaseURLs(b) {
		b.Run(kind, func(b *testing.B) {
			h := newItemBench(b, dbURL)
			for _, shape := range []string{"distinct", "one"} {
				for _, clients := range []int{1, 8, 64} {
					b.Run(fmt.Sprintf("runs=%s/clients=%d", shape, clients), func(b *testing.B) {
						nRuns := 1
						if shape == "distinct" {
							nRuns = min(clients, 64)
						}
						h.bench(b, nRuns, clients)
					})
				}
			}
		})
	}
}

// itemBench is a running server with a playbook of benchItems items.
type itemBench struct {
	base, admin, team, user, playbook string
	client                            *http.Client
}

func newItemBench(b *testing.B, dbURL string) *itemBench {
	admin := "bench-admin-secret-0123"
	srv := startServer(b, map[string]string{"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_ADMIN_TOKEN": admin})
	h := &itemBench{
		base: srv.URL + "/plugins/playbooks/api/v0", admin: admin, team: bot.NewID(), user: bot.NewID(),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}},
	}
	items := make([]any, benchItems)
	for i := range items {
		items[i] = map[string]any{"title": fmt.Sprintf("Step %d", i)}
	}
	var pb struct{ ID string }
	if code := call(b, "POST", h.base+"/playbooks", admin, map[string]any{
		"title": "Bench", "team_id": h.team, "create_public_playbook_run": false, "member_ids": []string{},
		"checklists": []any{map[string]any{"title": "All", "items": items}},
	}, &pb); code != 201 {
		b.Fatalf("create playbook: %d", code)
	}
	h.playbook = pb.ID
	return h
}

// bench runs b.N updates by clients clients on nRuns fresh runs: client k
// updates item k/nRuns of run k mod nRuns.
func (h *itemBench) bench(b *testing.B, nRuns, clients int) {
	runs := make([]string, nRuns)
	for i := range runs {
		var r bot.Run
		if code := call(b, "POST", h.base+"/runs", h.admin, map[string]any{
			"name": fmt.Sprintf("Bench run %d", i), "owner_user_id": h.user, "team_id": h.team, "playbook_id": h.playbook,
		}, &r); code != 201 {
			b.Fatalf("create run: %d", code)
		}
		runs[i] = r.ID
	}
	lat := make([][]time.Duration, clients)
	done := make([]int, clients) // updates that answered 200
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		n := b.N / clients
		if c < b.N%clients {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := fmt.Sprintf("%s/runs/%s/checklists/0/item/%d/state", h.base, runs[c%nRuns], c/nRuns)
			lat[c] = make([]time.Duration, 0, n)
			for i := range n {
				t0 := time.Now()
				if err := h.setState(url, itemState(i)); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
				done[c]++
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	lost := h.lost(b, runs, done)
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "updates/s")
	b.ReportMetric(msAt(all, 0.50), "p50-ms")
	b.ReportMetric(msAt(all, 0.99), "p99-ms")
	b.ReportMetric(float64(lost), "lost")
}

// itemState is the state the i-th update of a client sets: closed, open,
// closed, ...
func itemState(i int) string {
	if i%2 == 0 {
		return bot.ItemClosed
	}
	return bot.ItemOpen
}

func (h *itemBench) setState(url, state string) error {
	req, err := http.NewRequest("PUT", url, bytes.NewReader(fmt.Appendf(nil, `{"new_state":%q}`, state)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.admin)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("PUT %s: status %d, want 200", url, resp.StatusCode)
	}
	return nil
}

// lost reads the runs back and counts the items whose state is not what
// the last update of their client (done[k] updates by client k) set, or
// that changed although no client updated them; each is also an error.
func (h *itemBench) lost(b *testing.B, runs []string, done []int) int {
	want := make([][]string, len(runs))
	for i := range want {
		want[i] = make([]string, benchItems)
	}
	for c, n := range done {
		if n > 0 {
			want[c%len(runs)][c/len(runs)] = itemState(n - 1)
		}
	}
	lost := 0
	for i, id := range runs {
		var r bot.Run
		if code := call(b, "GET", h.base+"/runs/"+id, h.admin, nil, &r); code != 200 {
			b.Fatalf("get run %s: %d", id, code)
		}
		if len(r.Checklists) != 1 || len(r.Checklists[0].Items) != benchItems {
			b.Fatalf("run %s has %d checklists, want 1 of %d items", id, len(r.Checklists), benchItems)
		}
		for j, it := range r.Checklists[0].Items {
			if it.State != want[i][j] {
				lost++
				b.Errorf("run %s item %d: state %q, want %q (its last update's)", id, j, it.State, want[i][j])
			}
		}
	}
	return lost
}

// msAt returns the q-quantile of the sorted durations d, in milliseconds.
func msAt(d []time.Duration, q float64) float64 {
	return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000
}
