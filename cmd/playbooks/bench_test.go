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

// BenchmarkItemStateUpdates measures item state updates per second through
// the whole server (HTTP, auth, use case, one store transaction each) with
// 1, 8 and 64 concurrent clients, each changing its own item of one run:
// the war-room case, where every update of the run takes the run's lock.
// It reports updates/s and per-request p50/p99 latency.
//
//	go test ./cmd/playbooks -run '^$' -bench ItemStateUpdates -benchtime 2000x
func BenchmarkItemStateUpdates(b *testing.B) {
	for kind, dbURL := range testDatabaseURLs(b) {
		b.Run(kind, func(b *testing.B) {
			admin := "bench-admin-secret-0123"
			srv := startServer(b, map[string]string{"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_ADMIN_TOKEN": admin})
			base := srv.URL + "/plugins/playbooks/api/v0"
			team, user := bot.NewID(), bot.NewID()
			items := make([]any, 64)
			for i := range items {
				items[i] = map[string]any{"title": fmt.Sprintf("Step %d", i)}
			}
			var pb struct{ ID string }
			if code := call(b, "POST", base+"/playbooks", admin, map[string]any{
				"title": "Bench", "team_id": team, "create_public_playbook_run": false, "member_ids": []string{},
				"checklists": []any{map[string]any{"title": "All", "items": items}},
			}, &pb); code != 201 {
				b.Fatalf("create playbook: %d", code)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
			for _, clients := range []int{1, 8, 64} {
				b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
					var r bot.Run
					if code := call(b, "POST", base+"/runs", admin, map[string]any{
						"name": "Bench run", "owner_user_id": user, "team_id": team, "playbook_id": pb.ID,
					}, &r); code != 201 {
						b.Fatalf("create run: %d", code)
					}
					lat := make([][]time.Duration, clients)
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
							url := fmt.Sprintf("%s/runs/%s/checklists/0/item/%d/state", base, r.ID, c)
							for i := range n {
								state := "closed"
								if i%2 == 1 {
									state = ""
								}
								t0 := time.Now()
								req, _ := http.NewRequest("PUT", url, bytes.NewReader(fmt.Appendf(nil, `{"new_state":%q}`, state)))
								req.Header.Set("Authorization", "Bearer "+admin)
								resp, err := client.Do(req)
								if err != nil {
									b.Error(err)
									return
								}
								resp.Body.Close()
								if resp.StatusCode != 200 {
									b.Errorf("state update: %d", resp.StatusCode)
									return
								}
								lat[c] = append(lat[c], time.Since(t0))
							}
						}()
					}
					wg.Wait()
					elapsed := time.Since(start)
					b.StopTimer()
					all := slices.Concat(lat...)
					slices.Sort(all)
					if len(all) == 0 {
						return
					}
					b.ReportMetric(float64(len(all))/elapsed.Seconds(), "updates/s")
					b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}
