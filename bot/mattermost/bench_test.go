package mattermost_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// BenchmarkSlashCommand measures a slash command from Mattermost's request
// to the bot's answer, token checked, on Postgres: /playbook info (reads
// the run) and /playbook check 0 0 (toggles an item, which rewrites the
// checklist post over the REST API before answering). It reports the
// median and 99th percentile latencies.
func BenchmarkSlashCommand(b *testing.B) {
	s := startRun(b, storetest.Postgres)
	ctx := context.Background()
	for _, bc := range []struct{ name, text string }{
		{"info", "info"},
		{"check", "check 0 0"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				_, err := s.mm.SlashCommand(ctx, mmtest.Slash{UserID: s.alice.Id, ChannelID: s.channel, Text: bc.text})
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
	}
}
