package mattermost_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
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

// BenchmarkDialogSubmission measures a dialog submission from Mattermost's
// request to the bot's answer, on Postgres: the request as Mattermost forms
// it (JSON with the signed state the dialog was opened with, every element
// at its default or value) over HTTP to the bot, which verifies the state,
// records it as used, runs the change and posts its result. Each
// submission needs a freshly opened dialog (a state is used once): it is
// opened by its slash command with the timer stopped. status_update posts a
// status update (/playbook update); check_item checks an item off
// (/playbook check). It reports the median and 99th percentile latencies
// of the submission alone.
func BenchmarkDialogSubmission(b *testing.B) {
	s := startRun(b, storetest.Postgres)
	ctx := context.Background()
	for _, bc := range []struct {
		name, text, callbackID string
		values                 map[string]any
	}{
		{"status_update", "update", dialogs.StatusUpdate,
			map[string]any{dialogs.StatusMessage: "Rolled back; errors are down.", dialogs.StatusReminder: "900"}},
		{"check_item", "check", dialogs.CheckItem, map[string]any{dialogs.CheckItemItem: "0 0"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				b.StopTimer()
				s.slash(b, s.alice, s.channel, bc.text)
				d := s.dialog(b, bc.callbackID)
				b.StartTimer()
				start := time.Now()
				resp, err := s.mm.SubmitDialog(ctx, d, bc.values)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if resp.Error != "" || len(resp.Errors) > 0 {
					b.Fatalf("submit %s: got errors %q %v, want none", bc.callbackID, resp.Error, resp.Errors)
				}
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
	}
}

// BenchmarkListPrivateRuns measures what the visibility rule costs a
// list: GET /runs for a non-admin in a team of 40 private runs (bob is in
// the channels of 10), each asked of Mattermost as the bot
// (GET /channels/{id}/members/{user}, 8 at a time), then filtered in SQL,
// on Postgres. An admin's list, which asks nothing, is the baseline.
func BenchmarkListPrivateRuns(b *testing.B) {
	e := newEnv(b, storetest.Postgres)
	ctx := context.Background()
	pb := e.playbook(b)
	for i := range 40 {
		r, err := e.svc.CreateRun(ctx, e.admin, bot.NewRun{Name: fmt.Sprintf("Incident %d", i), PlaybookID: pb.ID, OwnerUserID: e.alice.Id})
		if err != nil {
			b.Fatal(err)
		}
		if i%4 == 0 {
			e.mm.AddChannelMember(r.ChannelID, e.bob.Id)
		}
	}
	bob := bot.Actor{UserID: e.bob.Id, TeamIDs: []string{e.team.Id}}
	for _, bc := range []struct {
		name  string
		actor bot.Actor
		want  int
	}{
		{"admin", e.admin, 40},
		{"member-of-10", bob, 10},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				l, err := e.svc.ListRuns(ctx, bc.actor, bot.RunFilter{TeamID: e.team.Id, PerPage: 100})
				if err != nil {
					b.Fatal(err)
				}
				if l.TotalCount != bc.want {
					b.Fatalf("listed %d runs, want %d", l.TotalCount, bc.want)
				}
			}
		})
	}
}
