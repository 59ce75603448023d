package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

func TestTimeline(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		id := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Outage").ID
		run, item := "/runs/"+id, "/runs/"+id+"/checklists/0/item/0"
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"PATCH", run, map[string]any{"active_stage": 1}},
			{"POST", run + "/status", map[string]any{"message": "Looking", "reminder": 60}},
			{"POST", run + "/owner", map[string]any{"owner_id": bot.NewID()}},
			{"POST", run + "/checklists/0/add", map[string]any{"title": "New"}},
			{"PUT", run + "/checklists/0/reorder", map[string]any{"item_num": 3, "new_location": 0}},
			{"PUT", item, map[string]any{"title": "Renamed", "command": "/x"}},
			{"PUT", item + "/state", map[string]any{"new_state": "closed"}},
			{"PUT", item + "/assignee", map[string]any{"assignee_id": bot.NewID()}},
			{"DELETE", item, nil},
			{"PUT", run + "/end", nil},
			{"PUT", run + "/restart", nil},
		} {
			if r := e.call(t, c.method, c.path, c.body); r.status != http.StatusOK && r.status != http.StatusNoContent {
				t.Fatalf("%s %s: got status %d; %s", c.method, c.path, r.status, r.body)
			}
		}
		var raw map[string]any
		e.call(t, "GET", run, nil).want(t, http.StatusOK).decode(t, &raw)
		if _, ok := raw["timeline_events"].([]any); !ok {
			t.Fatalf("run JSON has no timeline_events list: %v", raw["timeline_events"])
		}
		events := e.getRun(t, id).TimelineEvents
		want := []string{
			bot.EventRunCreated, bot.EventStageChanged, bot.EventStatusUpdated, bot.EventOwnerChanged,
			bot.EventItemAdded, bot.EventItemMoved, bot.EventItemUpdated, bot.EventTaskStateChanged,
			bot.EventAssigneeChanged, bot.EventItemDeleted, bot.EventRunFinished, bot.EventRunRestarted,
		}
		if diff := cmp.Diff(want, eventTypes(events)); diff != "" {
			t.Fatalf("timeline mismatch (-want +got):\n%s", diff)
		}
		for i, ev := range events {
			if ev.RunID != id || ev.CreatorUserID != e.userID || ev.EventAt == 0 || (i > 0 && ev.EventAt < events[i-1].EventAt) {
				t.Errorf("event %d: got %+v", i, ev)
			}
		}

		gone := events[2]
		e.call(t, "DELETE", run+"/timeline/"+gone.ID+"/", nil).want(t, http.StatusNoContent)
		after := e.getRun(t, id).TimelineEvents
		want = append(append(append([]string{}, want[:2]...), want[3:]...), bot.EventEventDeleted)
		if diff := cmp.Diff(want, eventTypes(after)); diff != "" {
			t.Errorf("timeline after delete mismatch (-want +got):\n%s", diff)
		}
		e.call(t, "DELETE", run+"/timeline/"+gone.ID, nil).wantError(t, http.StatusNotFound)
		record := after[len(after)-1]
		e.call(t, "DELETE", run+"/timeline/"+record.ID, nil).wantError(t, http.StatusBadRequest)
	})
}

func eventTypes(events []bot.TimelineEvent) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.EventType)
	}
	return out
}
