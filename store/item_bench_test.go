package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// BenchmarkItemUpdate measures one item update in the store alone, one
// client at a time, by the two ways the store offers: UpdateItem (the
// item's row, and its event) and UpdateRun (the run locked, its item rows
// diffed), on a run of 4 checklists of 16 items. Its p50 against the HTTP
// benchmark's (cmd/playbooks BenchmarkItemStateUpdates at 1 client) shows
// how much of a request the database takes.
//
//	go test ./store -run '^$' -bench ItemUpdate -benchtime 2000x
func BenchmarkItemUpdate(b *testing.B) {
	for _, kind := range storetest.Kinds() {
		b.Run(kind, func(b *testing.B) {
			db := storetest.Open(b, kind)
			ctx := context.Background()
			for _, how := range []string{"UpdateItem", "UpdateRun"} {
				b.Run(how, func(b *testing.B) {
					id := bot.NewID()
					if err := db.CreateRun(ctx, busyRun(id, 4, 16), nil); err != nil {
						b.Fatal(err)
					}
					lat := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for n := range b.N {
						c, i := n/16%4, n%16
						toggle := func(it *bot.ChecklistItem) (bot.RunChange, error) {
							it.State = map[bool]string{true: bot.ItemClosed, false: bot.ItemOpen}[it.State != bot.ItemClosed]
							return bot.RunChange{Events: []bot.TimelineEvent{testEvent(fmt.Sprintf("%s-e%d", id, n), 5, 5)}}, nil
						}
						t0 := time.Now()
						var err error
						if how == "UpdateItem" {
							_, err = db.UpdateItem(ctx, id, bot.ItemRef{Checklist: c, Item: i}, func(ri *bot.RunItem) (bot.RunChange, error) {
								return toggle(&ri.Item)
							})
						} else {
							_, err = db.UpdateRun(ctx, id, func(r *bot.Run) (bot.RunChange, error) {
								return toggle(&r.Checklists[c].Items[i])
							})
						}
						if err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Since(t0))
					}
					b.StopTimer()
					reportLatency(b, lat)
				})
			}
		})
	}
}

// reportLatency reports the p50 and p99 of lat in ms.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
