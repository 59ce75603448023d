package dialogs

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/playbooks-bot/playbooks/bot"
)

// RunState is the State of the dialogs about one run: the run's ID and, for
// the dialogs that need one, an index (the checklist of add_item, the target
// stage of next_stage). The adapters sign it before it leaves the bot.
type RunState struct {
	RunID string `json:"run_id"`
	Index int    `json:"index,omitempty"`
}

// String encodes s for a Dialog's State.
func (s RunState) String() string {
	b, _ := json.Marshal(s) // a struct of a string and an int always encodes
	return string(b)
}

// ParseRunState decodes the State of a dialog about a run. A state that does
// not decode is reported under the key "", since no field is at fault.
func ParseRunState(state string) (RunState, FieldErrors) {
	var s RunState
	if err := json.Unmarshal([]byte(state), &s); err != nil || !bot.OwnID(s.RunID) || s.Index < 0 {
		return RunState{}, FieldErrors{"": "this dialog is no longer valid; run the command again"}
	}
	return s, nil
}

// value returns the trimmed value of a field.
func value(values map[string]string, name string) string {
	return strings.TrimSpace(values[name])
}

// checkText records in errs what is wrong with a text value: missing when
// required, not UTF-8, or longer than max characters.
func checkText(errs FieldErrors, name, label, v string, required bool, max int) {
	switch {
	case required && v == "":
		errs[name] = label + " is required"
	case !utf8.ValidString(v):
		errs[name] = label + " is not valid text"
	case utf8.RuneCountInString(v) > max:
		errs[name] = label + " is too long: " + strconv.Itoa(utf8.RuneCountInString(v)) + " characters; at most " + strconv.Itoa(max) + " are allowed"
	}
}

// orNil returns errs, or nil when it is empty, so callers can test for nil.
func orNil(errs FieldErrors) FieldErrors {
	if len(errs) == 0 {
		return nil
	}
	return errs
}
