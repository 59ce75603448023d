package store_test

import (
	"context"
	"fmt"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// seedTasks stores runs of team1 (and one of team2) whose items cover every
// filter: states, assignees, due dates in the past, the future and none.
// now is 10_000.
func seedTasks(t *testing.T, db *store.DB) {
	t.Helper()
	mk := func(id string, active, public bool, createAt int64, channel string, items ...bot.ChecklistItem) bot.Run {
		r := testRun(id, "team1", "run "+id, "o1")
		r.IsActive, r.Public, r.CreateAt, r.ChannelID = active, public, createAt, channel
		if !active {
			r.CurrentStatus = bot.StatusFinished
		}
		r.Checklists = []bot.Checklist{
			{ID: id + "-c0", Title: "Triage", Items: items[:1]},
			{ID: id + "-c1", Title: "Fix", Items: items[1:]},
		}
		return r
	}
	it := func(id, state, assignee string, due int64) bot.ChecklistItem {
		return bot.ChecklistItem{ID: id, Title: "t " + id, State: state, AssigneeID: assignee, DueDate: due}
	}
	runs := []bot.Run{
		mk("ra", true, true, 100, "ca",
			it("a0", "", "u1", 5_000), it("a1", "in_progress", "u2", 20_000), it("a2", "closed", "u1", 1_000)),
		mk("rb", true, false, 200, "cb",
			it("b0", "", "u1", 0), it("b1", "", "u1", 15_000)),
		mk("rc", false, true, 300, "cc",
			it("c0", "", "u1", 2_000), it("c1", "closed", "u2", 0)),
		mk("rd", true, true, 400, "",
			it("d0", "in_progress", "", 9_000), it("d1", "", "u2", 0)),
	}
	other := mk("rz", true, true, 50, "cz", it("z0", "", "u1", 1), it("z1", "", "u1", 1))
	other.TeamID = "team2"
	for _, r := range append(runs, other) {
		if err := db.CreateRun(context.Background(), r, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// taskKeys names a page's tasks by run, checklist and item index.
func taskKeys(p bot.TaskPage) []string {
	keys := []string{}
	for _, task := range p.Items {
		keys = append(keys, fmt.Sprintf("%s/%d/%d=%s", task.RunID, task.ChecklistIndex, task.ItemIndex, task.Item.ID))
	}
	return keys
}

func TestListTasks(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		seedTasks(t, db)
		ctx := context.Background()
		open := []string{bot.ItemOpen, bot.ItemInProgress}
		all := []string{bot.ItemOpen, bot.ItemInProgress, bot.ItemClosed}
		active := []string{bot.StatusInProgress}
		both := []string{bot.StatusInProgress, bot.StatusFinished}
		base := func() bot.TaskFilter {
			return bot.TaskFilter{TeamID: "team1", States: open, RunStatuses: active, Sort: "due_date", Direction: "asc", PerPage: 100}
		}
		tests := []struct {
			name string
			runs bot.RunFilter
			f    func(f *bot.TaskFilter)
			want []string
		}{
			{"default: open items of active runs by due date, none last", bot.RunFilter{}, func(f *bot.TaskFilter) {},
				[]string{"ra/0/0=a0", "rd/0/0=d0", "rb/1/0=b1", "ra/1/0=a1", "rb/0/0=b0", "rd/1/0=d1"}},
			{"desc keeps items without a due date last", bot.RunFilter{}, func(f *bot.TaskFilter) { f.Direction = "desc" },
				[]string{"ra/1/0=a1", "rb/1/0=b1", "rd/0/0=d0", "ra/0/0=a0", "rd/1/0=d1", "rb/0/0=b0"}},
			{"assignee", bot.RunFilter{}, func(f *bot.TaskFilter) { f.AssigneeID = "u1" },
				[]string{"ra/0/0=a0", "rb/1/0=b1", "rb/0/0=b0"}},
			{"closed only, both run statuses", bot.RunFilter{}, func(f *bot.TaskFilter) { f.States, f.RunStatuses = []string{"closed"}, both },
				[]string{"ra/1/1=a2", "rc/1/0=c1"}},
			{"finished runs", bot.RunFilter{}, func(f *bot.TaskFilter) { f.RunStatuses = []string{bot.StatusFinished}; f.States = all },
				[]string{"rc/0/0=c0", "rc/1/0=c1"}},
			{"due before", bot.RunFilter{}, func(f *bot.TaskFilter) { f.DueBefore = 15_000 },
				[]string{"ra/0/0=a0", "rd/0/0=d0"}},
			{"due after", bot.RunFilter{}, func(f *bot.TaskFilter) { f.DueAfter = 9_000 },
				[]string{"rb/1/0=b1", "ra/1/0=a1"}},
			{"overdue: past and not closed", bot.RunFilter{}, func(f *bot.TaskFilter) { f.Overdue, f.States, f.RunStatuses = true, all, both },
				[]string{"rc/0/0=c0", "ra/0/0=a0", "rd/0/0=d0"}},
			{"run create_at desc", bot.RunFilter{}, func(f *bot.TaskFilter) { f.Sort, f.Direction = "run_create_at", "desc" },
				[]string{"rd/1/0=d1", "rd/0/0=d0", "rb/1/0=b1", "rb/0/0=b0", "ra/1/0=a1", "ra/0/0=a0"}},
			{"title", bot.RunFilter{}, func(f *bot.TaskFilter) { f.Sort = "title" },
				[]string{"ra/0/0=a0", "ra/1/0=a1", "rb/0/0=b0", "rb/1/0=b1", "rd/0/0=d0", "rd/1/0=d1"}},
			{"private run hidden when its channel is not visible", bot.RunFilter{OnlyVisible: true}, func(f *bot.TaskFilter) {},
				[]string{"ra/0/0=a0", "rd/0/0=d0", "ra/1/0=a1", "rd/1/0=d1"}},
			{"private run shown with its channel", bot.RunFilter{OnlyVisible: true, VisibleChannelIDs: []string{"cb"}}, func(f *bot.TaskFilter) { f.AssigneeID = "u1" },
				[]string{"ra/0/0=a0", "rb/1/0=b1", "rb/0/0=b0"}},
		}
		for _, tc := range tests {
			f := base()
			tc.f(&f)
			p, err := db.ListTasks(ctx, tc.runs, f, 10_000)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if diff := gocmp.Diff(tc.want, taskKeys(p)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
			if p.TotalCount != len(tc.want) || p.HasMore || p.PageCount != min(1, len(tc.want)) {
				t.Errorf("%s: total %d, pages %d, has_more %v", tc.name, p.TotalCount, p.PageCount, p.HasMore)
			}
		}

		// Paging: 6 items, 4 per page.
		f := base()
		f.PerPage = 4
		p0, err := db.ListTasks(ctx, bot.RunFilter{}, f, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		f.Page = 1
		p1, err := db.ListTasks(ctx, bot.RunFilter{}, f, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		got := []any{p0.TotalCount, p0.PageCount, p0.HasMore, taskKeys(p0), p1.TotalCount, p1.HasMore, taskKeys(p1)}
		want := []any{6, 2, true, []string{"ra/0/0=a0", "rd/0/0=d0", "rb/1/0=b1", "ra/1/0=a1"}, 6, false, []string{"rb/0/0=b0", "rd/1/0=d1"}}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("paging (-want +got):\n%s", diff)
		}

		// The task carries its run and the whole item.
		task := p0.Items[0]
		wantTask := bot.Task{RunID: "ra", RunName: "run ra", RunStatus: bot.StatusInProgress, ChannelID: "ca", TeamID: "team1",
			ChecklistIndex: 0, ChecklistTitle: "Triage", ItemIndex: 0,
			Item: bot.ChecklistItem{ID: "a0", Title: "t a0", AssigneeID: "u1", DueDate: 5_000}}
		if diff := gocmp.Diff(wantTask, task); diff != "" {
			t.Errorf("task (-want +got):\n%s", diff)
		}
	})
}
