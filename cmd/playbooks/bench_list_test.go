package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// BenchmarkLists measures reads over HTTP on a team of BENCH_RUNS runs
// (default 100 000, active or finished, listed with
// statuses=InProgress,Finished; each with two checklists of four items, a participant
// and its creation event), one of which has BENCH_EVENTS timeline events
// (default 25 000): a list page of 100 (the first, a deep one, and the one
// that holds the long run) and the long run by ID. It reports p50/p99 and
// the response's size in bytes.
//
// The data is seeded through the store package's exported API (CreateRun,
// UpdateRun with a change's events, in batches of 1 000), never by SQL
// into its tables, so that the benchmark measures the same data before and
// after a change of schema. Seeding takes most of the time; it is printed.
// scripts/bench runs it on Postgres only:
//
//	go test ./cmd/playbooks -run '^$' -bench 'Lists/postgres' -benchtime 200x
func BenchmarkLists(b *testing.B) {
	nRuns := benchEnvInt(b, "BENCH_RUNS", 100_000)
	nEvents := benchEnvInt(b, "BENCH_EVENTS", 25_000)
	for kind, dbURL := range testDatabaseURLs(b) {
		b.Run(kind, func(b *testing.B) {
			team := bot.NewID()
			long := seedLists(b, dbURL, team, nRuns, nEvents)
			admin := "bench-admin-secret-0123"
			srv := startServer(b, map[string]string{"PLAYBOOKS_DATABASE_URL": dbURL, "PLAYBOOKS_ADMIN_TOKEN": admin})
			base := srv.URL + "/plugins/playbooks/api/v0"
			// Every run, active or finished (by default GET /runs lists
			// only the active ones).
			list := fmt.Sprintf("%s/runs?team_id=%s&per_page=100&statuses=InProgress,Finished", base, team)
			total := fmt.Sprintf(`"total_count":%d`, nRuns)
			// The long run is the (nRuns/2)-th oldest.
			longPage := fmt.Sprintf("%s&sort=create_at&direction=asc&page=%d", list, nRuns/2/100)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			for _, bc := range []struct {
				name, url string
				want      []string // in the first answer
			}{
				{"list/page=first", list, []string{total}},
				{"list/page=deep", fmt.Sprintf("%s&page=%d", list, nRuns*9/10/100), []string{total}},
				{fmt.Sprintf("list/page=with-%d-events", nEvents), longPage, []string{total, `"` + long + `"`}},
				{fmt.Sprintf("run/events=%d", nEvents), base + "/runs/" + long, []string{`"` + long + `"`}},
			} {
				b.Run(bc.name, func(b *testing.B) {
					var (
						lat  []time.Duration
						size int64
					)
					for b.Loop() {
						start := time.Now()
						body, err := benchGet(client, bc.url, admin)
						lat = append(lat, time.Since(start))
						if err != nil {
							b.Fatal(err)
						}
						for _, want := range bc.want {
							if size == 0 && !bytes.Contains(body, []byte(want)) {
								b.Fatalf("GET %s: the answer (%d bytes) does not hold %s", bc.url, len(body), want)
							}
						}
						size = int64(len(body))
					}
					slices.Sort(lat)
					b.ReportMetric(msAt(lat, 0.50), "p50-ms")
					b.ReportMetric(msAt(lat, 0.99), "p99-ms")
					b.ReportMetric(float64(size), "bytes")
				})
			}
		})
	}
}

// benchGet GETs url with the bearer token and returns the whole body; any
// status but 200 is an error.
func benchGet(client *http.Client, url, token string) ([]byte, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: status %d, want 200: %.200s", url, resp.StatusCode, body)
	}
	return body, nil
}

// benchEnvInt is the positive integer in the environment variable name, or
// def when it is not set.
func benchEnvInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 {
		b.Fatalf("%s=%q: want an integer of at least 100", name, s)
	}
	return n
}

// seedLists migrates the database at url and creates nRuns runs in team,
// one a minute, by 16 writers; the (nRuns/2)-th, whose ID it returns, then
// gets nEvents timeline events in changes of 1 000.
func seedLists(b *testing.B, url, team string, nRuns, nEvents int) string {
	ctx := context.Background()
	seedURL := url
	if u, err := neturl.Parse(url); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		// lib/pq sends unknown URL parameters as settings: the seed's
		// commits need not wait for the disk.
		q := u.Query()
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		seedURL = u.String()
	}
	db, err := store.Open(ctx, seedURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	ids := make([]string, nRuns)
	for i := range ids {
		ids[i] = bot.NewID()
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errMu   sync.Mutex
		seedErr error
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= nRuns {
					return
				}
				r, ev := benchRun(ids[i], team, i, base+int64(i)*60_000)
				if err := db.CreateRun(ctx, r, []bot.TimelineEvent{ev}); err != nil {
					errMu.Lock()
					seedErr = err
					errMu.Unlock()
					next.Store(int64(nRuns)) // the others stop too
					return
				}
			}
		}()
	}
	wg.Wait()
	if seedErr != nil {
		b.Fatalf("seed runs: %v", seedErr)
	}
	runsTook := time.Since(start)
	long := ids[nRuns/2]
	t0 := time.Now()
	at := base + int64(nRuns/2)*60_000
	for done := 0; done < nEvents; {
		batch := make([]bot.TimelineEvent, 0, min(1000, nEvents-done))
		for range cap(batch) {
			done++
			at += 1000
			batch = append(batch, bot.TimelineEvent{
				ID: bot.NewID(), CreateAt: at, EventAt: at, EventType: bot.EventTaskStateChanged,
				Summary:       fmt.Sprintf("@owner checked off checklist item \"Step %d\"", done%8),
				CreatorUserID: "owner00000000000000000000a",
			})
		}
		if _, err := db.UpdateRun(ctx, long, func(*bot.Run) (bot.RunChange, error) {
			return bot.RunChange{Events: batch}, nil
		}); err != nil {
			b.Fatalf("seed events: %v", err)
		}
	}
	// A live database is vacuumed and analyzed by autovacuum as it grows;
	// a freshly seeded one not yet, which leaves its visibility map empty
	// (COUNT(*) then reads every row, not just the index) and its
	// statistics stale. Do now what autovacuum would do in a while.
	if seedURL != url { // Postgres
		raw, err := sql.Open("postgres", url)
		if err != nil {
			b.Fatal(err)
		}
		defer raw.Close()
		if _, err := raw.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			b.Fatalf("vacuum: %v", err)
		}
	}
	// Printed, not logged: the log of a benchmark with sub-benchmarks is
	// shown only with -v.
	fmt.Printf("seeded %d runs in %s (%.0f runs/s) and %d events on run %s in %s\n",
		nRuns, runsTook.Round(time.Millisecond), float64(nRuns)/runsTook.Seconds(),
		nEvents, long, time.Since(t0).Round(time.Millisecond))
	return long
}

// benchRun is the i-th run of the list benchmark, created at createAt, and
// its creation event: two checklists of four items like a real playbook's,
// one in five still active.
func benchRun(id, team string, i int, createAt int64) (bot.Run, bot.TimelineEvent) {
	owner := fmt.Sprintf("owner%020da", i%50)
	r := bot.Run{
		ID: id, Name: fmt.Sprintf("Incident %d: checkout errors", i), Description: "Runbook for checkout errors",
		IsActive: i%5 == 0, OwnerUserID: owner, ReporterUserID: owner, TeamID: team,
		CreateAt: createAt, ActiveStageTitle: "Triage", PlaybookID: "playbook0000000000000000001",
		ParticipantIDs: []string{owner}, BroadcastChannelIDs: []string{},
	}
	if !r.IsActive {
		r.EndAt = createAt + 3_600_000
	}
	for c, title := range []string{"Triage", "Resolve"} {
		cl := bot.Checklist{ID: fmt.Sprintf("%s-c%d", id[:20], c), Title: title}
		for j, item := range []string{"Page the on-call", "Assess the impact", "Post an update", "Open a status page"} {
			state := bot.ItemOpen
			if (i+j)%3 == 0 {
				state = bot.ItemClosed
			}
			cl.Items = append(cl.Items, bot.ChecklistItem{ID: fmt.Sprintf("%s-c%di%d", id[:20], c, j), Title: item, State: state})
		}
		r.Checklists = append(r.Checklists, cl)
	}
	ev := bot.TimelineEvent{
		ID: bot.NewID(), CreateAt: createAt, EventAt: createAt, EventType: bot.EventRunCreated,
		Summary: "Run started by @" + owner, CreatorUserID: owner,
	}
	return r, ev
}
