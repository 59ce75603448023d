package store_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// The tasks data set: taskRuns runs of taskTeam with taskItems items each
// (two checklists of three), and a few runs of another team. Every field
// derives from the run's and item's numbers (taskItem), so that the
// expected counts are computed in Go, apart from the SQL under test.
const (
	taskRuns      = 10_000
	taskOtherRuns = 100
	taskItems     = 6
	taskTeam      = "taskteam000000000000000001"
	taskOtherTeam = "taskteam000000000000000002"
	taskBenchDB   = "bench_tasks_10k"
)

var (
	taskBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	// taskNow is half-way through the due dates.
	taskNow = taskBase + taskRuns*taskItems/2*60_000
)

// taskRunOf describes run i: active unless i%4 == 0; private (with channel
// "ch…") when i%10 == 0, public otherwise.
func taskRunOf(i int) (id, channel string, active, public bool) {
	return fmt.Sprintf("task%022d", i), fmt.Sprintf("ch%024d", i), i%4 != 0, i%10 != 0
}

// taskItem is item j of run i: its state, assignee and due date (none
// when (i+j)%5 == 0).
func taskItem(i, j int) bot.ChecklistItem {
	states := []string{bot.ItemOpen, bot.ItemInProgress, bot.ItemClosed}
	it := bot.ChecklistItem{
		ID: fmt.Sprintf("it%d-%d", i, j), Title: fmt.Sprintf("item %d of %d", j, i),
		State: states[(i+j)%3], AssigneeID: fmt.Sprintf("user%022d", (i+j)%7),
	}
	if (i+j)%5 != 0 {
		it.DueDate = taskBase + int64(i*taskItems+j)*60_000
	}
	return it
}

// seedTasks10k fills the database at url (migrated) with the data set
// unless it holds it already, with multi-row INSERTs in one transaction.
func seedTasks10k(tb testing.TB, driver, url string) {
	tb.Helper()
	x, err := sqlx.Open(driver, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer x.Close()
	var n int
	if err := x.Get(&n, "SELECT COUNT(*) FROM runs"); err != nil {
		tb.Fatal(err)
	}
	if n == taskRuns+taskOtherRuns {
		return
	}
	start := time.Now()
	tx, err := x.Beginx()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("DELETE FROM runs"); err != nil {
		tb.Fatal(err)
	}
	const cols = "id, name, description, is_active, public, owner_user_id, reporter_user_id, team_id, channel_id, " +
		"create_at, end_at, active_stage, active_stage_title, playbook_id, checklists"
	const itemCols = "run_id, checklist, position, id, title, state, state_modified, assignee_id, " +
		"assignee_modified, command, command_last_run, description, due_date"
	var rows, items [][]any
	for i := range taskRuns + taskOtherRuns {
		id, channel, active, public := taskRunOf(i)
		team := taskTeam
		if i >= taskRuns {
			team = taskOtherTeam
		}
		// runs.checklists holds the checklists' IDs and titles; their
		// items are rows of run_items.
		var cs []bot.Checklist
		for c := range 2 {
			cl := bot.Checklist{ID: fmt.Sprintf("%s-c%d", id, c), Title: fmt.Sprintf("stage %d", c)}
			for j := c * 3; j < c*3+3; j++ {
				it := taskItem(i, j)
				items = append(items, []any{id, c, j - c*3, it.ID, it.Title, it.State, it.StateModified,
					it.AssigneeID, it.AssigneeModified, it.Command, it.CommandLastRun, it.Description, it.DueDate})
			}
			cs = append(cs, cl)
		}
		checklists, err := json.Marshal(cs)
		if err != nil {
			tb.Fatal(err)
		}
		var endAt int64
		if !active {
			endAt = taskBase + int64(i)*1000 + 500
		}
		rows = append(rows, []any{id, fmt.Sprintf("run %d", i), "", active, public, "owner", "owner", team, channel,
			taskBase + int64(i)*1000, endAt, 0, "stage 0", "playbook", string(checklists)})
		if len(rows) == 500 || i == taskRuns+taskOtherRuns-1 {
			insertTaskRows(tb, tx, "runs", cols, rows)
			for batch := range slices.Chunk(items, 1000) {
				insertTaskRows(tb, tx, "run_items", itemCols, batch)
			}
			rows, items = rows[:0], items[:0]
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := x.Exec("ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d runs into %s in %s", taskRuns+taskOtherRuns, driver, time.Since(start).Round(time.Millisecond))
}

// insertTaskRows inserts rows into table with one multi-row INSERT.
func insertTaskRows(tb testing.TB, tx *sqlx.Tx, table, cols string, rows [][]any) {
	tb.Helper()
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(tuple+", ", len(rows)), ", ")
	args := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		args = append(args, r...)
	}
	if _, err := tx.Exec(tx.Rebind(q), args...); err != nil {
		tb.Fatalf("insert into %s: %v", table, err)
	}
}

// openTasks10k returns a migrated store at url holding the data set.
func openTasks10k(tb testing.TB, driver, url string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	seedTasks10k(tb, driver, url)
	return db
}

// TestListTasks10k checks ListTasks's counts and pages over 10 000 runs
// against the same selection made in Go.
func TestListTasks10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000 runs")
	}
	if raceEnabled {
		// Under the race detector the pure-Go SQLite driver takes minutes
		// over 10 000 runs; the query has no goroutines of its own to race.
		// scripts/test runs this test on its own without -race.
		t.Skip("10 000 runs: run without -race by scripts/test (go test -run TestListTasks10k ./store/)")
	}
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := openTasks10k(t, kind, storetest.URL(t, kind))
			ctx := context.Background()
			visible := []string{} // the channels of private runs 0, 100, 200, …
			for i := 0; i < taskRuns; i += 100 {
				_, ch, _, _ := taskRunOf(i)
				visible = append(visible, ch)
			}
			type filter struct {
				name string
				runs bot.RunFilter
				f    bot.TaskFilter
			}
			open := []string{bot.ItemOpen, bot.ItemInProgress}
			for _, tc := range []filter{
				{"admin, default", bot.RunFilter{}, bot.TaskFilter{States: open, RunStatuses: []string{bot.StatusInProgress}}},
				{"outsider, default", bot.RunFilter{OnlyVisible: true}, bot.TaskFilter{States: open, RunStatuses: []string{bot.StatusInProgress}}},
				{"some channels, all", bot.RunFilter{OnlyVisible: true, VisibleChannelIDs: visible},
					bot.TaskFilter{States: []string{"", "in_progress", "closed"}, RunStatuses: []string{bot.StatusInProgress, bot.StatusFinished}}},
				{"assignee, overdue", bot.RunFilter{}, bot.TaskFilter{AssigneeID: fmt.Sprintf("user%022d", 3), States: open,
					RunStatuses: []string{bot.StatusInProgress, bot.StatusFinished}, Overdue: true}},
				{"finished, closed, due window", bot.RunFilter{}, bot.TaskFilter{States: []string{"closed"}, RunStatuses: []string{bot.StatusFinished},
					DueAfter: taskBase + 10_000*60_000, DueBefore: taskBase + 40_000*60_000}},
			} {
				// The expected selection, in the default order: due date
				// (none last), then run creation (i), then run ID, checklist, item.
				type key struct {
					due  int64
					i, j int
				}
				var want []key
				for i := range taskRuns {
					_, ch, active, public := taskRunOf(i)
					if (active && !slices.Contains(tc.f.RunStatuses, bot.StatusInProgress)) || (!active && !slices.Contains(tc.f.RunStatuses, bot.StatusFinished)) {
						continue
					}
					if tc.runs.OnlyVisible && !public && !slices.Contains(tc.runs.VisibleChannelIDs, ch) {
						continue
					}
					for j := range taskItems {
						it := taskItem(i, j)
						switch {
						case !slices.Contains(tc.f.States, it.State),
							tc.f.AssigneeID != "" && it.AssigneeID != tc.f.AssigneeID,
							tc.f.Overdue && !(it.DueDate > 0 && it.DueDate < taskNow && it.State != bot.ItemClosed),
							tc.f.DueBefore > 0 && !(it.DueDate > 0 && it.DueDate < tc.f.DueBefore),
							tc.f.DueAfter > 0 && !(it.DueDate > tc.f.DueAfter):
							continue
						}
						want = append(want, key{it.DueDate, i, j})
					}
				}
				slices.SortFunc(want, func(a, b key) int {
					if (a.due == 0) != (b.due == 0) {
						if a.due == 0 {
							return 1
						}
						return -1
					}
					if a.due != b.due {
						return int(a.due - b.due)
					}
					return a.i*10 + a.j - b.i*10 - b.j
				})
				tc.f.TeamID, tc.f.Sort, tc.f.Direction, tc.f.PerPage = taskTeam, "due_date", "asc", 100
				if len(want) == 0 {
					t.Fatalf("%s: the data set has nothing to find", tc.name)
				}
				last := (len(want) - 1) / 100
				for _, page := range []int{0, last / 2, last} {
					tc.f.Page = page
					p, err := db.ListTasks(ctx, tc.runs, tc.f, taskNow)
					if err != nil {
						t.Fatalf("%s: %v", tc.name, err)
					}
					if p.TotalCount != len(want) || p.PageCount != last+1 || p.HasMore != (page < last) {
						t.Errorf("%s, page %d: total %d, pages %d, has_more %v; want %d, %d, %v",
							tc.name, page, p.TotalCount, p.PageCount, p.HasMore, len(want), last+1, page < last)
					}
					var got, wantPage []string
					for _, task := range p.Items {
						got = append(got, task.Item.ID)
					}
					for _, k := range want[page*100 : min(len(want), page*100+100)] {
						wantPage = append(wantPage, taskItem(k.i, k.j).ID)
					}
					if !slices.Equal(got, wantPage) {
						t.Errorf("%s, page %d: got items %v, want %v", tc.name, page, got, wantPage)
					}
				}
				t.Logf("%s: %d tasks", tc.name, len(want))
			}
		})
	}
}

// BenchmarkListTasks lists pages of 100 tasks of a team of 10 000 runs (six
// items each), rotating through sorts, directions, filters and pages, as
// an outsider of the private runs, and reports the median and 99th
// percentile latency of a page. The data set is kept between runs (a
// Postgres schema, an SQLite file in the system's temporary folder).
func BenchmarkListTasks(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		admin := storetest.PostgresDB(b)
		if _, err := admin.Exec("CREATE SCHEMA IF NOT EXISTS " + taskBenchDB); err != nil {
			b.Fatal(err)
		}
		benchmarkListTasks(b, openTasks10k(b, "postgres", storetest.WithSearchPath(b, storetest.PostgresURL(), taskBenchDB)))
	})
	b.Run("sqlite", func(b *testing.B) {
		dir := filepath.Join(os.TempDir(), "playbooks-bench")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		benchmarkListTasks(b, openTasks10k(b, "sqlite", filepath.Join(dir, taskBenchDB+".db")))
	})
}

// benchmarkListTasks measures three kinds of list: the team's open items
// (every item of every active run is read), one assignee's (the
// /playbook todo case: runs are tested on their JSON text first) and the
// overdue ones.
func benchmarkListTasks(b *testing.B, db *store.DB) {
	open := []string{bot.ItemOpen, bot.ItemInProgress}
	for _, tc := range []struct {
		name string
		f    bot.TaskFilter
	}{
		{"open", bot.TaskFilter{States: open, RunStatuses: []string{bot.StatusInProgress}}},
		{"assignee", bot.TaskFilter{States: open, RunStatuses: []string{bot.StatusInProgress}, AssigneeID: fmt.Sprintf("user%022d", 3)}},
		{"overdue", bot.TaskFilter{States: open, RunStatuses: []string{bot.StatusInProgress, bot.StatusFinished}, Overdue: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			var lat []time.Duration
			i := 0
			for b.Loop() {
				f := tc.f
				f.TeamID, f.PerPage = taskTeam, 100
				f.Sort = bot.TaskSortFields[i%len(bot.TaskSortFields)]
				f.Direction = []string{"asc", "desc"}[(i/3)%2]
				f.Page = (i * 7) % 20
				start := time.Now()
				p, err := db.ListTasks(ctx, bot.RunFilter{OnlyVisible: true}, f, taskNow)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if p.TotalCount == 0 || len(p.Items) != 100 {
					b.Fatalf("got %d of %d tasks", len(p.Items), p.TotalCount)
				}
				i++
			}
			slices.Sort(lat)
			ms := func(q float64) float64 {
				return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}
