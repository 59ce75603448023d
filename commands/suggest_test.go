package commands_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
)

// TestSuggestItemsForCommand: the item suggestions of each command say
// what that command does with each item in its state now; without a
// command, where the item is; an unknown command or list is refused.
func TestSuggestItemsForCommand(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		e := f.newEnv(t)
		mustItem(t)(f.svc.ToggleItem(ctx, e.actor, e.run.ID, 0, 1))
		if _, _, err := f.svc.SetItemAssignee(ctx, e.actor, e.run.ID, 1, 0, f.alice); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			command string
			want    map[string]string // item → help
		}{
			{"check", map[string]string{"0 0": "Check this item", "0 1": "Uncheck this item", "1 0": "Check this item"}},
			{"checkremove", map[string]string{"0 0": "Remove this item from Triage", "0 1": "Remove this item from Triage", "1 0": "Remove this item from Mitigate"}},
			{"assign", map[string]string{"0 0": "Assign this item to someone", "0 1": "Assign this item to someone", "1 0": "Assign this item to someone else"}},
			{"", map[string]string{"0 0": "An item of Triage", "0 1": "An item of Triage", "1 0": "An item of Mitigate"}},
		} {
			got, err := f.d.Suggest(ctx, e.actor, e.run.ChannelID, tc.command, commands.ListItems)
			if err != nil {
				t.Fatalf("%q: %v", tc.command, err)
			}
			help := map[string]string{}
			for _, s := range got {
				if _, ok := tc.want[s.Item]; ok {
					help[s.Item] = s.Help
				}
			}
			if diff := cmp.Diff(tc.want, help); diff != "" {
				t.Errorf("/playbook %s items (-want +got):\n%s", tc.command, diff)
			}
		}
		for _, bad := range [][2]string{{"nonsense", commands.ListItems}, {"check", "nonsense"}} {
			if _, err := f.d.Suggest(ctx, e.actor, e.run.ChannelID, bad[0], bad[1]); bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("command %q list %q: got %v, want EInvalid", bad[0], bad[1], err)
			}
		}
	})
}
