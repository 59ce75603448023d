package dialogs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

// CheckItemItem is the element name of the check-item dialog's item select.
const CheckItemItem = "item"

// CheckItemDialog asks which item of run r to check or uncheck. Its item
// select lists the run's items when the dialog opens (ItemOptions, open ones
// first), at most MaxStaticOptions of them, for platforms without dynamic
// selects (Mattermost 10.x); it is also marked DataSourceDynamic, so that a
// platform that has them (Slack's external select) searches every item as
// the user types instead. When the run has more items than the list holds,
// the introduction says so and how to check any item.
func CheckItemDialog(r bot.Run) Dialog {
	all := ItemOptions(r, "")
	listed := all[:min(len(all), MaxStaticOptions)]
	intro := "Check an open item of **" + r.Name + "**, or uncheck a checked one."
	if len(all) > len(listed) {
		intro += fmt.Sprintf(" The run has %d items: only the first %d are listed (open ones first). "+
			"For another, use `/playbook check <checklist> <item>`.", len(all), len(listed))
	}
	return Dialog{
		CallbackID:  CheckItem,
		Title:       "Check an item",
		IntroText:   intro,
		SubmitLabel: "Toggle",
		State:       RunState{RunID: r.ID}.String(),
		Elements: []Element{
			{Name: CheckItemItem, DisplayName: "Item", Type: TypeSelect, DataSource: DataSourceDynamic,
				Placeholder: "Type to search the items", Options: listed},
		},
	}
}

// ItemValue is the option value of item i of checklist c: "c i", the
// arguments of /playbook check.
func ItemValue(c, i int) string { return fmt.Sprintf("%d %d", c, i) }

// ItemOptions returns the items of r whose title contains query (ignoring
// case), open ones first, each in checklist order, all of them. The text
// shows the state: "[ ] Title" or "[x] Title". A lookup shows at most
// MaxLookupOptions of them, a static list MaxStaticOptions.
func ItemOptions(r bot.Run, query string) []Option {
	q := strings.ToLower(strings.TrimSpace(query))
	var open, closed []Option
	for c, l := range r.Checklists {
		for i, it := range l.Items {
			if !strings.Contains(strings.ToLower(it.Title), q) {
				continue
			}
			if it.State == bot.ItemClosed {
				closed = append(closed, Option{Text: "[x] " + it.Title, Value: ItemValue(c, i)})
			} else {
				open = append(open, Option{Text: "[ ] " + it.Title, Value: ItemValue(c, i)})
			}
		}
	}
	out := append(open, closed...)
	if out == nil {
		out = []Option{}
	}
	return out
}

// CheckItemInput is a submitted check-item dialog: the indexes of the item.
type CheckItemInput struct {
	Checklist int
	Item      int
}

// ParseCheckItem checks a check-item submission: an item value as
// ItemValue makes it.
func ParseCheckItem(values map[string]string) (CheckItemInput, FieldErrors) {
	v := value(values, CheckItemItem)
	if v == "" {
		return CheckItemInput{}, FieldErrors{CheckItemItem: "Pick an item"}
	}
	c, i, ok := ParseItemValue(v)
	if !ok {
		return CheckItemInput{}, FieldErrors{CheckItemItem: "Pick one of the listed items"}
	}
	return CheckItemInput{Checklist: c, Item: i}, nil
}

// ParseItemValue parses a value made by ItemValue.
func ParseItemValue(v string) (checklist, item int, ok bool) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0, 0, false
	}
	c, err1 := strconv.Atoi(f[0])
	i, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || c < 0 || i < 0 {
		return 0, 0, false
	}
	return c, i, true
}
