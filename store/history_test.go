package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// longRun stores, in team1, the run "long" with bot.HistoryLimit+extra
// timeline events and bot.HistoryLimit+2 status updates, and the run
// "short" with two events and no status update. The long run's events
// come in pairs sharing one millisecond, with IDs falling as they are
// written, so that only the order written (not the ID) breaks their ties;
// its newest event is then deleted. It returns the long run's undeleted
// events and its status updates, oldest first, as stored.
func longRun(t *testing.T, db *store.DB, extra int, updates bool) ([]bot.TimelineEvent, []bot.StatusUpdate) {
	t.Helper()
	ctx := context.Background()
	r := testRun("long", "team1", "long incident", "u1")
	r.CreateAt = 2000
	n := bot.HistoryLimit + extra
	events := make([]bot.TimelineEvent, n)
	for i := range events {
		at := int64(1000 + i/2)
		events[i] = testEvent(fmt.Sprintf("e%05d", n-i), at, at)
		events[i].RunID = "long"
	}
	if err := db.CreateRun(ctx, r, events); err != nil {
		t.Fatal(err)
	}
	deleted := events[n-1]
	if _, err := db.UpdateRun(ctx, "long", func(*bot.Run) (bot.RunChange, error) {
		return bot.RunChange{DeleteEventIDs: []string{deleted.ID}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var written []bot.StatusUpdate
	for i := range bot.HistoryLimit + 2 {
		if !updates {
			break
		}
		u := bot.StatusUpdate{ID: fmt.Sprintf("su%05d", i), RunID: "long", UserID: "u1",
			Message: fmt.Sprintf("update %d", i), CreateAt: int64(5000 + i)}
		if _, err := db.UpdateRun(ctx, "long", func(*bot.Run) (bot.RunChange, error) {
			return bot.RunChange{StatusUpdate: &u}, nil
		}); err != nil {
			t.Fatal(err)
		}
		written = append(written, u)
	}
	short := testRun("short", "team1", "short incident", "u1")
	short.CreateAt = 1000
	if err := db.CreateRun(ctx, short, []bot.TimelineEvent{testEvent("s2", 20, 20), testEvent("s1", 10, 10)}); err != nil {
		t.Fatal(err)
	}
	return events[:n-1], written
}

// newest returns the last bot.HistoryLimit of s.
func newest[T any](s []T) []T { return s[max(len(s)-bot.HistoryLimit, 0):] }

// TestRunHistoryBounded checks that a run read with its history carries
// exactly its newest bot.HistoryLimit undeleted events and status updates,
// oldest first, with totals that count them all, by ID and by channel.
func TestRunHistoryBounded(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		events, updates := longRun(t, db, 8, true) // the cut falls within a millisecond
		for name, get := range map[string]func() (bot.Run, error){
			"Run":          func() (bot.Run, error) { return db.Run(ctx, "long") },
			"RunByChannel": func() (bot.Run, error) { return db.RunByChannel(ctx, "ch-long") },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(newest(events), got.TimelineEvents); diff != "" {
				t.Errorf("%s: timeline mismatch (-want +got):\n%s", name, diff)
			}
			if got.TimelineEventsTotal != len(events) {
				t.Errorf("%s: got timeline total %d, want %d", name, got.TimelineEventsTotal, len(events))
			}
			if diff := cmp.Diff(newest(updates), got.StatusUpdates); diff != "" {
				t.Errorf("%s: status updates mismatch (-want +got):\n%s", name, diff)
			}
			if got.StatusUpdatesTotal != len(updates) {
				t.Errorf("%s: got status update total %d, want %d", name, got.StatusUpdatesTotal, len(updates))
			}
		}
		state, err := db.RunState(ctx, "long")
		if err != nil {
			t.Fatal(err)
		}
		if state.TimelineEvents != nil || state.StatusUpdates != nil || state.TimelineEventsTotal != 0 || state.StatusUpdatesTotal != 0 {
			t.Errorf("RunState: got history %d/%d events, %d/%d updates, want none",
				len(state.TimelineEvents), state.TimelineEventsTotal, len(state.StatusUpdates), state.StatusUpdatesTotal)
		}
	})
}

// TestListRunsInclude checks that list items carry no history by default,
// and with Include each run's own newest history, bounded as Run's.
func TestListRunsInclude(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		events, updates := longRun(t, db, 3, true)
		list := func(in bot.RunInclude) map[string]bot.Run {
			t.Helper()
			l, err := db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "asc", PerPage: 10, Include: in})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Items) != 2 {
				t.Fatalf("got %d runs, want 2", len(l.Items))
			}
			byID := map[string]bot.Run{}
			for _, r := range l.Items {
				byID[r.ID] = r
			}
			return byID
		}
		for id, r := range list(bot.RunInclude{}) {
			if r.TimelineEvents != nil || r.StatusUpdates != nil || r.TimelineEventsTotal != 0 || r.StatusUpdatesTotal != 0 {
				t.Errorf("run %s listed without include: got %d events, %d updates, want no history", id, len(r.TimelineEvents), len(r.StatusUpdates))
			}
			if len(r.ParticipantIDs) == 0 {
				t.Errorf("run %s listed without include: got no participants", id)
			}
		}

		both := list(bot.RunInclude{TimelineEvents: true, StatusUpdates: true})
		long, short := both["long"], both["short"]
		if diff := cmp.Diff(newest(events), long.TimelineEvents); diff != "" {
			t.Errorf("long run's timeline mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(newest(updates), long.StatusUpdates); diff != "" {
			t.Errorf("long run's status updates mismatch (-want +got):\n%s", diff)
		}
		if long.TimelineEventsTotal != len(events) || long.StatusUpdatesTotal != len(updates) {
			t.Errorf("long run: got totals %d events, %d updates, want %d, %d",
				long.TimelineEventsTotal, long.StatusUpdatesTotal, len(events), len(updates))
		}
		if got := []string{short.TimelineEvents[0].ID, short.TimelineEvents[1].ID}; len(short.TimelineEvents) != 2 || got[0] != "s1" || got[1] != "s2" {
			t.Errorf("short run: got events %v, want s1, s2", short.TimelineEvents)
		}
		if short.TimelineEventsTotal != 2 || short.StatusUpdates == nil || len(short.StatusUpdates) != 0 || short.StatusUpdatesTotal != 0 {
			t.Errorf("short run: got %d events of %d, status updates %v of %d; want 2 of 2, [] of 0",
				len(short.TimelineEvents), short.TimelineEventsTotal, short.StatusUpdates, short.StatusUpdatesTotal)
		}

		only := list(bot.RunInclude{TimelineEvents: true})["long"]
		if len(only.TimelineEvents) != bot.HistoryLimit || only.StatusUpdates != nil {
			t.Errorf("include timeline only: got %d events, status updates %v; want %d, none",
				len(only.TimelineEvents), only.StatusUpdates != nil, bot.HistoryLimit)
		}
		only = list(bot.RunInclude{StatusUpdates: true})["long"]
		if len(only.StatusUpdates) != bot.HistoryLimit || only.TimelineEvents != nil {
			t.Errorf("include status updates only: got %d updates, timeline %v; want %d, none",
				len(only.StatusUpdates), only.TimelineEvents != nil, bot.HistoryLimit)
		}
	})
}

// TestTimelineEventsPages checks that paging through a run's timeline
// returns every undeleted event once, in order, however it is cut, and
// that an event deleted or added between two pages neither shifts nor
// repeats the others.
func TestTimelineEventsPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		events, _ := longRun(t, db, 250, false)
		all := func(limit int, between func(page int)) []bot.TimelineEvent {
			t.Helper()
			var got []bot.TimelineEvent
			after := ""
			for page := 0; ; page++ {
				p, err := db.TimelineEvents(ctx, "long", after, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Events) > limit || (p.Next != "" && len(p.Events) != limit) {
					t.Fatalf("page %d of %d: got %d events and next %q", page, limit, len(p.Events), p.Next)
				}
				got = append(got, p.Events...)
				if p.Next == "" {
					return got
				}
				after = p.Next
				if between != nil {
					between(page)
				}
			}
		}
		for _, limit := range []int{1000, 97, len(events), len(events) + 1} {
			if diff := cmp.Diff(events, all(limit, nil)); diff != "" {
				t.Errorf("pages of %d mismatch (-want +got):\n%s", limit, diff)
			}
		}

		// Between the first two pages, delete an event of the first page and
		// one of a later page, and add one at the end.
		added := testEvent("added", 999999, 999999)
		added.RunID = "long"
		got := all(500, func(page int) {
			if page != 0 {
				return
			}
			if _, err := db.UpdateRun(ctx, "long", func(*bot.Run) (bot.RunChange, error) {
				return bot.RunChange{Events: []bot.TimelineEvent{added}, DeleteEventIDs: []string{events[3].ID, events[900].ID}}, nil
			}); err != nil {
				t.Fatal(err)
			}
		})
		want := append(append(append([]bot.TimelineEvent{}, events[:900]...), events[901:]...), added)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pages across a change mismatch (-want +got):\n%s", diff)
		}

		if p, err := db.TimelineEvents(ctx, "none", "", 10); err != nil || len(p.Events) != 0 || p.Next != "" {
			t.Errorf("run without events: got %v, %v; want one empty page", p, err)
		}
		for _, bad := range []struct {
			after string
			limit int
		}{{"", 0}, {"", 10001}, {"not a cursor", 10}, {"MS4yLjM", 10}} {
			_, err := db.TimelineEvents(ctx, "long", bad.after, bad.limit)
			wantCode(t, err, bot.EInvalid)
		}
	})
}

// TestTimelineEvent checks the lookup of one undeleted event of a run.
func TestTimelineEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		events, _ := longRun(t, db, 1, false)
		got, err := db.TimelineEvent(ctx, "long", events[0].ID) // the oldest, beyond the run's newest
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(events[0], got); diff != "" {
			t.Errorf("TimelineEvent mismatch (-want +got):\n%s", diff)
		}
		deleted := fmt.Sprintf("e%05d", 1) // longRun deletes its newest event, whose ID is e00001
		for _, tt := range []struct{ run, event string }{{"long", deleted}, {"short", events[0].ID}, {"long", "nope"}} {
			_, err := db.TimelineEvent(ctx, tt.run, tt.event)
			wantCode(t, err, bot.ENotFound)
		}
	})
}

// TestTimelinesCountedOnce checks the plan Postgres makes for the newest
// events of a page of runs, as a list page with include reads them, when
// its statistics are from before a burst of events (a fresh database: the
// table was seen empty): each run's events are counted once. As a joined
// subquery, the count was planned inside a nested loop and made again for
// every event numbered, 1.2 s for a page with one 3,000-event run, 6 s at
// 6,000. SQLite's plans report no loops; it runs the same query in the
// other tests.
func TestTimelinesCountedOnce(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.Postgres)
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("run%d", i)
		events := []bot.TimelineEvent{testEvent(id+"-first", 10, 10)}
		if i == 0 {
			for j := range 2000 {
				events = append(events, testEvent(fmt.Sprintf("%s-e%05d", id, j), int64(100+j), int64(100+j)))
			}
		}
		for j := range events {
			events[j].RunID = id
		}
		if err := db.CreateRun(ctx, testRun(id, "team1", "incident "+id, "u1"), events); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	plan, err := db.ExplainTimelines(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var root []struct{ Plan planNode }
	if err := json.Unmarshal(plan, &root); err != nil || len(root) != 1 {
		t.Fatalf("EXPLAIN gave %s: %v", plan, err)
	}
	aggregates := 0
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.NodeType == "Aggregate" {
			aggregates++
			if n.ActualLoops != 1 {
				t.Errorf("an Aggregate (%s) ran %d times; want the runs counted once. Plan:\n%s", n.Strategy, n.ActualLoops, plan)
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	if aggregates == 0 {
		t.Errorf("the plan has no Aggregate node to count the runs' events; the query changed, change this test with it. Plan:\n%s", plan)
	}
}

// planNode is a node of Postgres's EXPLAIN (ANALYZE, FORMAT JSON).
type planNode struct {
	NodeType    string     `json:"Node Type"`
	Strategy    string     `json:"Strategy"`
	ActualLoops int        `json:"Actual Loops"`
	Plans       []planNode `json:"Plans"`
}
