package dialogs

import "github.com/playbooks-bot/playbooks/bot"

// EndRunDialog asks to confirm ending run r; it has no elements.
func EndRunDialog(r bot.Run) Dialog {
	return Dialog{
		CallbackID:  EndRun,
		Title:       "End the run",
		IntroText:   "End **" + r.Name + "**? It is marked finished; `/playbook restart` makes it active again.",
		SubmitLabel: "End run",
		State:       RunState{RunID: r.ID}.String(),
	}
}

// EndRunInput is a submitted end-run dialog: a confirmation, with no values.
type EndRunInput struct{}

// ParseEndRun checks an end-run submission; there is nothing to get wrong.
func ParseEndRun(map[string]string) (EndRunInput, FieldErrors) {
	return EndRunInput{}, nil
}
