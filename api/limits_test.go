package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// checklists returns n checklists of perList items each, every item with
// a description of descLen characters.
func checklists(n, perList, descLen int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		items := make([]map[string]any, perList)
		for j := range items {
			items[j] = map[string]any{"title": fmt.Sprintf("Step %d.%d", i, j), "description": strings.Repeat("d", descLen)}
		}
		out[i] = map[string]any{"title": fmt.Sprintf("Stage %d", i), "items": items}
	}
	return out
}

// TestLimits checks that a playbook or a run cannot be made larger than
// the documented limits by any write: each is refused with 400 and a
// message naming the limit, and nothing is stored or cut short.
func TestLimits(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		withLists := func(cs []map[string]any) map[string]any {
			b := e.playbookBody("Big")
			b["checklists"] = cs
			return b
		}
		refused := []struct {
			name  string
			body  map[string]any
			want  string
			field string
		}{
			{"too many checklists", withLists(checklists(bot.MaxChecklists+1, 1, 0)), "limit: checklists per playbook", "checklists"},
			{"too many items in a checklist", withLists(checklists(1, bot.MaxItemsPerList+1, 0)), "limit: items per checklist", "checklists.items"},
			{"too many items in all", withLists(checklists(3, bot.MaxItems/3+1, 0)), "limit: items per playbook", "checklists"},
			// 400 items of 1,400 characters: a body under the 1 MiB limit
			// whose checklists exceed the stored size.
			{"stored size", withLists(checklists(4, 100, 1400)), "limit: stored size", "checklists"},
			{"item description", withLists(checklists(1, 1, bot.MaxTextLen+1)), "at most 16000", "description"},
			{"item command", withLists([]map[string]any{{"title": "a", "items": []map[string]any{{"title": "b", "command": "/" + strings.Repeat("c", bot.MaxCommandLen)}}}}), "at most 256", "command"},
		}
		pb := e.createPlaybook(t, e.playbookBody("Small"))
		for _, tt := range refused {
			t.Run("create "+tt.name, func(t *testing.T) {
				got := e.call(t, "POST", "/playbooks", tt.body).wantError(t, http.StatusBadRequest)
				if !strings.Contains(got.Error, tt.want) || !strings.Contains(got.Details, "field "+tt.field) {
					t.Errorf("got %+v, want an error containing %q about field %s", got, tt.want, tt.field)
				}
			})
			t.Run("update "+tt.name, func(t *testing.T) {
				got := e.call(t, "PUT", "/playbooks/"+pb, tt.body).wantError(t, http.StatusBadRequest)
				if !strings.Contains(got.Error, tt.want) {
					t.Errorf("got %+v, want an error containing %q", got, tt.want)
				}
				if n := len(e.getPlaybook(t, pb).Checklists); n != 2 {
					t.Errorf("playbook has %d checklists after a refused update, want its 2", n)
				}
			})
		}

		// A playbook at every count limit is accepted, and so is its run;
		// the run can then not grow, but it can still be worked.
		full := withLists(checklists(2, bot.MaxItemsPerList, 0))
		fullPB := e.createPlaybook(t, full)
		run := e.createRun(t, fullPB, "Full run")
		if n := len(run.Checklists[0].Items) + len(run.Checklists[1].Items); n != bot.MaxItems {
			t.Fatalf("run has %d items, want %d", n, bot.MaxItems)
		}
		got := e.call(t, "POST", "/runs/"+run.ID+"/checklists/0/add", map[string]any{"title": "one more"}).wantError(t, http.StatusBadRequest)
		if !strings.Contains(got.Error, "limit: items per checklist") {
			t.Errorf("adding to a full checklist: got %+v, want the items per checklist limit named", got)
		}
		e.call(t, "PUT", "/runs/"+run.ID+"/checklists/0/item/0/state", map[string]any{"new_state": "closed"}).want(t, http.StatusOK)
		e.call(t, "DELETE", "/runs/"+run.ID+"/checklists/0/item/1", nil).want(t, http.StatusNoContent)
		e.call(t, "POST", "/runs/"+run.ID+"/checklists/0/add", map[string]any{"title": "in its place"}).want(t, http.StatusOK)
		if n := len(e.getRun(t, run.ID).Checklists[0].Items); n != bot.MaxItemsPerList {
			t.Errorf("checklist has %d items, want %d", n, bot.MaxItemsPerList)
		}

		// Renaming items with long titles grows the run; near the stored
		// size limit a rename is refused. 300 descriptions of 1,460
		// characters put the run a few renames below the limit (each
		// rename rewrites the whole run, 0.2 s under the race detector).
		bigPB := e.createPlaybook(t, withLists(checklists(2, 150, 1460)))
		big := e.createRun(t, bigPB, "Big run")
		long := strings.Repeat("t", bot.MaxTitleLen)
		refusedAt := -1
		for i := range 150 {
			r := e.call(t, "PUT", fmt.Sprintf("/runs/%s/checklists/0/item/%d", big.ID, i), map[string]any{"title": long})
			if r.status != http.StatusOK {
				got := r.wantError(t, http.StatusBadRequest)
				if !strings.Contains(got.Error, "limit: stored size of a run's checklists") {
					t.Fatalf("rename %d: got %+v, want the stored size limit named", i, got)
				}
				refusedAt = i
				break
			}
		}
		if refusedAt < 0 {
			t.Fatalf("every rename was accepted; want one refused at the stored size limit")
		}
		if refusedAt == 0 {
			t.Fatalf("the first rename was refused; want the run below the limit at first, so that renames grow it to the limit")
		}
		if it := e.getRun(t, big.ID).Checklists[0].Items[refusedAt]; it.Title == long {
			t.Errorf("refused rename %d was stored", refusedAt)
		}
		e.call(t, "PUT", "/runs/"+big.ID+"/checklists/1/item/0/assignee", map[string]any{"assignee_id": e.userID}).want(t, http.StatusOK)

		// A status update longer than the limit is refused.
		got = e.call(t, "POST", "/runs/"+big.ID+"/status", map[string]any{"message": strings.Repeat("s", bot.MaxTextLen+1)}).wantError(t, http.StatusBadRequest)
		if !strings.Contains(got.Details, "field message") {
			t.Errorf("long status update: got %+v, want field message", got)
		}
	})
}

// TestLimitsOfOlderData checks what happens to a playbook and a run stored
// before the limits existed: the playbook starts no run (nothing is cut
// short), and the run can be worked and shrunk but not grown.
func TestLimitsOfOlderData(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		lists := make([]bot.Checklist, 3)
		for i := range lists {
			lists[i] = bot.Checklist{ID: bot.NewID(), Title: fmt.Sprintf("Stage %d", i)}
			for j := range 200 {
				lists[i].Items = append(lists[i].Items, bot.ChecklistItem{ID: bot.NewID(), Title: fmt.Sprintf("Step %d", j)})
			}
		}
		pb := bot.Playbook{ID: bot.NewID(), Title: "Old", TeamID: e.teamID, Checklists: lists, CreateAt: 1, UpdateAt: 1}
		if err := e.db.CreatePlaybook(ctx, pb); err != nil {
			t.Fatal(err)
		}
		got := e.call(t, "POST", "/runs", map[string]any{"name": "a", "playbook_id": pb.ID}).wantError(t, http.StatusBadRequest)
		if !strings.Contains(got.Error, "limit: items per run") || !strings.Contains(got.Details, "field playbook_id") {
			t.Errorf("run of an oversized playbook: got %+v, want the items per run limit named, field playbook_id", got)
		}
		var list bot.RunList
		e.call(t, "GET", "/runs?team_id="+e.teamID, nil).want(t, http.StatusOK).decode(t, &list)
		if list.TotalCount != 0 {
			t.Errorf("got %d runs, want none", list.TotalCount)
		}

		r := bot.Run{ID: bot.NewID(), Name: "Old run", IsActive: true, TeamID: e.teamID, OwnerUserID: e.userID,
			ReporterUserID: e.userID, CreateAt: 1, PlaybookID: pb.ID, Checklists: lists, ParticipantIDs: []string{e.userID}}
		if err := e.db.CreateRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
		e.call(t, "PUT", "/runs/"+r.ID+"/checklists/2/item/0/state", map[string]any{"new_state": "closed"}).want(t, http.StatusOK)
		e.call(t, "DELETE", "/runs/"+r.ID+"/checklists/2/item/0", nil).want(t, http.StatusNoContent)
		got = e.call(t, "POST", "/runs/"+r.ID+"/checklists/0/add", map[string]any{"title": "more"}).wantError(t, http.StatusBadRequest)
		if !strings.Contains(got.Error, "limit: items per run") {
			t.Errorf("growing an oversized run: got %+v, want the items per run limit named", got)
		}
	})
}
