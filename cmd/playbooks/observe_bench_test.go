package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// BenchmarkServeSlashCommand measures a slash command through the whole
// server (the access logger and metrics included), from Mattermost's
// request to the answer, on SQLite: /playbook help (no database: the HTTP
// path alone, where the per-request overhead weighs most) and /playbook
// check 0 0 (toggles an item, rewrites the checklist post). It reports the
// median and 99th percentile latencies.
//
//	go test ./cmd/playbooks -run '^$' -bench ServeSlashCommand -benchtime 500x
func BenchmarkServeSlashCommand(b *testing.B) {
	site := newBenchSite(b)
	env := site.env
	env["PLAYBOOKS_DATABASE_URL"] = testDatabaseURLs(b)["sqlite"]
	srv := startServer(b, env)
	base := srv.URL + "/plugins/playbooks/api/v0"
	token := site.mm.AddToken(site.alice.Id)
	var pb struct{ ID string }
	if code := call(b, "POST", base+"/playbooks", token, map[string]any{
		"title": "Bench", "team_id": site.team.Id, "create_public_playbook_run": true,
		"checklists": []any{map[string]any{"title": "All", "items": []any{map[string]any{"title": "Step"}}}},
	}, &pb); code != 201 {
		b.Fatalf("create playbook: %d", code)
	}
	var run struct {
		ChannelID string `json:"channel_id"`
	}
	if code := call(b, "POST", base+"/runs", token, map[string]any{
		"name": "Bench run", "owner_user_id": site.alice.Id, "team_id": site.team.Id, "playbook_id": pb.ID,
	}, &run); code != 201 {
		b.Fatalf("create run: %d", code)
	}
	ctx := context.Background()
	for _, bc := range []struct{ name, text, channel string }{
		{"help", "help", site.town.Id},
		{"check", "check 0 0", run.ChannelID},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				_, err := site.mm.SlashCommand(ctx, mmtest.Slash{UserID: site.alice.Id, ChannelID: bc.channel, Text: bc.text})
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

// benchSite is a test Mattermost with team acme, alice in town-square, and
// the environment `mattermost setup` printed for it (newMMSite and setup,
// for a benchmark).
type benchSite struct {
	mm    *mmtest.Server
	team  *model.Team
	alice *model.User
	town  *model.Channel
	env   map[string]string
}

func newBenchSite(b *testing.B) *benchSite {
	mm := mmtest.New(b)
	s := &benchSite{mm: mm, team: mm.AddTeam("acme")}
	admin := mm.AddAdmin("root", s.team.Id)
	s.alice = mm.AddUser("alice", s.team.Id)
	s.town = mm.AddChannel(s.team.Id, "town-square", model.ChannelTypeOpen, s.alice.Id)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	public := "http://" + ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"mattermost", "setup", "--url", mm.URL, "--token", mm.AddToken(admin.Id),
		"--team", "acme", "--public-url", public}, func(string) string { return "" }, &out, io.Discard); err != nil {
		b.Fatalf("mattermost setup: %v", err)
	}
	s.env = map[string]string{}
	for _, m := range envLine.FindAllStringSubmatch(out.String(), -1) {
		s.env[m[1]] = m[2]
	}
	return s
}
