package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// The env's clock starts at 2025-01-01: past is overdue, future is not.
var (
	pastDue   = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC).UnixMilli()
	futureDue = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC).UnixMilli()
)

// taskTitles lists the titles of a page of tasks, with their run's name.
func taskTitles(p bot.TaskPage) []string {
	out := []string{}
	for _, task := range p.Items {
		out = append(out, task.RunName+": "+task.Item.Title)
	}
	return out
}

// TestTasksDueDates covers due_date on items (playbook, copy to run, add,
// update, bad values) and GET /tasks's filters, order and paging.
func TestTasksDueDates(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		body := e.playbookBody("Outage")
		body["checklists"] = []map[string]any{
			{"title": "Triage", "items": []map[string]any{
				{"title": "late", "due_date": pastDue},
				{"title": "soon", "due_date": futureDue},
				{"title": "whenever"},
			}},
		}
		for _, bad := range []any{-1, bot.MaxDueDate + 1, "tomorrow"} {
			b := e.playbookBody("Bad")
			b["checklists"] = []map[string]any{{"title": "T", "items": []map[string]any{{"title": "x", "due_date": bad}}}}
			eb := e.call(t, "POST", "/playbooks", b).wantError(t, http.StatusBadRequest)
			if !strings.Contains(eb.Details, "due_date") {
				t.Errorf("due_date %v: details %q do not name due_date", bad, eb.Details)
			}
		}
		pb := e.createPlaybook(t, body)
		if got := e.getPlaybook(t, pb).Checklists[0].Items[0].DueDate; got != pastDue {
			t.Errorf("playbook item due_date %d, want %d", got, pastDue)
		}
		r1 := e.createRun(t, pb, "alpha")
		if got := []int64{r1.Checklists[0].Items[0].DueDate, r1.Checklists[0].Items[1].DueDate, r1.Checklists[0].Items[2].DueDate}; !gocmp.Equal(got, []int64{pastDue, futureDue, 0}) {
			t.Errorf("run item due dates %v: not copied from the playbook", got)
		}
		r2 := e.createRun(t, pb, "bravo")
		run := "/runs/" + r2.ID + "/checklists/0"

		// Add and update carry due_date; bad ones change nothing.
		e.call(t, "POST", run+"/add", map[string]any{"title": "added", "due_date": futureDue + 1}).want(t, http.StatusOK)
		e.call(t, "POST", run+"/add", map[string]any{"title": "nope", "due_date": -5}).wantError(t, http.StatusBadRequest)
		e.call(t, "PUT", run+"/item/2", map[string]any{"title": "whenever", "due_date": pastDue + 1}).want(t, http.StatusOK)
		e.call(t, "PUT", run+"/item/1", map[string]any{"title": "soon", "due_date": bot.MaxDueDate + 1}).wantError(t, http.StatusBadRequest)
		e.call(t, "PUT", run+"/item/0", map[string]any{"title": "late again"}).want(t, http.StatusOK) // due date kept
		e.call(t, "PUT", run+"/item/1/state", map[string]any{"new_state": "closed"}).want(t, http.StatusOK)
		e.call(t, "PUT", "/runs/"+r1.ID+"/checklists/0/item/2/assignee", map[string]any{"assignee_id": e.userID}).want(t, http.StatusOK)
		got := e.getRun(t, r2.ID).Checklists[0].Items
		if want := []int64{pastDue, futureDue, pastDue + 1, futureDue + 1}; !gocmp.Equal([]int64{got[0].DueDate, got[1].DueDate, got[2].DueDate, got[3].DueDate}, want) {
			t.Errorf("bravo's due dates after add and updates: %+v, want %v", got, want)
		}

		list := func(query string) bot.TaskPage {
			t.Helper()
			var p bot.TaskPage
			e.call(t, "GET", "/tasks?team_id="+e.teamID+query, nil).want(t, http.StatusOK).decode(t, &p)
			return p
		}
		tests := []struct {
			query string
			want  []string
		}{
			{"", []string{"alpha: late", "bravo: late again", "bravo: whenever", "alpha: soon", "bravo: added", "alpha: whenever"}},
			{"&direction=desc", []string{"bravo: added", "alpha: soon", "bravo: whenever", "bravo: late again", "alpha: late", "alpha: whenever"}},
			{"&assignee_id=me", []string{"alpha: whenever"}},
			{"&state=closed", []string{"bravo: soon"}},
			{"&state=,closed&overdue=true", []string{"alpha: late", "bravo: late again", "bravo: whenever"}},
			{fmt.Sprintf("&due_after=%d&due_before=%d", pastDue, futureDue+1), []string{"bravo: whenever", "alpha: soon"}},
			{"&sort=title&per_page=2", []string{"bravo: added", "alpha: late"}},
			{"&run_status=Finished", []string{}},
		}
		for _, tc := range tests {
			if diff := gocmp.Diff(tc.want, taskTitles(list(tc.query))); diff != "" {
				t.Errorf("GET /tasks%s (-want +got):\n%s", tc.query, diff)
			}
		}
		p := list("&per_page=4&page=1")
		if p.TotalCount != 6 || p.PageCount != 2 || p.HasMore || len(p.Items) != 2 {
			t.Errorf("second page of 4: total %d, pages %d, has_more %v, %d items", p.TotalCount, p.PageCount, p.HasMore, len(p.Items))
		}
		first := list("&per_page=1").Items[0]
		want := bot.Task{RunID: r1.ID, RunName: "alpha", RunStatus: bot.StatusInProgress, ChannelID: r1.ChannelID, TeamID: e.teamID,
			ChecklistIndex: 0, ChecklistTitle: "Triage", ItemIndex: 0, Item: r1.Checklists[0].Items[0]}
		if diff := gocmp.Diff(want, first); diff != "" {
			t.Errorf("first task (-want +got):\n%s", diff)
		}
	})
}

// TestTasksBadQuery: each bad parameter is a 400 naming its field.
func TestTasksBadQuery(t *testing.T) {
	e := newEnv(t, storetest.Kinds()[0], nil)
	for query, field := range map[string]string{
		"":                           "team_id",
		"&state=done":                "state",
		"&run_status=Running":        "run_status",
		"&sort=owner":                "sort",
		"&direction=up":              "direction",
		"&page=-1":                   "page",
		"&page=x":                    "page",
		"&per_page=0":                "per_page",
		"&per_page=1001":             "per_page",
		"&due_before=tomorrow":       "due_before",
		"&due_before=-5":             "due_before",
		"&due_after=999999999999999": "due_after",
		"&overdue=maybe":             "overdue",
		"&assignee_id=not%20an%20id": "assignee_id",
	} {
		q := "/tasks?team_id=" + e.teamID + query
		if query == "" {
			q = "/tasks"
		}
		eb := e.call(t, "GET", q, nil).wantError(t, http.StatusBadRequest)
		if !strings.HasSuffix(eb.Details, "field "+field) {
			t.Errorf("GET %s: details %q, want field %s", q, eb.Details, field)
		}
	}
}

// TestTasksPrivateRun: the items of a private run are listed and counted
// for its channel's members and admins only.
func TestTasksPrivateRun(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			v := newVisibilityEnv(t, kind)
			for who, token := range v.tokens {
				var p bot.TaskPage
				v.call(t, token, "GET", "/tasks?team_id="+v.team.Id+"&sort=title", nil, http.StatusOK, &p)
				want := []string{"Open outage: Check the dashboards", "Open outage: Page the DBA"}
				if !strings.HasPrefix(who, "outsider") {
					want = []string{"Open outage: Check the dashboards", "Open outage: Page the DBA", secretName + ": Page the DBA", secretName + ": " + secretItem}
				}
				got := taskTitles(p) // equal titles come in run ID order: random
				slices.Sort(got)
				if diff := gocmp.Diff(want, got); diff != "" || p.TotalCount != len(want) {
					t.Errorf("%s: total %d (-want +got):\n%s", who, p.TotalCount, diff)
				}
				// bob is the private item's assignee, yet does not see it.
				v.call(t, token, "GET", "/tasks?team_id="+v.team.Id+"&assignee_id="+v.bob.Id, nil, http.StatusOK, &p)
				if n := min(1, len(want)-2); p.TotalCount != n {
					t.Errorf("%s: bob's tasks: total %d, want %d", who, p.TotalCount, n)
				}
			}
		})
	}
}

// TestDetailsPageDueDates: the details page shows each item's due date, and
// marks the past ones not closed overdue.
func TestDetailsPageDueDates(t *testing.T) {
	e := newLinkEnv(t, storetest.Kinds()[0])
	body := e.playbookBody("Outage")
	body["checklists"] = []map[string]any{{"title": "Triage", "items": []map[string]any{
		{"title": "late", "due_date": pastDue},
		{"title": "soon", "due_date": futureDue},
		{"title": "done late", "due_date": pastDue},
	}}}
	r := e.createRun(t, e.createPlaybook(t, body), "Outage")
	e.call(t, "PUT", "/runs/"+r.ID+"/checklists/0/item/2/state", map[string]any{"new_state": "closed"}).want(t, http.StatusOK)
	page := string(e.page(t, e.root+"/runs/"+r.ID, e.token).want(t, http.StatusOK).body)
	overdue := `<span class="badge overdue">overdue</span> due 2024-06-01 12:00 UTC`
	if n := strings.Count(page, overdue); n != 1 {
		t.Errorf("page has %d overdue items, want 1 (late; done late is closed):\n%s", n, page)
	}
	for _, want := range []string{`<div class="meta">due 2026-12-01 14:00 UTC</div>`, `<div class="meta">due 2024-06-01 12:00 UTC</div>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
}
