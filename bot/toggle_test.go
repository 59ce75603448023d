package bot_test

import (
	"context"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestToggleItemByID checks that a click drawn for an item toggles that
// item after it moved, and is refused once the item is gone.
func TestToggleItemByID(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			svc := bot.NewService(bot.Config{Store: storetest.Open(t, kind)})
			a := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, a, bot.Playbook{Title: "P", TeamID: bot.NewID(), Checklists: []bot.Checklist{
				{Title: "C", Items: []bot.ChecklistItem{{Title: "first"}, {Title: "second"}, {Title: "third"}}}}})
			if err != nil {
				t.Fatal(err)
			}
			r, err := svc.CreateRun(ctx, a, bot.NewRun{Name: "R", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			third := r.Checklists[0].Items[2].ID
			if _, err := svc.MoveItem(ctx, a, r.ID, 0, 2, 0); err != nil { // third is now at 0
				t.Fatal(err)
			}
			ri, err := svc.ToggleItemByID(ctx, a, r.ID, third)
			if err != nil {
				t.Fatal(err)
			}
			if !ri.Found || ri.Item.ID != third || ri.Item.State != bot.ItemClosed || ri.Checklist != 0 || ri.Position != 0 {
				t.Errorf("toggled %+v, want the third item, closed, at 0 0", ri)
			}
			got, err := svc.Run(ctx, a, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range got.Checklists[0].Items {
				want := bot.ItemOpen
				if it.ID == third {
					want = bot.ItemClosed
				}
				if it.State != want {
					t.Errorf("item %q state %q, want %q", it.Title, it.State, want)
				}
			}
			if _, err := svc.DeleteItem(ctx, a, r.ID, 0, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ToggleItemByID(ctx, a, r.ID, third); bot.ErrorCode(err) != bot.ENotFound {
				t.Errorf("toggle a removed item: error %v, want ENotFound", err)
			}
		})
	}
}
