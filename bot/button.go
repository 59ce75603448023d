package bot

import (
	"context"
	"time"
)

// Actions of a button the bot renders, as a click names them.
const (
	// ButtonToggleItem toggles a checklist item (a checklist post's button).
	ButtonToggleItem = "toggle_item"
	// ButtonUpdateStatus opens the status update dialog (a reminder's button).
	ButtonUpdateStatus = "update_status"
	// ButtonSnooze snoozes the run's reminder (a reminder's button).
	ButtonSnooze = "snooze"
)

// Click is a click on one of the bot's buttons, its signed payload already
// verified by the chat adapter.
type Click struct {
	ChannelID string        // the channel the button was clicked in
	RunID     string        // the run the button was rendered for
	Action    string        // ButtonToggleItem, ButtonUpdateStatus or ButtonSnooze
	ItemID    string        // the item to toggle (ButtonToggleItem)
	Snooze    time.Duration // the delay (ButtonSnooze)
}

// ErrOtherChannel is the error of a click on a button whose run is not the
// run of the channel it was clicked in: the button was copied or forged,
// and nothing changes. Adapters refuse such a click like one whose
// signature does not verify.
var ErrOtherChannel = Errorf(EUnauthenticated, "this button does not belong to this channel")

// Click acts on a click as the actor: a button acts only on the run of the
// channel it was clicked in (else ErrOtherChannel, nothing changed), which
// is checked on the run read under its lock for a change, so a click costs
// one read of the run's state and no history. It returns the run as the
// click left it: the dialog of ButtonUpdateStatus is opened from it. After
// ButtonToggleItem, the run carries no items (see RunItem).
func (s *Service) Click(ctx context.Context, a Actor, c Click) (Run, error) {
	inChannel := func(r *Run) error {
		if r.ChannelID != c.ChannelID {
			return ErrOtherChannel
		}
		return nil
	}
	switch c.Action {
	case ButtonToggleItem:
		ri, err := s.toggleItemByID(ctx, a, c.RunID, c.ItemID, inChannel)
		return ri.Run, err
	case ButtonSnooze:
		return s.snoozeReminder(ctx, a, c.RunID, c.Snooze, inChannel)
	case ButtonUpdateStatus:
		if err := checkID("id", c.RunID); err != nil {
			return Run{}, err
		}
		r, err := s.store.RunState(ctx, c.RunID)
		if err != nil {
			return Run{}, err
		}
		if err := s.checkRun(ctx, a, r); err != nil {
			return Run{}, err
		}
		if err := inChannel(&r); err != nil {
			return Run{}, err
		}
		return r, nil
	}
	return Run{}, Errorf(EInvalid, "this button is not one this bot knows")
}
