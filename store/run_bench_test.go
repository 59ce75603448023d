package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// The benchmark's data set: benchRuns runs in one team, benchOtherRuns in
// another, kept between runs of the benchmark (a Postgres schema, an SQLite
// file in the system's temporary folder) and seeded again only when its
// counts are off.
const (
	benchRuns      = 100_000
	benchOtherRuns = 300
	benchTeam      = "benchteam00000000000000001"
	benchOtherTeam = "benchteam00000000000000002"
	benchSchema    = "bench_runs_100k"
	benchPerPage   = 100
)

// BenchmarkListRuns lists pages of 100 runs of a team of 100 000, rotating
// through sort fields, directions and pages, and reports the median and 99th
// percentile latency of a page.
func BenchmarkListRuns(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		admin := storetest.PostgresDB(b)
		if _, err := admin.Exec("CREATE SCHEMA IF NOT EXISTS " + benchSchema); err != nil {
			b.Fatal(err)
		}
		url := storetest.WithSearchPath(b, storetest.PostgresURL(), benchSchema)
		benchmarkListRuns(b, "postgres", url)
	})
	b.Run("sqlite", func(b *testing.B) {
		url := filepath.Join(os.TempDir(), "playbooks-bench", "runs_100k.db")
		benchmarkListRuns(b, "sqlite", url)
	})
}

func benchmarkListRuns(b *testing.B, driver, url string) {
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	seedBench(b, driver, url)

	pages := benchRuns / benchPerPage
	var lat []time.Duration
	i := 0
	for b.Loop() {
		f := bot.RunFilter{
			TeamID:    benchTeam,
			Sort:      bot.RunSortFields[i%len(bot.RunSortFields)],
			Direction: []string{"asc", "desc"}[(i/len(bot.RunSortFields))%2],
			Page:      (i * 7919) % pages,
			PerPage:   benchPerPage,
		}
		start := time.Now()
		list, err := db.ListRuns(ctx, f)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if list.TotalCount != benchRuns || len(list.Items) != benchPerPage {
			b.Fatalf("got %d of %d runs, want %d of %d", len(list.Items), list.TotalCount, benchPerPage, benchRuns)
		}
		i++
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// seedBench fills the database at url with the benchmark's runs unless it
// holds them already. It writes with multi-row INSERTs in one transaction.
func seedBench(b *testing.B, driver, url string) {
	b.Helper()
	x, err := sqlx.Open(driver, url)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	var n, other int
	if err := x.Get(&n, x.Rebind("SELECT COUNT(*) FROM runs WHERE team_id = ?"), benchTeam); err != nil {
		b.Fatal(err)
	}
	if err := x.Get(&other, x.Rebind("SELECT COUNT(*) FROM runs WHERE team_id = ?"), benchOtherTeam); err != nil {
		b.Fatal(err)
	}
	if n == benchRuns && other == benchOtherRuns {
		return
	}
	start := time.Now()
	tx, err := x.Beginx()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for _, table := range []string{"timeline_events", "status_updates", "run_participants", "runs"} {
		if _, err := tx.Exec("DELETE FROM " + table); err != nil {
			b.Fatal(err)
		}
	}
	var (
		runs, participants, events, updates [][]any
		rng                                 = rand.New(rand.NewPCG(1, 2))
		words                               = []string{"database", "outage", "latency", "login", "payments",
			"search", "api", "disk", "memory", "network", "certificate", "deploy"}
		base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	)
	// Every 500 runs, write them and then what refers to them.
	flush := func(force bool) {
		if len(runs) < 500 && !force {
			return
		}
		for _, t := range []struct {
			table string
			cols  string
			rows  *[][]any
		}{
			{"runs", "id, name, description, is_active, owner_user_id, reporter_user_id, team_id, channel_id, " +
				"create_at, end_at, active_stage, active_stage_title, playbook_id, checklists, last_status_update_at", &runs},
			{"run_participants", "run_id, user_id", &participants},
			{"timeline_events", "id, run_id, create_at, event_at, event_type, summary, creator_user_id", &events},
			{"status_updates", "id, run_id, user_id, message, reminder, create_at", &updates},
		} {
			if len(*t.rows) > 0 {
				insertRows(b, tx, t.table, t.cols, *t.rows)
				*t.rows = (*t.rows)[:0]
			}
		}
	}
	for i := range benchRuns + benchOtherRuns {
		team := benchTeam
		if i >= benchRuns {
			team = benchOtherTeam
		}
		id := fmt.Sprintf("run%023d", i)
		owner := fmt.Sprintf("owner%021d", rng.IntN(50))
		createAt := base + int64(i)*60_000 + rng.Int64N(60_000)
		active := rng.IntN(5) == 0
		var endAt, lastUpdate int64
		if !active {
			endAt = createAt + rng.Int64N(86_400_000)
		}
		name := fmt.Sprintf("%s %s %d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], i)
		checklists, err := json.Marshal(benchChecklists(id, rng))
		if err != nil {
			b.Fatal(err)
		}
		if i%4 == 0 {
			lastUpdate = createAt + 600_000
			updates = append(updates, []any{"su" + id[3:], id, owner, "Status of " + name, 3600, lastUpdate})
		}
		runs = append(runs, []any{id, name, "Runbook for " + name, active, owner, owner, team,
			"ch" + id[3:], createAt, endAt, rng.IntN(2), "Stage", "playbook0000000000000000001",
			string(checklists), lastUpdate})
		participants = append(participants, []any{id, owner})
		if helper := fmt.Sprintf("user%022d", rng.IntN(200)); helper != owner {
			participants = append(participants, []any{id, helper})
		}
		events = append(events, []any{"ev" + id[3:], id, createAt, createAt, bot.EventRunCreated, "Run started", owner})
		flush(false)
	}
	flush(true)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	analyze := "ANALYZE"
	if driver == "postgres" {
		analyze = "VACUUM ANALYZE"
	}
	if _, err := x.Exec(analyze); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d runs into %s in %s", benchRuns+benchOtherRuns, driver, time.Since(start).Round(time.Millisecond))
}

// benchChecklists returns two small checklists with some items done.
func benchChecklists(id string, rng *rand.Rand) []bot.Checklist {
	states := []string{bot.ItemOpen, bot.ItemInProgress, bot.ItemClosed}
	var cs []bot.Checklist
	for c, title := range []string{"Triage", "Resolve"} {
		cl := bot.Checklist{ID: fmt.Sprintf("%s-c%d", id, c), Title: title}
		for i, item := range []string{"Page the on-call", "Assess the impact", "Post an update"} {
			cl.Items = append(cl.Items, bot.ChecklistItem{
				ID: fmt.Sprintf("%s-c%d-i%d", id, c, i), Title: item, State: states[rng.IntN(len(states))],
			})
		}
		cs = append(cs, cl)
	}
	return cs
}

// insertRows inserts rows into table with one multi-row INSERT.
func insertRows(b *testing.B, tx *sqlx.Tx, table, cols string, rows [][]any) {
	b.Helper()
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	args := make([]any, 0, len(rows)*len(rows[0]))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
		args = append(args, r...)
	}
	if _, err := tx.Exec(tx.Rebind(q.String()), args...); err != nil {
		b.Fatalf("insert into %s: %v", table, err)
	}
}
