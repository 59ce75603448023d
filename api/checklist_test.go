package api_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestConcurrentItemStates checks that concurrent changes of one run all
// survive: 64 requests close 64 items at once.
func TestConcurrentItemStates(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		const n = 64
		run := e.createRun(t, e.createPlaybook(t, e.playbookWithSteps("Big", n)), "Big").ID
		var wg sync.WaitGroup
		statuses := make([]int, n)
		bodies := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequest("PUT", fmt.Sprintf("%s/runs/%s/checklists/0/item/%d/state", e.base, run, i),
					strings.NewReader(`{"new_state":"closed"}`))
				if err != nil {
					bodies[i] = err.Error()
					return
				}
				req.Header.Set("Authorization", "Bearer "+e.token)
				res, err := e.client.Do(req)
				if err != nil {
					bodies[i] = err.Error()
					return
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				statuses[i], bodies[i] = res.StatusCode, string(b)
			}()
		}
		wg.Wait()
		for i := range n {
			if statuses[i] != http.StatusOK {
				t.Errorf("item %d: got status %d, want 200; %s", i, statuses[i], bodies[i])
			}
		}
		got := e.getRun(t, run)
		closed, events := 0, 0
		for _, it := range got.Checklists[0].Items {
			if it.State == bot.ItemClosed {
				closed++
			}
		}
		for _, ev := range got.TimelineEvents {
			if ev.EventType == bot.EventTaskStateChanged {
				events++
			}
		}
		if closed != n || events != n {
			t.Errorf("got %d items closed and %d state events, want %d of each", closed, events, n)
		}
	})
}

func TestItemChanges(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		run := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Outage").ID
		base := "/runs/" + run + "/checklists/1"
		someone := bot.NewID()
		e.call(t, "PUT", base+"/add", map[string]any{"title": "Closed one", "state": "closed", "assignee_id": someone}).want(t, http.StatusOK)
		e.call(t, "PUT", base+"/item/0", map[string]any{"title": "Fix it"}).want(t, http.StatusOK) // command left out: none
		e.call(t, "PUT", base+"/item/1/assignee", map[string]any{"assignee_id": someone}).want(t, http.StatusOK)
		e.call(t, "PUT", base+"/item/1/assignee", map[string]any{"assignee_id": ""}).want(t, http.StatusOK)
		e.call(t, "PUT", base+"/item/1/state", map[string]any{"new_state": "in_progress"}).want(t, http.StatusOK)
		e.call(t, "PUT", base+"/item/1/state", map[string]any{"new_state": "in_progress"}).want(t, http.StatusOK) // no change
		e.call(t, "PUT", base+"/item/1/state", map[string]any{"new_state": ""}).want(t, http.StatusOK)

		r := e.getRun(t, run)
		items := r.Checklists[1].Items
		added := items[2]
		if added.Title != "Closed one" || added.State != bot.ItemClosed || added.StateModified == 0 || added.AssigneeID != someone || added.AssigneeModified == 0 {
			t.Errorf("added item: got %+v, want closed, assigned, with modification times", added)
		}
		if items[0].Title != "Fix it" || items[0].Command != "" {
			t.Errorf("renamed item: got %+v", items[0])
		}
		if items[1].AssigneeID != "" || items[1].State != bot.ItemOpen {
			t.Errorf("item 1: got %+v, want unassigned and open", items[1])
		}
		var types []string
		for _, ev := range r.TimelineEvents {
			types = append(types, ev.EventType)
		}
		want := []string{
			bot.EventRunCreated, bot.EventItemAdded, bot.EventItemUpdated, bot.EventAssigneeChanged,
			bot.EventAssigneeChanged, bot.EventTaskStateChanged, bot.EventTaskStateChanged,
		}
		if diff := cmp.Diff(want, types); diff != "" {
			t.Errorf("timeline mismatch (-want +got):\n%s", diff)
		}
		if !slices.Contains(r.ParticipantIDs, someone) {
			t.Errorf("got participants %v, want the assignee %s among them", r.ParticipantIDs, someone)
		}
	})
}
