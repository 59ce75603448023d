package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestClick checks what a click answers: a reminder's "Update status"
// the status update dialog of the run, a toggle or a snooze no dialog;
// a button of another channel's run bot.ErrOtherChannel.
func TestClick(t *testing.T) {
	ctx := context.Background()
	svc := bot.NewService(bot.Config{Store: storetest.Open(t, storetest.SQLite), Chat: fakeChat{}})
	team := bot.NewID()
	a := bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}
	pb, err := svc.CreatePlaybook(ctx, bot.Actor{UserID: a.UserID, Admin: true}, bot.Playbook{Title: "P", TeamID: team,
		CreatePublicPlaybookRun: true, Checklists: []bot.Checklist{{Title: "C", Items: []bot.ChecklistItem{{Title: "Page"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.CreateRun(ctx, a, bot.NewRun{Name: "R", PlaybookID: pb.ID})
	if err != nil {
		t.Fatal(err)
	}
	d := commands.NewDispatcher(svc)
	click := func(channel string, b dialogs.Button) (commands.ClickResponse, error) {
		return d.Click(ctx, commands.Click{Platform: "mattermost", Actor: a, ChannelID: channel, Button: b})
	}
	resp, err := click(r.ChannelID, dialogs.Button{RunID: r.ID, Action: bot.ButtonUpdateStatus})
	if err != nil || resp.Dialog == nil || resp.Dialog.CallbackID != dialogs.StatusUpdate || resp.Run.ID != r.ID {
		t.Fatalf("update status: %+v, %v; want the status update dialog", resp, err)
	}
	for _, b := range []dialogs.Button{
		{RunID: r.ID, Action: bot.ButtonToggleItem, ItemID: r.Checklists[0].Items[0].ID},
		{RunID: r.ID, Action: bot.ButtonSnooze, Seconds: 900},
	} {
		if resp, err := click(r.ChannelID, b); err != nil || resp.Dialog != nil || resp.Run.ID != r.ID {
			t.Errorf("%s: %+v, %v; want the run, no dialog", b.Action, resp, err)
		}
		if _, err := click(bot.NewID(), b); !errors.Is(err, bot.ErrOtherChannel) {
			t.Errorf("%s in another channel: %v, want ErrOtherChannel", b.Action, err)
		}
	}
	if _, err := click(r.ChannelID, dialogs.Button{RunID: r.ID, Action: "delete"}); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("unknown action: %v, want EInvalid", err)
	}
}
