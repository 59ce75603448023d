package dialogs

import (
	"strconv"

	"github.com/playbooks-bot/playbooks/bot"
)

// Element names of the status-update dialog; they match the field names of
// bot.Service.UpdateStatus's errors.
const (
	StatusMessage  = "message"
	StatusReminder = "reminder"
)

// ReminderOptions are the choices of the next-update reminder, in seconds;
// "0" is no reminder.
func ReminderOptions() []Option {
	return []Option{
		{Text: "No reminder", Value: "0"},
		{Text: "In 15 minutes", Value: "900"},
		{Text: "In 30 minutes", Value: "1800"},
		{Text: "In 1 hour", Value: "3600"},
		{Text: "In 4 hours", Value: "14400"},
		{Text: "In 1 day", Value: "86400"},
	}
}

// StatusUpdateDialog asks for a status update of run r and when to be
// reminded of the next one, preselecting the previous reminder.
func StatusUpdateDialog(r bot.Run) Dialog {
	def := "0"
	prev := strconv.FormatInt(r.PreviousReminder, 10)
	for _, o := range ReminderOptions() {
		if o.Value == prev {
			def = prev
		}
	}
	return Dialog{
		CallbackID:  StatusUpdate,
		Title:       "Post a status update",
		IntroText:   "The update is posted in the channel of **" + r.Name + "** and its broadcast channels.",
		SubmitLabel: "Post",
		State:       RunState{RunID: r.ID}.String(),
		Elements: []Element{
			{Name: StatusMessage, DisplayName: "Update", Type: TypeTextarea,
				Placeholder: "What changed, what is next, what help is needed?"},
			{Name: StatusReminder, DisplayName: "Remind me to update", Type: TypeSelect,
				Options: ReminderOptions(), Default: def},
		},
	}
}

// StatusUpdateInput is a submitted status-update dialog.
type StatusUpdateInput struct {
	Message  string
	Reminder int64 // seconds; 0 is none
}

// ParseStatusUpdate checks a status-update submission: a message is
// required and the reminder must be one of ReminderOptions (none if empty).
func ParseStatusUpdate(values map[string]string) (StatusUpdateInput, FieldErrors) {
	in := StatusUpdateInput{Message: value(values, StatusMessage)}
	errs := FieldErrors{}
	checkText(errs, StatusMessage, "Update", in.Message, true, bot.MaxTextLen)
	if v := value(values, StatusReminder); v != "" {
		ok := false
		for _, o := range ReminderOptions() {
			ok = ok || o.Value == v
		}
		if ok {
			in.Reminder, _ = strconv.ParseInt(v, 10, 64)
		} else {
			errs[StatusReminder] = "Pick one of the listed reminders"
		}
	}
	return in, orNil(errs)
}
