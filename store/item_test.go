package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// busyRun returns a run with lists checklists of perList items each.
func busyRun(id string, lists, perList int) bot.Run {
	r := testRun(id, "team1", "Busy", "u1")
	r.Checklists = nil
	for c := range lists {
		cl := bot.Checklist{ID: fmt.Sprintf("c%d", c), Title: fmt.Sprintf("Stage %d", c), Items: []bot.ChecklistItem{}}
		for i := range perList {
			cl.Items = append(cl.Items, bot.ChecklistItem{ID: fmt.Sprintf("c%d-i%d", c, i), Title: fmt.Sprintf("Item %d %d", c, i)})
		}
		r.Checklists = append(r.Checklists, cl)
	}
	return r
}

// closeItem is an UpdateItem callback closing the item at (c, i) with an
// event named id.
func closeItem(c, i int, id string) func(*bot.RunItem) (bot.RunChange, error) {
	return func(ri *bot.RunItem) (bot.RunChange, error) {
		if !ri.Found || ri.Checklist != c || ri.Position != i {
			return bot.RunChange{}, fmt.Errorf("UpdateItem gave item %s at %d %d (found %v), want the one at %d %d", ri.Item.ID, ri.Checklist, ri.Position, ri.Found, c, i)
		}
		ri.Item.State, ri.Item.StateModified = bot.ItemClosed, 5
		return bot.RunChange{Events: []bot.TimelineEvent{testEvent(id, 5, 5)}}, nil
	}
}

// TestUpdateItemConcurrently has 64 item updates, each closing its own
// item by ID, race 16 moves of items of the same run: none is lost, every
// item is closed once, and the checklists keep every item exactly once.
func TestUpdateItemConcurrently(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const lists, perList, moves = 4, 16, 16
		if err := db.CreateRun(ctx, busyRun("run1", lists, perList), nil); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		errs := make([]error, lists*perList+moves)
		var wg sync.WaitGroup
		for n := range lists * perList {
			wg.Go(func() {
				<-start
				id := fmt.Sprintf("c%d-i%d", n/perList, n%perList)
				_, errs[n] = db.UpdateItem(ctx, "run1", bot.ItemRef{ItemID: id}, func(ri *bot.RunItem) (bot.RunChange, error) {
					switch {
					case !ri.Found || ri.Item.ID != id:
						return bot.RunChange{}, fmt.Errorf("item %s not found", id)
					case ri.Item.State == bot.ItemClosed:
						return bot.RunChange{}, fmt.Errorf("item %s closed twice", id)
					}
					ri.Item.State = bot.ItemClosed
					return bot.RunChange{Events: []bot.TimelineEvent{testEvent("e-"+id, 5, 5)}}, nil
				})
			})
		}
		for m := range moves {
			wg.Go(func() {
				<-start
				_, errs[lists*perList+m] = db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
					c := &r.Checklists[m%lists]
					moved := c.Items[0]
					c.Items = slices.Insert(slices.Delete(c.Items, 0, 1), perList-1, moved)
					return bot.RunChange{Events: []bot.TimelineEvent{testEvent(fmt.Sprintf("move%02d", m), 5, 5)}}, nil
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
		seen := map[string]bool{}
		for c, cl := range got.Checklists {
			if len(cl.Items) != perList {
				t.Errorf("checklist %d has %d items, want %d", c, len(cl.Items), perList)
			}
			for _, it := range cl.Items {
				if seen[it.ID] {
					t.Errorf("item %s twice", it.ID)
				}
				seen[it.ID] = true
				if it.State != bot.ItemClosed {
					t.Errorf("item %s is %q, want closed: an update was lost", it.ID, it.State)
				}
			}
		}
		if len(got.TimelineEvents) != lists*perList+moves {
			t.Errorf("got %d timeline events, want %d", len(got.TimelineEvents), lists*perList+moves)
		}
	})
}

// TestUpdateItemLocks checks on Postgres what UpdateItem is for: an
// update of another item of the run goes ahead while one is in progress;
// an update of the same item, and a change of the run's structure, wait
// for it and see its result.
func TestUpdateItemLocks(t *testing.T) {
	db := storetest.Open(t, storetest.Postgres)
	ctx := context.Background()
	if err := db.CreateRun(ctx, busyRun("run1", 1, 4), nil); err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := db.UpdateItem(ctx, "run1", bot.ItemRef{Checklist: 0, Item: 0}, func(ri *bot.RunItem) (bot.RunChange, error) {
			close(inside)
			<-release
			return closeItem(0, 0, "e-first")(ri)
		})
		first <- err
	}()
	<-inside

	// Another item: done while the first is held (a deadlock, were it to
	// wait, caught by the bound below rather than the test's timeout).
	other := make(chan error, 1)
	go func() {
		_, err := db.UpdateItem(ctx, "run1", bot.ItemRef{Checklist: 0, Item: 1}, closeItem(0, 1, "e-other"))
		other <- err
	}()
	select {
	case err := <-other:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		close(release)
		t.Fatal("an update of another item of the run waited for the one in progress")
	}

	// The same item, and a move: both must see the first update's result.
	var sawSame, sawMove string
	same, move := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := db.UpdateItem(ctx, "run1", bot.ItemRef{Checklist: 0, Item: 0}, func(ri *bot.RunItem) (bot.RunChange, error) {
			sawSame = ri.Item.State
			return bot.RunChange{}, nil
		})
		same <- err
	}()
	go func() {
		_, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			sawMove = r.Checklists[0].Items[0].State
			c := &r.Checklists[0]
			c.Items = append(c.Items[1:], c.Items[0])
			return bot.RunChange{}, nil
		})
		move <- err
	}()
	close(release)
	for _, ch := range []chan error{first, same, move} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if sawSame != bot.ItemClosed || sawMove != bot.ItemClosed {
		t.Errorf("the same item's update saw %q and the move saw %q, want both closed: they did not wait", sawSame, sawMove)
	}
	got, err := db.RunState(ctx, "run1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range got.Checklists[0].Items {
		ids = append(ids, it.ID+"="+it.State)
	}
	if diff := cmp.Diff([]string{"c0-i1=closed", "c0-i2=", "c0-i3=", "c0-i0=closed"}, ids); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestUpdateItemRefusesMore checks that UpdateItem saves its item and
// added participants only: a callback changing anything else is refused,
// nothing saved.
func TestUpdateItemRefusesMore(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CreateRun(ctx, busyRun("run1", 2, 3), nil); err != nil {
			t.Fatal(err)
		}
		before, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		for name, fn := range map[string]func(*bot.RunItem){
			"name":         func(ri *bot.RunItem) { ri.Run.Name = "Renamed" },
			"run id":       func(ri *bot.RunItem) { ri.Run.ID = "run2" },
			"position":     func(ri *bot.RunItem) { ri.Position = 2 },
			"checklist":    func(ri *bot.RunItem) { ri.Checklist = 1 },
			"found":        func(ri *bot.RunItem) { ri.Found = false },
			"add item":     func(ri *bot.RunItem) { ri.Run.Checklists[0].Items = []bot.ChecklistItem{{Title: "New"}} },
			"participant":  func(ri *bot.RunItem) { ri.Run.ParticipantIDs = nil },
			"title":        func(ri *bot.RunItem) { ri.Run.Checklists[0].Title = "Other" },
			"active stage": func(ri *bot.RunItem) { ri.Run.ActiveStage = 1 },
		} {
			_, err := db.UpdateItem(ctx, "run1", bot.ItemRef{Checklist: 0, Item: 1}, func(ri *bot.RunItem) (bot.RunChange, error) {
				ri.Item.State = bot.ItemClosed
				fn(ri)
				return bot.RunChange{Events: []bot.TimelineEvent{testEvent("e-"+name, 1, 1)}}, nil
			})
			if err == nil {
				t.Errorf("%s: UpdateItem saved a change of more than its item", name)
			}
		}
		after, err := db.Run(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("refused updates changed the run (-before +after):\n%s", diff)
		}

		// Added participants are saved, and the callback sees the item
		// where it is, in a run without its other items.
		ri, err := db.UpdateItem(ctx, "run1", bot.ItemRef{ItemID: "c1-i2"}, func(ri *bot.RunItem) (bot.RunChange, error) {
			if !ri.Found || ri.Checklist != 1 || ri.Position != 2 || ri.Item.ID != "c1-i2" {
				return bot.RunChange{}, fmt.Errorf("callback got %+v, want item c1-i2 at 1 2", ri)
			}
			ri.Item.AssigneeID = "u9"
			ri.Run.ParticipantIDs = append(ri.Run.ParticipantIDs, "u9")
			return bot.RunChange{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ri.Run.ParticipantIDs, "u9") || ri.Item.AssigneeID != "u9" {
			t.Errorf("assignee update returned %v, %+v", ri.Run.ParticipantIDs, ri.Item)
		}
		if len(ri.Run.Checklists) != 2 || ri.Run.Checklists[1].Title != before.Checklists[1].Title ||
			len(ri.Run.Checklists[0].Items)+len(ri.Run.Checklists[1].Items) != 0 {
			t.Errorf("run around the item: %+v, want its 2 checklists' titles and no items", ri.Run.Checklists)
		}

		// An unknown item reaches the callback, with all the run's items so
		// that it can say why; nothing is saved, nor may it change.
		for _, ref := range []bot.ItemRef{{Checklist: 5}, {Checklist: math.MaxInt64, Item: math.MinInt64}, {ItemID: "gone"}} {
			called := false
			_, err = db.UpdateItem(ctx, "run1", ref, func(ri *bot.RunItem) (bot.RunChange, error) {
				called = true
				if ri.Found || len(ri.Run.Checklists) != 2 || len(ri.Run.Checklists[1].Items) != 3 {
					return bot.RunChange{}, fmt.Errorf("callback got %+v, want not found and all the run's items", ri)
				}
				return bot.RunChange{}, bot.FieldErrorf("checklist", "no such item")
			})
			if !called || bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("unknown item %+v: callback called %v, error %v; want called and EInvalid", ref, called, err)
			}
		}
		if _, err = db.UpdateItem(ctx, "run1", bot.ItemRef{ItemID: "gone"}, func(ri *bot.RunItem) (bot.RunChange, error) {
			ri.Item.State = bot.ItemClosed
			return bot.RunChange{Events: []bot.TimelineEvent{testEvent("e-gone", 1, 1)}}, nil
		}); err == nil {
			t.Error("UpdateItem saved a change of an item it did not find")
		}
		got, err := db.RunState(ctx, "run1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(got.ParticipantIDs, "u9") || got.Checklists[1].Items[2].AssigneeID != "u9" {
			t.Errorf("assignee not saved: %v, %+v", got.ParticipantIDs, got.Checklists[1].Items[2])
		}
		_, err = db.UpdateItem(ctx, "nope", bot.ItemRef{}, closeItem(0, 0, "x"))
		wantCode(t, err, bot.ENotFound)
	})
}

// TestUpdateRunWritesOnlyChangedItems checks on Postgres, by the rows'
// xmin (the transaction that last wrote each), that a change of the run
// writes only the item rows it changes: a move the items between its two
// positions, a rename its item, a status change none.
func TestUpdateRunWritesOnlyChangedItems(t *testing.T) {
	url := storetest.MigratedURL(t, storetest.Postgres)
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw := rawOpen(t, storetest.Postgres, url)
	if err := db.CreateRun(ctx, busyRun("run1", 2, 6), nil); err != nil {
		t.Fatal(err)
	}
	writers := func() map[string]string {
		rows, err := raw.Query(`SELECT id, xmin::text FROM run_items WHERE run_id = 'run1'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var id, x string
			if err := rows.Scan(&id, &x); err != nil {
				t.Fatal(err)
			}
			m[id] = x
		}
		return m
	}
	for _, tc := range []struct {
		name    string
		change  func(r *bot.Run)
		written []string
	}{
		{"move 1 to 3", func(r *bot.Run) {
			c := &r.Checklists[0]
			moved := c.Items[1]
			c.Items = slices.Insert(slices.Delete(c.Items, 1, 2), 3, moved)
		}, []string{"c0-i1", "c0-i2", "c0-i3"}},
		{"rename", func(r *bot.Run) { r.Checklists[1].Items[4].Title = "Renamed" }, []string{"c1-i4"}},
		{"owner", func(r *bot.Run) { r.OwnerUserID = "u7" }, nil},
		{"remove", func(r *bot.Run) { r.Checklists[1].Items = slices.Delete(r.Checklists[1].Items, 4, 5) }, []string{"c1-i5"}},
		{"add", func(r *bot.Run) {
			r.Checklists[1].Items = append(r.Checklists[1].Items, bot.ChecklistItem{ID: "new", Title: "New"})
		}, []string{"new"}},
	} {
		before := writers()
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			tc.change(r)
			return bot.RunChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		after := writers()
		var written []string
		for id, x := range after {
			if before[id] != x {
				written = append(written, id)
			}
		}
		slices.Sort(written)
		if diff := cmp.Diff(tc.written, written); diff != "" {
			t.Errorf("%s: item rows written (-want +got):\n%s", tc.name, diff)
		}
	}
	got, err := db.RunState(ctx, "run1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range got.Checklists {
		for _, it := range c.Items {
			ids = append(ids, it.ID)
		}
	}
	want := []string{"c0-i0", "c0-i2", "c0-i3", "c0-i1", "c0-i4", "c0-i5", "c1-i0", "c1-i1", "c1-i2", "c1-i3", "c1-i5", "new"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestRefreshPostAfterItemUpdates checks that the run's version, which
// decides whether its post needs a rewrite, grows with item updates and
// with the removal of an updated item: the post is rewritten after each.
func TestRefreshPostAfterItemUpdates(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.CreateRun(ctx, busyRun("run1", 1, 3), nil); err != nil {
			t.Fatal(err)
		}
		var shown []string
		refresh := func(want bool, what string) {
			t.Helper()
			called, err := db.RefreshPost(ctx, "run1", false, func(r bot.Run) (string, error) {
				var states []string
				for _, it := range r.Checklists[0].Items {
					states = append(states, it.ID+"="+it.State)
				}
				shown = states
				return "post1", nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if called != want {
				t.Errorf("%s: show called %v, want %v", what, called, want)
			}
		}
		refresh(true, "first post")
		refresh(false, "nothing changed")
		if _, err := db.UpdateItem(ctx, "run1", bot.ItemRef{Checklist: 0, Item: 2}, closeItem(0, 2, "e1")); err != nil {
			t.Fatal(err)
		}
		refresh(true, "item closed")
		if diff := cmp.Diff([]string{"c0-i0=", "c0-i1=", "c0-i2=closed"}, shown); diff != "" {
			t.Errorf("post shows (-want +got):\n%s", diff)
		}
		refresh(false, "nothing changed")
		if _, err := db.UpdateRun(ctx, "run1", func(r *bot.Run) (bot.RunChange, error) {
			r.Checklists[0].Items = r.Checklists[0].Items[:2]
			return bot.RunChange{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		refresh(true, "closed item removed")
		if diff := cmp.Diff([]string{"c0-i0=", "c0-i1="}, shown); diff != "" {
			t.Errorf("post shows (-want +got):\n%s", diff)
		}
		refresh(false, "nothing changed")
	})
}

// TestItemsMigration writes runs as the schema before migration 16 kept
// them (items inside runs.checklists, some lists null or fields missing),
// migrates, and reads every item back; then migrates down and finds the
// JSON as it was, and up again.
func TestItemsMigration(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := storetest.URL(t, kind)
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.MigrateTo(ctx, 15); err != nil {
				t.Fatal(err)
			}
			raw := sqlx.NewDb(rawOpen(t, kind, url), map[string]string{storetest.SQLite: "sqlite", storetest.Postgres: "postgres"}[kind])
			full := []bot.Checklist{
				{ID: "c0", Title: "Triage", Items: []bot.ChecklistItem{
					{ID: "i0", Title: "Page", State: bot.ItemClosed, StateModified: 1700000000001, AssigneeID: "u1",
						AssigneeModified: 1700000000002, Command: "/page", CommandLastRun: 1700000000003,
						Description: "Wake them \"up\" ✓", DueDate: 1700000000004},
					{ID: "i1", Title: "Assess", State: bot.ItemInProgress},
				}},
				{ID: "c1", Title: "Empty", Items: []bot.ChecklistItem{}},
				{ID: "c2", Title: "Fix", Items: []bot.ChecklistItem{{ID: "i2", Title: "Roll back"}}},
			}
			fullJSON, err := json.Marshal(full)
			if err != nil {
				t.Fatal(err)
			}
			runs := map[string]struct {
				stored string
				want   []bot.Checklist
			}{
				"full":       {string(fullJSON), full},
				"none":       {`[]`, []bot.Checklist{}},
				"null":       {`null`, []bot.Checklist{}},
				"null items": {`[{"id":"c0","title":"A","items":null},{"title":"B"}]`, []bot.Checklist{{ID: "c0", Title: "A", Items: []bot.ChecklistItem{}}, {Title: "B", Items: []bot.ChecklistItem{}}}},
				"sparse":     {`[{"items":[{"title":"only a title"},{}]}]`, []bot.Checklist{{Items: []bot.ChecklistItem{{Title: "only a title"}, {}}}}},
			}
			for id, r := range runs {
				if _, err := raw.Exec(raw.Rebind(`INSERT INTO runs (id, name, is_active, team_id, create_at, checklists)
					VALUES (?, ?, ?, ?, ?, ?)`), id, id, true, "team1", 1000, r.stored); err != nil {
					t.Fatal(err)
				}
			}
			check := func(stage string) {
				t.Helper()
				for id, r := range runs {
					got, err := db.Run(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(r.want, got.Checklists); diff != "" {
						t.Errorf("%s: run %q checklists (-want +got):\n%s", stage, id, diff)
					}
				}
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			check("migrated")

			// Down: the JSON holds the items again, as the older binary wrote them.
			if err := db.MigrateDownTo(ctx, 15); err != nil {
				t.Fatal(err)
			}
			var stored string
			if err := raw.Get(&stored, raw.Rebind(`SELECT checklists FROM runs WHERE id = ?`), "full"); err != nil {
				t.Fatal(err)
			}
			var back []bot.Checklist
			if err := json.Unmarshal([]byte(stored), &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(full, back); diff != "" {
				t.Errorf("down: checklists JSON (-want +got):\n%s", diff)
			}
			var n int
			err = raw.Get(&n, `SELECT COUNT(*) FROM run_items`)
			if err == nil || err == sql.ErrNoRows {
				t.Errorf("down: run_items still there (%d rows)", n)
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			check("migrated again")
		})
	}
}
