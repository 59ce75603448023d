package dialogs

import (
	"fmt"

	"github.com/playbooks-bot/playbooks/bot"
)

// Element names of the add-item dialog; they match the field names of
// bot.Service.AddItem's errors.
const (
	AddItemTitle       = "title"
	AddItemDescription = "description"
)

// AddItemDialog asks for the title and description of a new item of
// checklist index checklist of run r.
func AddItemDialog(r bot.Run, checklist int) Dialog {
	name := ""
	if checklist >= 0 && checklist < len(r.Checklists) {
		name = r.Checklists[checklist].Title
	}
	return Dialog{
		CallbackID:  AddItem,
		Title:       "Add an item",
		IntroText:   fmt.Sprintf("Add an item to checklist %d (%s) of **%s**.", checklist, name, r.Name),
		SubmitLabel: "Add",
		State:       RunState{RunID: r.ID, Index: checklist}.String(),
		Elements: []Element{
			{Name: AddItemTitle, DisplayName: "Title", Type: TypeText, MaxLength: bot.MaxTitleLen,
				Placeholder: "e.g. Roll back the last deploy"},
			{Name: AddItemDescription, DisplayName: "Description", Type: TypeTextarea, Optional: true},
		},
	}
}

// AddItemInput is a submitted add-item dialog.
type AddItemInput struct {
	Title       string
	Description string
}

// ParseAddItem checks an add-item submission: a title of at most
// bot.MaxTitleLen characters is required.
func ParseAddItem(values map[string]string) (AddItemInput, FieldErrors) {
	in := AddItemInput{Title: value(values, AddItemTitle), Description: value(values, AddItemDescription)}
	errs := FieldErrors{}
	checkText(errs, AddItemTitle, "Title", in.Title, true, bot.MaxTitleLen)
	checkText(errs, AddItemDescription, "Description", in.Description, false, bot.MaxTextLen)
	return in, orNil(errs)
}
