package dialogs

import (
	"fmt"

	"github.com/playbooks-bot/playbooks/bot"
)

// OpenItems counts the items of c that are not closed.
func OpenItems(c bot.Checklist) int {
	n := 0
	for _, it := range c.Items {
		if it.State != bot.ItemClosed {
			n++
		}
	}
	return n
}

// NextStageDialog asks to confirm moving run r from its active stage, which
// has open items, to the stage at index target (the next or previous one).
// It has no elements; the target travels in the State.
func NextStageDialog(r bot.Run, target int) Dialog {
	title, label := "Move to the next stage", "Move on"
	if target < r.ActiveStage {
		title, label = "Go back a stage", "Go back"
	}
	open, from, to := 0, "", ""
	if r.ActiveStage >= 0 && r.ActiveStage < len(r.Checklists) {
		open, from = OpenItems(r.Checklists[r.ActiveStage]), r.Checklists[r.ActiveStage].Title
	}
	if target >= 0 && target < len(r.Checklists) {
		to = r.Checklists[target].Title
	}
	items := "items are"
	if open == 1 {
		items = "item is"
	}
	return Dialog{
		CallbackID: NextStage,
		Title:      title,
		IntroText: fmt.Sprintf("%d %s still open in stage %d (%s). Move to stage %d (%s) anyway?",
			open, items, r.ActiveStage, from, target, to),
		SubmitLabel: label,
		State:       RunState{RunID: r.ID, Index: target}.String(),
	}
}

// NextStageInput is a submitted next-stage dialog: a confirmation, with no
// values (the target stage is in the dialog's State).
type NextStageInput struct{}

// ParseNextStage checks a next-stage submission; there is nothing to get wrong.
func ParseNextStage(map[string]string) (NextStageInput, FieldErrors) {
	return NextStageInput{}, nil
}
