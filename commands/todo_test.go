package commands_test

import (
	"context"
	"os"

	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestTodoCap checks that /playbook todo stays within a chat post however
// much there is to do: of 30 items and 30 overdue runs, all with the
// longest titles and names (escaped characters doubling them), it shows
// at most 25 of each, counts the rest with a pointer to the REST API, and
// stays under Mattermost's 16383 characters.
func TestTodoCap(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var mu sync.Mutex
			clock := now
			svc := bot.NewService(bot.Config{Store: storetest.Open(t, kind), Chat: fakeChat{},
				Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
			team := bot.NewID()
			alice := bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}
			long := func(i int) string { return strconv.Itoa(i) + " " + strings.Repeat("*_", (bot.MaxTitleLen-4)/2) }
			items := make([]bot.ChecklistItem, 30)
			for i := range items {
				items[i] = bot.ChecklistItem{Title: long(i)}
			}
			pb, err := svc.CreatePlaybook(ctx, alice, bot.Playbook{Title: "P", TeamID: team,
				Checklists: []bot.Checklist{{Title: long(99), Items: items}}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 30 {
				r, err := svc.CreateRun(ctx, alice, bot.NewRun{Name: long(i), PlaybookID: pb.ID, OwnerUserID: alice.UserID})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := svc.UpdateStatus(ctx, alice, r.ID, "update", 60); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					for j := range items {
						if _, _, err := svc.SetItemAssignee(ctx, alice, r.ID, 0, j, alice.UserID); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			mu.Lock()
			clock = clock.Add(time.Hour)
			mu.Unlock()

			resp := commands.NewDispatcher(svc).Dispatch(ctx, commands.Request{Platform: "mattermost", Actor: alice, TeamID: team,
				ChannelID: bot.NewID(), Text: "todo"})
			if resp.InChannel {
				t.Error("todo answered in the channel, want the caller alone")
			}
			if n := len(resp.Text); n > 16383 {
				t.Errorf("the reply is %d characters long, more than a Mattermost post takes", n)
			}
			parts := strings.Split(resp.Text, "**Your runs waiting for a status update** (30)\n")
			if len(parts) != 2 || !strings.Contains(parts[0], "**Items assigned to you** (30)\n") {
				t.Fatalf("todo:\n%s\nwant both lists, of 30 each", resp.Text)
			}
			for i, p := range parts {
				lines := regexp.MustCompile(`(?m)^- `).FindAllStringIndex(p, -1)
				if len(lines) == 0 || len(lines) > 25 {
					t.Errorf("list %d shows %d entries, want 1 to 25", i, len(lines))
				}
				more := regexp.MustCompile(`…and (\d+) more: ` + "`GET /plugins/playbooks/api/v0/(tasks|runs)\\?team_id=" + team).FindStringSubmatch(p)
				if more == nil {
					t.Errorf("list %d does not count the rest:\n%s", i, p)
					continue
				}
				if n, _ := strconv.Atoi(more[1]); n+len(lines) != 30 {
					t.Errorf("list %d shows %d entries and %d more, want 30 in all", i, len(lines), n)
				}
			}
		})
	}
}

// BenchmarkTodo measures /playbook todo for a user who owns 200 runs in
// progress, all with an overdue status update and one open item assigned
// each, on SQLite (PLAYBOOKS_BENCH_KIND=postgres: Postgres).
func BenchmarkTodo(b *testing.B) {
	ctx := context.Background()
	kind := storetest.SQLite
	if k := os.Getenv("PLAYBOOKS_BENCH_KIND"); k != "" {
		kind = k
	}
	var mu sync.Mutex
	clock := now
	svc := bot.NewService(bot.Config{Store: storetest.Open(b, kind), Chat: fakeChat{},
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }})
	team := bot.NewID()
	alice := bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}
	pb, err := svc.CreatePlaybook(ctx, alice, bot.Playbook{Title: "P", TeamID: team,
		Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page"}, {Title: "Fix"}, {Title: "Tell"}}}}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		r, err := svc.CreateRun(ctx, alice, bot.NewRun{Name: "Run " + strconv.Itoa(i), PlaybookID: pb.ID, OwnerUserID: alice.UserID})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.UpdateStatus(ctx, alice, r.ID, "update", 60); err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.SetItemAssignee(ctx, alice, r.ID, 0, i%3, alice.UserID); err != nil {
			b.Fatal(err)
		}
	}
	mu.Lock()
	clock = clock.Add(time.Hour)
	mu.Unlock()
	d := commands.NewDispatcher(svc)
	req := commands.Request{Platform: "mattermost", Actor: alice, TeamID: team, ChannelID: bot.NewID(), Text: "todo"}
	b.ResetTimer()
	for b.Loop() {
		if resp := d.Dispatch(ctx, req); !strings.Contains(resp.Text, "(200)") {
			b.Fatalf("todo:\n%s", resp.Text)
		}
	}
}
