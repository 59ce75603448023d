package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// testRun returns an active run with one checklist of three items.
func testRun(id, team, name, owner string) bot.Run {
	return bot.Run{
		ID: id, Name: name, Description: "about " + name, IsActive: true,
		CurrentStatus: bot.StatusInProgress, OwnerUserID: owner, ReporterUserID: owner,
		TeamID: team, ChannelID: "ch-" + id, CreateAt: 1000, ActiveStageTitle: "Triage",
		PostID: "post-" + id, PlaybookID: "pb1",
		Checklists: []bot.Checklist{{ID: id + "-c0", Title: "Triage", Items: []bot.ChecklistItem{
			{ID: id + "-i0", Title: "Page", Command: "/page"},
			{ID: id + "-i1", Title: "Assess"},
			{ID: id + "-i2", Title: "Fix"},
		}}},
		ParticipantIDs:      []string{owner},
		BroadcastChannelIDs: []string{"bc1"},
		StatusUpdates:       []bot.StatusUpdate{},
		TimelineEvents:      []bot.TimelineEvent{},
	}
}

func testEvent(id string, eventAt, createAt int64) bot.TimelineEvent {
	return bot.TimelineEvent{
		ID: id, CreateAt: createAt, EventAt: eventAt, EventType: bot.EventItemUpdated,
		Summary: "event " + id, Details: "{}", CreatorUserID: "u1",
	}
}

func TestCreateRunAndGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		r.ParticipantIDs = []string{"u2", "u1", "u2"}
		events := []bot.TimelineEvent{
			testEvent("e3", 20, 1),
			testEvent("e2", 10, 2),
			testEvent("e1", 10, 2), // same times as e2: in the order written
			testEvent("e0", 10, 1),
		}
		events[0].RunID = "some other run" // recorded as run1's regardless
		if err := db.CreateRun(ctx, r, events); err != nil {
			t.Fatal(err)
		}
		want := r
		want.ParticipantIDs = []string{"u1", "u2"}
		for _, id := range []string{"e0", "e2", "e1", "e3"} {
			for _, e := range events {
				if e.ID == id {
					e.RunID = "run1"
					want.TimelineEvents = append(want.TimelineEvents, e)
				}
			}
		}

		want.TimelineEventsTotal = len(want.TimelineEvents)

		got, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Run mismatch (-want +got):\n%s", diff)
		}
		got, err = db.RunByChannel(ctx, "ch-run1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RunByChannel mismatch (-want +got):\n%s", diff)
		}

		// A finished run without lists.
		bare := bot.Run{ID: "run2", Name: "Bare", TeamID: "team1", CreateAt: 5}
		if err := db.CreateRun(ctx, bare, nil); err != nil {
			t.Fatal(err)
		}
		got, err = db.Run(ctx, "run2")
		if err != nil {
			t.Fatal(err)
		}
		wantBare := bare
		wantBare.CurrentStatus = bot.StatusFinished
		wantBare.Checklists, wantBare.ParticipantIDs, wantBare.BroadcastChannelIDs = []bot.Checklist{}, []string{}, []string{}
		wantBare.StatusUpdates, wantBare.TimelineEvents = []bot.StatusUpdate{}, []bot.TimelineEvent{}
		if diff := cmp.Diff(wantBare, got); diff != "" {
			t.Errorf("bare Run mismatch (-want +got):\n%s", diff)
		}

		dupID := testRun("run1", "team1", "Again", "u1")
		dupID.ChannelID = "ch-other"
		wantCode(t, db.CreateRun(ctx, dupID, nil), bot.EConflict)
		dupChannel := testRun("run3", "team1", "Same channel", "u1")
		dupChannel.ChannelID = "ch-run1"
		wantCode(t, db.CreateRun(ctx, dupChannel, nil), bot.EConflict)
		// A second run without a channel is fine.
		if err := db.CreateRun(ctx, bot.Run{ID: "run4", Name: "No channel", TeamID: "team1"}, nil); err != nil {
			t.Errorf("second run without a channel: %v", err)
		}

		_, err = db.Run(ctx, "missing")
		wantCode(t, err, bot.ENotFound)
		_, err = db.RunByChannel(ctx, "missing")
		wantCode(t, err, bot.ENotFound)
		_, err = db.RunByChannel(ctx, "")
		wantCode(t, err, bot.ENotFound)
	})
}

func TestUpdateRun(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		if err := db.CreateRun(ctx, r, []bot.TimelineEvent{testEvent("e1", 10, 10), testEvent("e2", 20, 20)}); err != nil {
			t.Fatal(err)
		}
		update := bot.StatusUpdate{ID: "su1", UserID: "u1", Message: "All good", Reminder: 3600, CreateAt: 30}
		got, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			if r.TimelineEvents != nil || r.StatusUpdates != nil || len(r.ParticipantIDs) != 1 {
				t.Errorf("fn got %d events, %d status updates and %d participants, want no history and 1 participant",
					len(r.TimelineEvents), len(r.StatusUpdates), len(r.ParticipantIDs))
			}
			r.Checklists[0].Items[1].State = bot.ItemClosed
			r.Checklists[0].Items[1].StateModified = 30
			r.Checklists = append(r.Checklists, bot.Checklist{ID: "c-new", Title: "Follow-up"})
			r.OwnerUserID = "u3"
			r.ParticipantIDs = append(r.ParticipantIDs, "u3", "u0")
			r.IsActive, r.EndAt = false, 40
			r.ActiveStage, r.ActiveStageTitle = 1, "Follow-up"
			r.LastStatusUpdateAt, r.PreviousReminder = 30, 3600
			r.BroadcastChannelIDs = nil
			return bot.RunChange{
				Events:         []bot.TimelineEvent{testEvent("e3", 30, 30)},
				StatusUpdate:   &update,
				DeleteEventIDs: []string{"e1"},
			}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := r
		want.Checklists[0].Items[1].State = bot.ItemClosed
		want.Checklists[0].Items[1].StateModified = 30
		want.Checklists = append(want.Checklists, bot.Checklist{ID: "c-new", Title: "Follow-up", Items: []bot.ChecklistItem{}})
		want.OwnerUserID = "u3"
		want.ParticipantIDs = []string{"u0", "u1", "u3"}
		want.IsActive, want.EndAt, want.CurrentStatus = false, 40, bot.StatusFinished
		want.ActiveStage, want.ActiveStageTitle = 1, "Follow-up"
		want.LastStatusUpdateAt, want.PreviousReminder = 30, 3600
		want.BroadcastChannelIDs = []string{}
		update.RunID = "run1"
		want.StatusUpdates = []bot.StatusUpdate{update}
		e2, e3 := testEvent("e2", 20, 20), testEvent("e3", 30, 30)
		e2.RunID, e3.RunID = "run1", "run1"
		want.TimelineEvents = []bot.TimelineEvent{e2, e3}
		wantNoHistory := want
		wantNoHistory.StatusUpdates, wantNoHistory.TimelineEvents = nil, nil
		want.StatusUpdatesTotal, want.TimelineEventsTotal = 1, 2
		if diff := cmp.Diff(wantNoHistory, got); diff != "" {
			t.Errorf("UpdateRun result mismatch (-want +got):\n%s", diff)
		}
		stored, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stored); diff != "" {
			t.Errorf("stored run mismatch (-want +got):\n%s", diff)
		}

		// An unknown (or already deleted) event ID rolls the whole change back.
		_, err = db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			r.OwnerUserID = "u9"
			return bot.RunChange{DeleteEventIDs: []string{"e3", "e1"}}, nil
		})
		wantCode(t, err, bot.ENotFound)
		if stored, _ := db.Run(ctx, "run1"); stored.OwnerUserID != "u3" || len(stored.TimelineEvents) != 2 {
			t.Errorf("after a refused delete: owner %s and %d events, want u3 and 2", stored.OwnerUserID, len(stored.TimelineEvents))
		}

		// Participants are never removed; a change may delete events without
		// adding any.
		got, err = db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			r.ParticipantIDs = nil
			return bot.RunChange{DeleteEventIDs: []string{"e3"}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"u0", "u1", "u3"}, got.ParticipantIDs); diff != "" {
			t.Errorf("participants mismatch (-want +got):\n%s", diff)
		}
		if stored, _ = db.Run(ctx, "run1"); !cmp.Equal([]bot.TimelineEvent{e2}, stored.TimelineEvents) {
			t.Errorf("events after deleting e3 = %+v, want only e2", stored.TimelineEvents)
		}

		_, err = db.UpdateRun(ctx, "missing", func(*bot.Run) (bot.RunChange, error) {
			t.Error("fn called for a missing run")
			return bot.RunChange{}, nil
		})
		wantCode(t, err, bot.ENotFound)
	})
}

func TestUpdateRunAbortsOnError(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CreateRun(ctx, testRun("run1", "team1", "Outage", "u1"), []bot.TimelineEvent{testEvent("e1", 1, 1)}); err != nil {
			t.Fatal(err)
		}
		before, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		fnErr := bot.FieldErrorf("item", "no such item")
		_, err = db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			r.Name = "Changed"
			r.Checklists[0].Items[0].State = bot.ItemClosed
			r.ParticipantIDs = append(r.ParticipantIDs, "u9")
			return bot.RunChange{
				Events:         []bot.TimelineEvent{testEvent("e2", 2, 2)},
				StatusUpdate:   &bot.StatusUpdate{ID: "su1", CreateAt: 2},
				DeleteEventIDs: []string{"e1"},
			}, fnErr
		})
		if err != fnErr {
			t.Errorf("got error %v, want fn's error %v unchanged", err, fnErr)
		}
		after, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("run changed by an aborted update (-before +after):\n%s", diff)
		}
	})
}

// TestUpdateRunConcurrently has 64 updates of one run race, each closing a
// different item and adding an event. Without the lock taken by UpdateRun
// two of them would read the same checklists and the later write would undo
// the earlier (Postgres), or one would fail upgrading its read lock (SQLite).
func TestUpdateRunConcurrently(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const lists, perList = 4, 16
		r := testRun("run1", "team1", "Busy", "u1")
		r.Checklists = nil
		for c := range lists {
			cl := bot.Checklist{ID: fmt.Sprintf("c%d", c), Title: fmt.Sprintf("Stage %d", c)}
			for i := range perList {
				cl.Items = append(cl.Items, bot.ChecklistItem{ID: fmt.Sprintf("c%d-i%d", c, i), Title: "Item"})
			}
			r.Checklists = append(r.Checklists, cl)
		}
		if err := db.CreateRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}

		start := make(chan struct{})
		errs := make([]error, lists*perList)
		var wg sync.WaitGroup
		for n := range lists * perList {
			wg.Go(func() {
				<-start
				_, errs[n] = db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
					it := &r.Checklists[n/perList].Items[n%perList]
					it.State, it.StateModified = bot.ItemClosed, int64(n)
					return bot.RunChange{Events: []bot.TimelineEvent{testEvent(fmt.Sprintf("e%02d", n), int64(n), int64(n))}}, nil
				})
			})
		}
		close(start)
		wg.Wait()
		for n, err := range errs {
			if err != nil {
				t.Errorf("update %d: %v", n, err)
			}
		}

		got, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		closed := 0
		for _, c := range got.Checklists {
			for _, it := range c.Items {
				if it.State == bot.ItemClosed {
					closed++
				}
			}
		}
		if closed != lists*perList {
			t.Errorf("got %d closed items, want %d: updates were lost", closed, lists*perList)
		}
		if len(got.TimelineEvents) != lists*perList {
			t.Errorf("got %d timeline events, want %d", len(got.TimelineEvents), lists*perList)
		}
	})
}

// TestTimelineOrder checks that events of one millisecond come back in the
// order they were written, across changes, whatever their IDs.
func TestTimelineOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := testRun("run1", "team1", "Outage", "u1")
		if err := db.CreateRun(ctx, r, []bot.TimelineEvent{testEvent("zz-created", 10, 10)}); err != nil {
			t.Fatal(err)
		}
		for _, batch := range [][]string{{"yy-status", "xx-reminder"}, {"ww-ended", "vv-cancelled"}} {
			_, err := db.UpdateRun(ctx, "run1", func(*bot.Run) (bot.RunChange, error) {
				var c bot.RunChange
				for _, id := range batch {
					c.Events = append(c.Events, testEvent(id, 10, 10))
				}
				return c, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got.TimelineEvents {
			ids = append(ids, e.ID)
		}
		if diff := cmp.Diff([]string{"zz-created", "yy-status", "xx-reminder", "ww-ended", "vv-cancelled"}, ids); diff != "" {
			t.Errorf("timeline order (-want +got):\n%s", diff)
		}
	})
}
