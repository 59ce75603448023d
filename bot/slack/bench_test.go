package slack_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// BenchmarkSlashCommand measures a slash command from Slack's signed
// request to the bot's answer, signature and replay checked, on Postgres:
// /playbook info (reads the run) and /playbook check 0 0 (toggles an item,
// which rewrites the checklist message over the Web API before
// answering). It reports the median and 99th percentile latencies.
func BenchmarkSlashCommand(b *testing.B) {
	s := startRun(b, storetest.Postgres)
	// The bot's latency, not Slack's limits: thousands of calls within one
	// minute of the double's clock, which does not move, would all be 429s.
	s.sl.RateLimits(false)
	ctx := context.Background()
	for _, bc := range []struct{ name, text string }{
		{"info", "info"},
		{"check", "check 0 0"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				resp, err := s.sl.SlashCommand(ctx, slacktest.Slash{UserID: s.alice.ID, ChannelID: s.channel, Text: bc.text})
				lat = append(lat, time.Since(start))
				if err != nil || resp.Status != 200 {
					b.Fatalf("%v, status %d: %s", err, resp.Status, resp.Body)
				}
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
	}
}
