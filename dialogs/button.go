package dialogs

// Button is what a click on one of the bot's buttons asks, as an adapter
// decodes it from the button's signed payload: the run it was rendered
// for, its action (bot.ButtonToggleItem, bot.ButtonUpdateStatus,
// bot.ButtonSnooze), the item to toggle and the snooze delay in seconds.
type Button struct {
	RunID   string
	Action  string
	ItemID  string
	Seconds int64
}
