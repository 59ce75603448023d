package commands

import (
	"context"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Click is a click on one of the bot's buttons as any platform sends it,
// its signed payload already verified by the adapter.
type Click struct {
	Platform  string    // the chat platform it came from
	Actor     bot.Actor // the user, limited to the team the click came from
	ChannelID string    // the channel it was clicked in
	Button    dialogs.Button
}

// ClickResponse is what a click did: the run as it left it and, for a
// reminder's "Update status", the dialog to open with the click's trigger.
type ClickResponse struct {
	Run    bot.Run
	Dialog *dialogs.Dialog
}

// Click acts on a button click through bot.Service.Click, which refuses a
// button of another channel's run (bot.ErrOtherChannel).
func (d *Dispatcher) Click(ctx context.Context, c Click) (ClickResponse, error) {
	b := c.Button
	r, err := d.svc.Click(ctx, c.Actor, bot.Click{
		ChannelID: c.ChannelID, RunID: b.RunID, Action: b.Action, ItemID: b.ItemID,
		Snooze: time.Duration(b.Seconds) * time.Second,
	})
	if err != nil {
		return ClickResponse{}, err
	}
	resp := ClickResponse{Run: r}
	if b.Action == bot.ButtonUpdateStatus {
		dlg := dialogs.StatusUpdateDialog(r)
		resp.Dialog = &dlg
	}
	return resp, nil
}
