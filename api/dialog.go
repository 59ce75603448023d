package api

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

// The plugin's webapp posts Mattermost interactive dialog submissions to
// three endpoints: createPlaybookRunFromDialog, endPlaybookRunDialog and
// nextStageDialog. Their decoders are here; like those in decode.go they are
// pure functions of the body.

// dialogBody is a Mattermost interactive dialog submission.
type dialogBody struct {
	Type       string          `json:"type"`
	URL        string          `json:"url"`
	CallbackID string          `json:"callback_id"`
	State      json.RawMessage `json:"state"`
	UserID     string          `json:"user_id"`
	ChannelID  string          `json:"channel_id"`
	TeamID     string          `json:"team_id"`
	Submission map[string]any  `json:"submission"`
	Cancelled  bool            `json:"cancelled"`
}

// dialogRun is a decoded createPlaybookRunFromDialog submission. When
// Cancelled, Run is empty and nothing is to be created.
type dialogRun struct {
	Cancelled bool
	Run       bot.NewRun
}

// decodeDialogRun decodes the body of createPlaybookRunFromDialog. The run
// is created for the bearer of the token, whatever user_id says; its owner
// is left to the Service (the playbook's default owner, or the caller).
func decodeDialogRun(body []byte) (dialogRun, error) {
	var b dialogBody
	if err := decodeJSON(body, &b); err != nil {
		return dialogRun{}, err
	}
	if b.Cancelled {
		return dialogRun{Cancelled: true}, nil
	}
	playbookID, err := submissionString(b.Submission, "playbookID", true)
	if err != nil {
		return dialogRun{}, err
	}
	name, err := submissionString(b.Submission, "playbookRunName", true)
	if err != nil {
		return dialogRun{}, err
	}
	description, err := submissionString(b.Submission, "playbookRunDescription", false)
	if err != nil {
		return dialogRun{}, err
	}
	state, err := dialogState(b.State)
	if err != nil {
		return dialogRun{}, err
	}
	return dialogRun{Run: bot.NewRun{
		Name: name, Description: description, TeamID: b.TeamID, PostID: state.PostID, PlaybookID: playbookID,
	}}, nil
}

// submissionString returns a string value of a dialog submission.
func submissionString(sub map[string]any, key string, req bool) (string, error) {
	field := "submission." + key
	v, ok := sub[key]
	if !ok || v == nil {
		if req {
			return "", required(field)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", bot.FieldErrorf(field, "%s must be a string, got %s", field, jsonValueKind(v))
	}
	return s, nil
}

// createDialogState is the state the plugin's dialog carries, as a string
// of JSON.
type createDialogState struct {
	PostID   string `json:"post_id"`
	ClientID string `json:"client_id"`
}

// dialogState decodes the state of a createPlaybookRunFromDialog
// submission; an absent or empty state is no state.
func dialogState(raw json.RawMessage) (createDialogState, error) {
	var st createDialogState
	if len(raw) == 0 || string(raw) == "null" {
		return st, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return st, bot.FieldErrorf("state", "state must be a string, got %s", describeJSON(raw))
	}
	if strings.TrimSpace(s) == "" {
		return st, nil
	}
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return st, bot.FieldErrorf("state", `state must be a string of JSON like {"post_id":"...","client_id":"..."}, got %q`, abbrev(s))
	}
	return st, nil
}

// decodeDialogCancelled decodes the optional dialog submission of
// endPlaybookRunDialog and reports whether it was cancelled.
func decodeDialogCancelled(body []byte) (bool, error) {
	var b struct {
		Cancelled bool `json:"cancelled"`
	}
	err := decodeOptionalJSON(body, &b)
	return b.Cancelled, err
}

// nextStage is a decoded nextStageDialog body.
type nextStage struct {
	Cancelled bool
	Stage     int
}

// decodeNextStage decodes the body of nextStageDialog: {"state": "3"}, or a
// whole dialog submission whose state is the stage index. A number is
// accepted for the string.
func decodeNextStage(body []byte) (nextStage, error) {
	var b dialogBody
	if err := decodeJSON(body, &b); err != nil {
		return nextStage{}, err
	}
	if b.Cancelled {
		return nextStage{Cancelled: true}, nil
	}
	if len(b.State) == 0 || string(b.State) == "null" {
		return nextStage{}, bot.FieldErrorf("state", `state is required: the index of the stage to go to, like "3"`)
	}
	var s string
	if json.Unmarshal(b.State, &s) != nil {
		s = string(b.State)
	}
	stage, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nextStage{}, bot.FieldErrorf("state", `state must be the index of a stage, like "3", got %s`, describeJSON(b.State))
	}
	return nextStage{Stage: stage}, nil
}
