package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// longHistoryEvents is how many timeline events the long run of
// BenchmarkLongHistory has: about what the run of issue 15 collected.
const longHistoryEvents = 25_000

// BenchmarkLongHistory reads a team of 100 runs, one of which has 25,000
// timeline events and 100 status updates: the list page without and with
// include, the long run by ID, and its whole timeline through the export's
// pages. It reports the median and 99th percentile latency and the size of
// the answer as JSON.
func BenchmarkLongHistory(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			ctx := context.Background()
			url := storetest.MigratedURL(b, kind)
			db, err := store.Open(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			seedLongHistory(b, db, kind, url)
			page := func(in bot.RunInclude) func() (any, error) {
				return func() (any, error) {
					return db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "desc", PerPage: 100, Include: in})
				}
			}
			for _, c := range []struct {
				name string
				read func() (any, error)
			}{
				{"list", page(bot.RunInclude{})},
				{"list-include", page(bot.RunInclude{TimelineEvents: true, StatusUpdates: true})},
				{"run", func() (any, error) { return db.Run(ctx, "long") }},
				{"export-pages", func() (any, error) {
					var all []bot.TimelineEvent
					after := ""
					for {
						p, err := db.TimelineEvents(ctx, "long", after, 1000)
						if err != nil {
							return nil, err
						}
						all = append(all, p.Events...)
						if p.Next == "" {
							if len(all) != longHistoryEvents {
								return nil, fmt.Errorf("got %d events, want %d", len(all), longHistoryEvents)
							}
							return all, nil
						}
						after = p.Next
					}
				}},
			} {
				b.Run(c.name, func(b *testing.B) {
					var lat []time.Duration
					var size int
					for b.Loop() {
						start := time.Now()
						v, err := c.read()
						lat = append(lat, time.Since(start))
						if err != nil {
							b.Fatal(err)
						}
						if size == 0 {
							j, err := json.Marshal(v)
							if err != nil {
								b.Fatal(err)
							}
							size = len(j)
						}
					}
					slices.Sort(lat)
					ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
					b.ReportMetric(ms(0.50), "p50-ms")
					b.ReportMetric(ms(0.99), "p99-ms")
					b.ReportMetric(float64(size), "json-bytes")
				})
			}
		})
	}
}

// seedLongHistory stores 100 runs in team1, each with one event, and gives
// the run "long" longHistoryEvents events and 100 status updates, written
// with multi-row INSERTs.
func seedLongHistory(b *testing.B, db *store.DB, kind, url string) {
	b.Helper()
	ctx := context.Background()
	for i := range 100 {
		id := fmt.Sprintf("run%03d", i)
		if i == 50 {
			id = "long"
		}
		r := testRun(id, "team1", "run "+id, "u1")
		r.CreateAt = int64(1000 + i)
		if err := db.CreateRun(ctx, r, []bot.TimelineEvent{testEvent("ev-"+id, r.CreateAt, r.CreateAt)}); err != nil {
			b.Fatal(err)
		}
	}
	x, err := sqlx.Open(kind, url)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	tx, err := x.Beginx()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	var rows [][]any
	for i := range longHistoryEvents - 1 {
		at := int64(2000 + i)
		rows = append(rows, []any{fmt.Sprintf("long-ev-%06d", i), "long", at, at, bot.EventItemUpdated,
			fmt.Sprintf("Item %d checked by @someone", i), "u1", int64(i + 2)})
		if len(rows) == 500 {
			insertRows(b, tx, "timeline_events", "id, run_id, create_at, event_at, event_type, summary, creator_user_id, seq", rows)
			rows = rows[:0]
		}
	}
	insertRows(b, tx, "timeline_events", "id, run_id, create_at, event_at, event_type, summary, creator_user_id, seq", rows)
	rows = rows[:0]
	for i := range 100 {
		rows = append(rows, []any{fmt.Sprintf("long-su-%03d", i), "long", "u1", fmt.Sprintf("Status %d", i), 0, int64(3000 + i)})
	}
	insertRows(b, tx, "status_updates", "id, run_id, user_id, message, reminder, create_at", rows)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := x.Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
}
