package dialogs

import "github.com/playbooks-bot/playbooks/bot"

// Element names of the start-run dialog; they match the field names of
// bot.Service.CreateRun's errors.
const (
	StartRunPlaybook    = "playbook_id"
	StartRunName        = "name"
	StartRunDescription = "description"
)

// StartRunDialog asks which playbook to start a run from, and the run's name
// and description. playbooks must not be empty: a select needs options.
func StartRunDialog(playbooks []bot.Playbook) Dialog {
	opts := make([]Option, len(playbooks))
	for i, p := range playbooks {
		opts[i] = Option{Text: p.Title, Value: p.ID}
	}
	def := ""
	if len(playbooks) == 1 {
		def = playbooks[0].ID
	}
	return Dialog{
		CallbackID:  StartRun,
		Title:       "Start a run",
		IntroText:   "A run copies the playbook's checklists and gets a channel of its own.",
		SubmitLabel: "Start",
		Elements: []Element{
			{Name: StartRunPlaybook, DisplayName: "Playbook", Type: TypeSelect, Options: opts, Default: def,
				Placeholder: "Pick a playbook"},
			{Name: StartRunName, DisplayName: "Run name", Type: TypeText, MaxLength: bot.MaxTitleLen,
				Placeholder: "e.g. Checkout errors in eu-west", HelpText: "Also the name of the run's channel."},
			{Name: StartRunDescription, DisplayName: "Description", Type: TypeTextarea, Optional: true,
				Placeholder: "What is happening, and who is affected?"},
		},
	}
}

// StartRunInput is a submitted start-run dialog.
type StartRunInput struct {
	PlaybookID  string
	Name        string
	Description string
}

// ParseStartRun checks a start-run submission: a playbook and a name of at
// most bot.MaxTitleLen characters are required.
func ParseStartRun(values map[string]string) (StartRunInput, FieldErrors) {
	in := StartRunInput{
		PlaybookID:  value(values, StartRunPlaybook),
		Name:        value(values, StartRunName),
		Description: value(values, StartRunDescription),
	}
	errs := FieldErrors{}
	switch {
	case in.PlaybookID == "":
		errs[StartRunPlaybook] = "Pick a playbook to start the run from"
	case !bot.OwnID(in.PlaybookID):
		errs[StartRunPlaybook] = "Pick one of the listed playbooks"
	}
	checkText(errs, StartRunName, "Run name", in.Name, true, bot.MaxTitleLen)
	checkText(errs, StartRunDescription, "Description", in.Description, false, bot.MaxTextLen)
	return in, orNil(errs)
}
