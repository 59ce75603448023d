package dialogs

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

// Element names of the start-run dialog; they match the field names of
// bot.Service.CreateRun's errors.
const (
	StartRunPlaybook    = "playbook_id"
	StartRunName        = "name"
	StartRunDescription = "description"
)

// StartRunDialog asks which playbook of team teamID to start a run from,
// and the run's name and description. playbooks (the team's, by title)
// must not be empty: a select needs options. Up to MaxStaticOptions
// playbooks, its playbook select lists them all. Past that it lists the
// first MaxStaticOptions, for platforms without dynamic selects
// (Mattermost 10.x), and is marked DataSourceDynamic, so that a platform
// that has them (Slack's external select, Mattermost 11) searches every
// playbook of the team as the user types instead (PlaybookOptions, served
// by commands.Dispatcher.Lookup with the dialog's State, a TeamState); the
// introduction then says how many there are and how to start a run from
// another.
func StartRunDialog(teamID string, playbooks []bot.Playbook) Dialog {
	opts := make([]Option, 0, min(len(playbooks), MaxStaticOptions))
	for _, p := range playbooks[:min(len(playbooks), MaxStaticOptions)] {
		opts = append(opts, Option{Text: p.Title, Value: p.ID})
	}
	def := ""
	if len(playbooks) == 1 {
		def = playbooks[0].ID
	}
	intro := "A run copies the playbook's checklists and gets a channel of its own."
	source := ""
	if len(playbooks) > len(opts) {
		source = DataSourceDynamic
		intro += fmt.Sprintf(" This team has %d playbooks: type part of a title to search them all. Where the list "+
			"cannot search, it shows the first %d by title; to start a run from another, use the REST API "+
			"(`POST /plugins/playbooks/api/v0/runs` with its `playbook_id`).", len(playbooks), len(opts))
	}
	return Dialog{
		CallbackID:  StartRun,
		Title:       "Start a run",
		IntroText:   intro,
		SubmitLabel: "Start",
		State:       TeamState{TeamID: teamID}.String(),
		Elements: []Element{
			{Name: StartRunPlaybook, DisplayName: "Playbook", Type: TypeSelect, DataSource: source,
				Options: opts, Default: def, Placeholder: "Pick a playbook"},
			{Name: StartRunName, DisplayName: "Run name", Type: TypeText, MaxLength: bot.MaxTitleLen,
				Placeholder: "e.g. Checkout errors in eu-west", HelpText: "Also the name of the run's channel."},
			{Name: StartRunDescription, DisplayName: "Description", Type: TypeTextarea, Optional: true,
				Placeholder: "What is happening, and who is affected?"},
		},
	}
}

// PlaybookOptions returns the options of the playbooks whose title contains
// query (ignoring case), in the order given, all of them; a lookup shows at
// most MaxLookupOptions of them.
func PlaybookOptions(playbooks []bot.Playbook, query string) []Option {
	q := strings.ToLower(strings.TrimSpace(query))
	out := []Option{}
	for _, p := range playbooks {
		if strings.Contains(strings.ToLower(p.Title), q) {
			out = append(out, Option{Text: p.Title, Value: p.ID})
		}
	}
	return out
}

// TeamState is the State of the start-run dialog: the team whose
// playbooks it offers.
type TeamState struct {
	TeamID string `json:"team_id"`
}

// String encodes s for a Dialog's State.
func (s TeamState) String() string {
	b, _ := json.Marshal(s) // a struct of a string always encodes
	return string(b)
}

// ParseTeamState decodes the State of the start-run dialog; ok is false
// when it does not decode or names no team (a dialog opened before it
// carried one).
func ParseTeamState(state string) (TeamState, bool) {
	var s TeamState
	if err := json.Unmarshal([]byte(state), &s); err != nil || s.TeamID == "" {
		return TeamState{}, false
	}
	return s, true
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
