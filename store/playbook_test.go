package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// testPlaybook returns a playbook with the given number of stages and steps
// (spread over the stages), and nil lists elsewhere.
func testPlaybook(id, team, title string, stages, steps int) bot.Playbook {
	p := bot.Playbook{
		ID: id, Title: title, TeamID: team, CreateAt: 1000, UpdateAt: 1000,
		NumStages: int64(stages), NumSteps: int64(steps), Checklists: []bot.Checklist{},
	}
	for s := range stages {
		p.Checklists = append(p.Checklists, bot.Checklist{
			ID: fmt.Sprintf("%s-c%d", id, s), Title: fmt.Sprintf("Stage %d", s), Items: []bot.ChecklistItem{},
		})
	}
	for i := range steps {
		c := &p.Checklists[i%stages]
		c.Items = append(c.Items, bot.ChecklistItem{ID: fmt.Sprintf("%s-i%d", id, i), Title: fmt.Sprintf("Step %d", i)})
	}
	return p
}

func TestPlaybookCreateGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		full := bot.Playbook{
			ID: "pb-full", Title: "Incident", Description: "What to do", TeamID: "team1",
			CreatePublicPlaybookRun: true, Public: true, CreateAt: 10, UpdateAt: 20, DeleteAt: 0,
			NumStages: 1, NumSteps: 2,
			Checklists: []bot.Checklist{{ID: "c1", Title: "Triage", Items: []bot.ChecklistItem{
				{ID: "i1", Title: "Page", State: bot.ItemClosed, StateModified: 5, AssigneeID: "u1",
					AssigneeModified: 6, Command: "/page", CommandLastRun: 7, Description: "Wake them"},
				{ID: "i2", Title: "Fix"},
			}}},
			MemberIDs: []string{"u1", "u2"}, BroadcastChannelIDs: []string{"ch1"},
			InvitedUserIDs: []string{"u3"}, InviteUsersEnabled: true,
			DefaultOwnerID: "u1", DefaultOwnerEnabled: true,
			AnnouncementChannelID: "ch2", AnnouncementChannelEnabled: true,
			WebhookOnCreationURL: "https://example.com/c", WebhookOnCreationEnabled: true,
			WebhookOnStatusUpdateURL: "https://example.com/s", WebhookOnStatusUpdateEnabled: true,
		}
		if err := db.CreatePlaybook(ctx, full); err != nil {
			t.Fatal(err)
		}
		got, err := db.Playbook(ctx, full.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(full, got); diff != "" {
			t.Errorf("Playbook mismatch (-want +got):\n%s", diff)
		}

		// nil lists, and a checklist with nil items, come back empty.
		bare := bot.Playbook{ID: "pb-bare", Title: "Bare", TeamID: "team1",
			Checklists: []bot.Checklist{{ID: "c1", Title: "Empty"}}}
		if err := db.CreatePlaybook(ctx, bare); err != nil {
			t.Fatal(err)
		}
		got, err = db.Playbook(ctx, bare.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := bare
		want.Checklists = []bot.Checklist{{ID: "c1", Title: "Empty", Items: []bot.ChecklistItem{}}}
		want.MemberIDs, want.BroadcastChannelIDs, want.InvitedUserIDs = []string{}, []string{}, []string{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Playbook with nil lists mismatch (-want +got):\n%s", diff)
		}

		wantCode(t, db.CreatePlaybook(ctx, full), bot.EConflict)
		_, err = db.Playbook(ctx, "missing")
		wantCode(t, err, bot.ENotFound)
	})
}

func TestUpdatePlaybook(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := testPlaybook("pb1", "team1", "Before", 1, 1)
		if err := db.CreatePlaybook(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := db.UpdatePlaybook(ctx, p.ID, func(p *bot.Playbook) error {
			p.Title = "After"
			p.Checklists[0].Items[0].State = bot.ItemClosed
			p.MemberIDs = []string{"u9"}
			p.ID = "ignored"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := p
		want.Title = "After"
		want.Checklists[0].Items[0].State = bot.ItemClosed
		want.MemberIDs = []string{"u9"}
		want.BroadcastChannelIDs, want.InvitedUserIDs = []string{}, []string{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("UpdatePlaybook result mismatch (-want +got):\n%s", diff)
		}
		stored, err := db.Playbook(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, stored); diff != "" {
			t.Errorf("stored playbook mismatch (-want +got):\n%s", diff)
		}

		fnErr := bot.Errorf(bot.EForbidden, "no")
		_, err = db.UpdatePlaybook(ctx, p.ID, func(p *bot.Playbook) error {
			p.Title = "Aborted"
			return fnErr
		})
		if err != fnErr {
			t.Errorf("got error %v, want fn's error %v unchanged", err, fnErr)
		}
		stored, err = db.Playbook(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Title != "After" {
			t.Errorf("got title %q after an aborted update, want %q", stored.Title, "After")
		}

		_, err = db.UpdatePlaybook(ctx, "missing", func(*bot.Playbook) error {
			t.Error("fn called for a missing playbook")
			return nil
		})
		wantCode(t, err, bot.ENotFound)
	})
}

func TestListPlaybooks(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		archived := testPlaybook("p4", "team1", "delta", 2, 2)
		archived.DeleteAt = 2000
		for _, p := range []bot.Playbook{
			testPlaybook("p1", "team1", "Bravo", 2, 3),
			testPlaybook("p2", "team1", "alpha", 1, 4),
			testPlaybook("p3", "team1", "Charlie", 3, 1),
			archived,
			testPlaybook("p5", "team1", "echo", 0, 0),
			testPlaybook("p6", "team2", "aaa", 1, 1),
		} {
			if err := db.CreatePlaybook(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			name      string
			f         bot.PlaybookFilter
			wantIDs   []string
			wantTotal int
			wantPages int
			wantMore  bool
		}{
			{"title asc, case-insensitive", bot.PlaybookFilter{Sort: "title", Direction: "asc"},
				[]string{"p2", "p1", "p3", "p5"}, 4, 1, false},
			{"title desc", bot.PlaybookFilter{Sort: "title", Direction: "desc"},
				[]string{"p5", "p3", "p1", "p2"}, 4, 1, false},
			{"defaults sort by title ascending", bot.PlaybookFilter{},
				[]string{"p2", "p1", "p3", "p5"}, 4, 1, false},
			{"with archived", bot.PlaybookFilter{Sort: "title", Direction: "asc", WithArchived: true},
				[]string{"p2", "p1", "p3", "p4", "p5"}, 5, 1, false},
			{"stages asc, ties by id asc", bot.PlaybookFilter{Sort: "stages", Direction: "asc", WithArchived: true},
				[]string{"p5", "p2", "p1", "p4", "p3"}, 5, 1, false},
			{"stages desc, ties by id desc", bot.PlaybookFilter{Sort: "stages", Direction: "desc", WithArchived: true},
				[]string{"p3", "p4", "p1", "p2", "p5"}, 5, 1, false},
			{"steps asc", bot.PlaybookFilter{Sort: "steps", Direction: "asc"},
				[]string{"p5", "p3", "p1", "p2"}, 4, 1, false},
			{"steps desc", bot.PlaybookFilter{Sort: "steps", Direction: "desc"},
				[]string{"p2", "p1", "p3", "p5"}, 4, 1, false},
			{"first page", bot.PlaybookFilter{Sort: "title", Direction: "asc", PerPage: 3},
				[]string{"p2", "p1", "p3"}, 4, 2, true},
			{"last page", bot.PlaybookFilter{Sort: "title", Direction: "asc", Page: 1, PerPage: 3},
				[]string{"p5"}, 4, 2, false},
			{"past the end", bot.PlaybookFilter{Sort: "title", Direction: "asc", Page: 2, PerPage: 3},
				[]string{}, 4, 2, false},
			{"exact pages", bot.PlaybookFilter{Sort: "title", Direction: "asc", PerPage: 2},
				[]string{"p2", "p1"}, 4, 2, true},
			{"exact pages, last", bot.PlaybookFilter{Sort: "title", Direction: "asc", Page: 1, PerPage: 2},
				[]string{"p3", "p5"}, 4, 2, false},
			{"other team", bot.PlaybookFilter{TeamID: "team2"}, []string{"p6"}, 1, 1, false},
			{"unknown team", bot.PlaybookFilter{TeamID: "team9"}, []string{}, 0, 0, false},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.f
				if f.TeamID == "" {
					f.TeamID = "team1"
				}
				if f.PerPage == 0 {
					f.PerPage = 100
				}
				got, err := db.ListPlaybooks(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				gotIDs := []string{}
				for _, p := range got.Items {
					gotIDs = append(gotIDs, p.ID)
				}
				if diff := cmp.Diff(tt.wantIDs, gotIDs); diff != "" {
					t.Errorf("IDs mismatch (-want +got):\n%s", diff)
				}
				if got.Items == nil {
					t.Error("got nil Items, want an empty slice")
				}
				if got.TotalCount != tt.wantTotal || got.PageCount != tt.wantPages || got.HasMore != tt.wantMore {
					t.Errorf("got total %d, pages %d, has_more %t; want %d, %d, %t",
						got.TotalCount, got.PageCount, got.HasMore, tt.wantTotal, tt.wantPages, tt.wantMore)
				}
			})
		}

		// Items are whole playbooks.
		got, err := db.ListPlaybooks(ctx, bot.PlaybookFilter{TeamID: "team2", PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.Playbook(ctx, "p6")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bot.Playbook{want}, got.Items); diff != "" {
			t.Errorf("listed playbook mismatch (-want +got):\n%s", diff)
		}

		// Sort and direction are never interpolated.
		_, err = db.ListPlaybooks(ctx, bot.PlaybookFilter{TeamID: "team1", PerPage: 10, Sort: "title; DROP TABLE playbooks"})
		wantCode(t, err, bot.EInvalid)
		_, err = db.ListPlaybooks(ctx, bot.PlaybookFilter{TeamID: "team1", PerPage: 10, Direction: "sideways"})
		wantCode(t, err, bot.EInvalid)
	})
}

func TestAutoFollows(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, id := range []string{"pb1", "pb2"} {
			if err := db.CreatePlaybook(ctx, testPlaybook(id, "team1", id, 0, 0)); err != nil {
				t.Fatal(err)
			}
		}
		check := func(id string, want []string) {
			t.Helper()
			got, err := db.AutoFollows(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("AutoFollows(%s) mismatch (-want +got):\n%s", id, diff)
			}
		}
		for _, step := range []struct {
			user   string
			follow bool
		}{{"u2", true}, {"u1", true}, {"u1", true}, {"u3", true}, {"u3", false}, {"u3", false}} {
			if err := db.SetAutoFollow(ctx, "pb1", step.user, step.follow); err != nil {
				t.Fatalf("SetAutoFollow(%s, %t): %v", step.user, step.follow, err)
			}
		}
		check("pb1", []string{"u1", "u2"})
		check("pb2", []string{})
		wantCode(t, db.SetAutoFollow(ctx, "missing", "u1", true), bot.ENotFound)
	})
}
