package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

// playbookWithSteps returns a createPlaybook body with one checklist per
// entry of steps, holding that many items.
func (e *env) playbookWithSteps(title string, steps ...int) map[string]any {
	b := e.playbookBody(title)
	var cls []map[string]any
	for i, n := range steps {
		var items []map[string]any
		for j := range n {
			items = append(items, map[string]any{"title": fmt.Sprintf("step %d.%d", i, j)})
		}
		cls = append(cls, map[string]any{"title": fmt.Sprintf("stage %d", i), "items": items})
	}
	b["checklists"] = cls
	return b
}

// playbookTitles returns the titles a getPlaybooks query returns.
func playbookTitles(t *testing.T, e *env, query string) []string {
	t.Helper()
	var l bot.PlaybookList
	e.call(t, "GET", "/playbooks?team_id="+e.teamID+query, nil).want(t, http.StatusOK).decode(t, &l)
	titles := []string{}
	for _, p := range l.Items {
		titles = append(titles, p.Title)
	}
	return titles
}

func TestListPlaybooks(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		// title, stages, steps: B 1/4, A 3/3, C 2/1, and archived D 4/8.
		ids := map[string]string{}
		for title, steps := range map[string][]int{"B": {4}, "A": {1, 1, 1}, "C": {1, 0}, "D": {2, 2, 2, 2}} {
			ids[title] = e.createPlaybook(t, e.playbookWithSteps(title, steps...))
		}
		e.call(t, "DELETE", "/playbooks/"+ids["D"], nil).want(t, http.StatusNoContent)

		for _, tt := range []struct {
			name  string
			query string
			want  []string
		}{
			{name: "default: title asc, archived hidden", query: "", want: []string{"A", "B", "C"}},
			{name: "with archived", query: "&with_archived=true", want: []string{"A", "B", "C", "D"}},
			{name: "with_archived=false", query: "&with_archived=false", want: []string{"A", "B", "C"}},
			{name: "with_archived=1", query: "&with_archived=1", want: []string{"A", "B", "C", "D"}},
			{name: "title desc", query: "&direction=desc", want: []string{"C", "B", "A"}},
			{name: "stages asc", query: "&sort=stages", want: []string{"B", "C", "A"}},
			{name: "stages desc", query: "&sort=stages&direction=desc&with_archived=true", want: []string{"D", "A", "C", "B"}},
			{name: "steps asc", query: "&sort=steps&direction=asc", want: []string{"C", "A", "B"}},
			{name: "steps desc", query: "&sort=steps&direction=desc", want: []string{"B", "A", "C"}},
			{name: "first page", query: "&per_page=2&page=0", want: []string{"A", "B"}},
			{name: "second page", query: "&per_page=2&page=1", want: []string{"C"}},
			{name: "past the end", query: "&per_page=2&page=2", want: []string{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, playbookTitles(t, e, tt.query)); diff != "" {
					t.Errorf("playbooks mismatch (-want +got):\n%s", diff)
				}
			})
		}

		var l bot.PlaybookList
		e.call(t, "GET", "/playbooks?team_id="+e.teamID+"&per_page=2", nil).want(t, http.StatusOK).decode(t, &l)
		if l.TotalCount != 3 || l.PageCount != 2 || !l.HasMore {
			t.Errorf("paging: got total_count %d, page_count %d, has_more %v; want 3, 2, true", l.TotalCount, l.PageCount, l.HasMore)
		}
		counts := map[string][2]int64{}
		e.call(t, "GET", "/playbooks?team_id="+e.teamID+"&with_archived=true", nil).want(t, http.StatusOK).decode(t, &l)
		for _, p := range l.Items {
			counts[p.Title] = [2]int64{p.NumStages, p.NumSteps}
		}
		if diff := cmp.Diff(map[string][2]int64{"A": {3, 3}, "B": {1, 4}, "C": {2, 1}, "D": {4, 8}}, counts); diff != "" {
			t.Errorf("num_stages, num_steps mismatch (-want +got):\n%s", diff)
		}

		archived := e.getPlaybook(t, ids["D"])
		if archived.DeleteAt == 0 {
			t.Errorf("archived playbook: got delete_at 0")
		}
		got := e.call(t, "POST", "/runs", map[string]any{"name": "x", "playbook_id": ids["D"]}).wantError(t, http.StatusBadRequest)
		if !strings.Contains(got.Error, "archived") {
			t.Errorf("run from an archived playbook: got %q, want it to say archived", got.Error)
		}
		e.call(t, "DELETE", "/playbooks/"+ids["D"], nil).want(t, http.StatusNoContent) // again: still archived
	})
}

func TestUpdatePlaybook(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		id := e.createPlaybook(t, e.playbookWithSteps("Before", 2, 3))
		p := e.getPlaybook(t, id)
		p.Title, p.Description = "After", "new"
		p.Checklists = p.Checklists[:1]
		p.MemberIDs = nil // left out: update does not require it
		e.call(t, "PUT", "/playbooks/"+id, p).want(t, http.StatusOK)
		got := e.getPlaybook(t, id)
		if got.Title != "After" || got.Description != "new" || got.NumStages != 1 || got.NumSteps != 2 || got.CreateAt != p.CreateAt || got.UpdateAt <= p.UpdateAt {
			t.Errorf("after update: got %+v", got)
		}
	})
}

func TestDefaultOwnerEnabled(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		for _, tt := range []struct {
			name  string
			value any // nil leaves the key out
			want  bool
		}{
			{name: "bool true", value: true, want: true},
			{name: "bool false", value: false, want: false},
			{name: "string true", value: "true", want: true},
			{name: "string false", value: "false", want: false},
			{name: "absent", value: nil, want: false},
			{name: "null", value: "null", want: false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := e.playbookBody(tt.name)
				b["default_owner_id"] = bot.NewID()
				if tt.value != nil {
					b["default_owner_enabled"] = tt.value
				}
				raw := string(encodeBody(t, b))
				if tt.value == "null" {
					raw = strings.Replace(raw, `"default_owner_enabled":"null"`, `"default_owner_enabled":null`, 1)
				}
				var created struct{ ID string }
				e.call(t, "POST", "/playbooks", raw).want(t, http.StatusCreated).decode(t, &created)
				if got := e.getPlaybook(t, created.ID).DefaultOwnerEnabled; got != tt.want {
					t.Errorf("got default_owner_enabled %v, want %v", got, tt.want)
				}
			})
		}
	})
}

func TestAutoFollows(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		id := e.createPlaybook(t, e.playbookBody("Outage"))
		a, b := bot.NewID(), bot.NewID()
		for _, u := range []string{a, b, a} {
			e.call(t, "PUT", "/playbooks/"+id+"/autofollows/"+u, nil).want(t, http.StatusOK)
		}
		e.call(t, "DELETE", "/playbooks/"+id+"/autofollows/"+b, nil).want(t, http.StatusOK)
		var got bot.Autofollows
		e.call(t, "GET", "/playbooks/"+id+"/autofollows", nil).want(t, http.StatusOK).decode(t, &got)
		if diff := cmp.Diff(bot.Autofollows{TotalCount: 1, Items: []string{a}}, got); diff != "" {
			t.Errorf("autofollows mismatch (-want +got):\n%s", diff)
		}
	})
}
