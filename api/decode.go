package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/playbooks-bot/playbooks/bot"
)

// Request bodies are decoded in two steps: readBody reads at most
// maxBodyBytes, then a pure decodeX function turns the bytes into the input
// of one use case, so that a fuzz test can call it. The decoders check JSON
// syntax and types, and that required fields are present; the values
// themselves are the Service's to judge. Unknown fields are accepted, since
// scripts send back whole objects they fetched. The Content-Type is not
// checked: the spec's own curl examples send JSON as a form.

// maxBodyBytes is the largest request body read.
const maxBodyBytes = 1 << 20

// decodeBody reads the request body and decodes it with decode, one of the
// pure decoders below, so a handler needs one call for both.
func decodeBody[T any](w http.ResponseWriter, r *http.Request, decode func([]byte) (T, error)) (T, error) {
	body, err := readBody(w, r)
	if err != nil {
		var zero T
		return zero, err
	}
	return decode(body)
}

// readBody reads the request body, at most maxBodyBytes of it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &statusError{
			status:  http.StatusRequestEntityTooLarge,
			message: "request body is too large",
			details: fmt.Sprintf("at most %d bytes are accepted", tooLarge.Limit),
		}
	case err != nil:
		return nil, bot.Errorf(bot.EInvalid, "could not read the request body: %v", err)
	}
	return b, nil
}

// decodeJSON decodes body, which must hold exactly one JSON object, into v.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return bot.Errorf(bot.EInvalid, "request body is required: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bot.Errorf(bot.EInvalid, "request body has data after the JSON object: send exactly one object")
	}
	return checkUTF8(body)
}

// checkUTF8 refuses a body that is not UTF-8, as JSON must be (RFC 8259),
// naming the field whose string holds the first invalid byte:
// encoding/json would quietly turn such bytes into U+FFFD.
func checkUTF8(body []byte) error {
	if utf8.Valid(body) {
		return nil
	}
	bad := 0
	for bad < len(body) {
		r, size := utf8.DecodeRune(body[bad:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		bad += size
	}
	type level struct {
		object    bool
		key       string
		expectKey bool
	}
	var stack []level
	path := func(last string) string {
		var keys []string
		for _, l := range stack {
			if l.object && l.key != "" {
				keys = append(keys, l.key)
			}
		}
		if last != "" {
			keys = append(keys, last)
		}
		return strings.Join(keys, ".")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break
		}
		top := len(stack) - 1
		isKey := top >= 0 && stack[top].object && stack[top].expectKey
		if int64(bad) >= start && int64(bad) < dec.InputOffset() {
			switch field := path(""); {
			case isKey && field == "":
				return bot.Errorf(bot.EInvalid, "request body is not valid UTF-8: a key holds the invalid byte at %d", bad)
			case isKey:
				return bot.FieldErrorf(field, "%s is not valid UTF-8: one of its keys holds the invalid byte at %d", field, bad)
			case field == "":
				return bot.Errorf(bot.EInvalid, "request body is not valid UTF-8 (at byte %d)", bad)
			default:
				return bot.FieldErrorf(field, "%s is not valid UTF-8 (at byte %d)", field, bad)
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{object: true, expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			top--
		default:
			if isKey {
				stack[top].key, stack[top].expectKey = tok.(string), false
				continue
			}
		}
		if top >= 0 && stack[top].object { // a value ended: a key comes next
			stack[top].key, stack[top].expectKey = "", true
		}
	}
	return bot.Errorf(bot.EInvalid, "request body is not valid UTF-8 (at byte %d)", bad)
}

// decodeOptionalJSON is decodeJSON for a body that may be empty.
func decodeOptionalJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeJSON(body, v)
}

// jsonError turns an encoding/json error into an EInvalid error that names
// the field at fault.
func jsonError(err error) error {
	var (
		typeErr   *json.UnmarshalTypeError
		syntaxErr *json.SyntaxError
	)
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return bot.Errorf(bot.EInvalid, "request body must be a JSON object, got %s", typeErr.Value)
	case errors.As(err, &typeErr):
		if isInt(typeErr.Type) && isIntLiteral(typeErr.Value) {
			return bot.FieldErrorf(typeErr.Field, "%s is out of range, got %s", typeErr.Field, abbrev(typeErr.Value))
		}
		return bot.FieldErrorf(typeErr.Field, "%s must be %s, got %s", typeErr.Field, jsonKind(typeErr.Type), abbrev(typeErr.Value))
	case errors.As(err, &syntaxErr):
		return bot.Errorf(bot.EInvalid, "request body is not valid JSON: %v (at byte %d)", syntaxErr, syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bot.Errorf(bot.EInvalid, "request body is not valid JSON: it ends inside the object")
	}
	return bot.Errorf(bot.EInvalid, "request body is not valid JSON: %v", err)
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case isInt(t):
		return "an integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "an array"
	}
	return "an object"
}

func isInt(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// isIntLiteral reports whether an UnmarshalTypeError's Value is a whole
// number (too large for its field) rather than a fraction or another type.
func isIntLiteral(v string) bool {
	n, ok := strings.CutPrefix(v, "number ")
	return ok && !strings.ContainsAny(n, ".eE")
}

// required returns the EInvalid error for a missing required field.
func required(field string) error {
	return bot.FieldErrorf(field, "%s is required", field)
}

// flexBool is a boolean that also decodes from the strings "true" and
// "false": the spec types default_owner_enabled as a string.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`:
		*b = false
	case "null": // as for any other field, null leaves it unchanged
	default:
		return &json.UnmarshalTypeError{Value: describeJSON(data), Type: reflect.TypeFor[bool]()}
	}
	return nil
}

// describeJSON names a raw JSON value for an error message, briefly.
func describeJSON(data []byte) string {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string " + abbrev(string(data))
	}
	return abbrev(string(data))
}

// abbrev shortens s for an error message, which should not echo a large input.
func abbrev(s string) string {
	const limit = 64
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "..."
	}
	return s
}

// jsonValueKind names the JSON type of a value decoded into an any.
func jsonValueKind(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// newRunBody is the body of createPlaybookRunFromPost. owner_user_id and
// team_id, required by the spec, may be left out: the Service then picks the
// playbook's default owner (or the caller) and the playbook's team.
type newRunBody struct {
	Name        *string `json:"name"`
	Description string  `json:"description"`
	OwnerUserID string  `json:"owner_user_id"`
	TeamID      string  `json:"team_id"`
	PostID      string  `json:"post_id"`
	PlaybookID  *string `json:"playbook_id"`
}

// decodeNewRun decodes the body of createPlaybookRunFromPost.
func decodeNewRun(body []byte) (bot.NewRun, error) {
	var b newRunBody
	if err := decodeJSON(body, &b); err != nil {
		return bot.NewRun{}, err
	}
	switch {
	case b.Name == nil:
		return bot.NewRun{}, required("name")
	case b.PlaybookID == nil:
		return bot.NewRun{}, required("playbook_id")
	}
	return bot.NewRun{
		Name: *b.Name, Description: b.Description, OwnerUserID: b.OwnerUserID,
		TeamID: b.TeamID, PostID: b.PostID, PlaybookID: *b.PlaybookID,
	}, nil
}

// decodeActiveStage decodes the body of updatePlaybookRun: {"active_stage": n}.
func decodeActiveStage(body []byte) (int, error) {
	var b struct {
		ActiveStage *int `json:"active_stage"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return 0, err
	}
	if b.ActiveStage == nil {
		return 0, required("active_stage")
	}
	return *b.ActiveStage, nil
}

// statusInput is a decoded status update.
type statusInput struct {
	Message  string
	Reminder int64 // seconds
}

// decodeStatus decodes the body of status: {"message", "reminder"}. The
// spec also lists description as required; the plugin never read it, so it
// is not asked for. reminder is a JSON number of whole seconds.
func decodeStatus(body []byte) (statusInput, error) {
	var b struct {
		Message  *string  `json:"message"`
		Reminder *float64 `json:"reminder"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return statusInput{}, err
	}
	if b.Message == nil {
		return statusInput{}, required("message")
	}
	in := statusInput{Message: *b.Message}
	if r := b.Reminder; r != nil {
		switch {
		case *r < 0:
			return statusInput{}, bot.FieldErrorf("reminder", "reminder must be 0 or more seconds, got %v", *r)
		case *r != math.Trunc(*r):
			return statusInput{}, bot.FieldErrorf("reminder", "reminder must be a whole number of seconds, got %v", *r)
		case *r > bot.MaxReminderSecond:
			return statusInput{}, bot.FieldErrorf("reminder", "reminder must be at most %d seconds, got %v", bot.MaxReminderSecond, *r)
		}
		in.Reminder = int64(*r)
	}
	return in, nil
}

// decodeOwner decodes the body of changeOwner: {"owner_id"}.
func decodeOwner(body []byte) (string, error) {
	var b struct {
		OwnerID *string `json:"owner_id"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return "", err
	}
	if b.OwnerID == nil {
		return "", required("owner_id")
	}
	return *b.OwnerID, nil
}

// newItemBody is the body of addChecklistItem: a checklist item whose title
// is required.
type newItemBody struct {
	Title            *string `json:"title"`
	State            string  `json:"state"`
	StateModified    int64   `json:"state_modified"`
	AssigneeID       string  `json:"assignee_id"`
	AssigneeModified int64   `json:"assignee_modified"`
	Command          string  `json:"command"`
	CommandLastRun   int64   `json:"command_last_run"`
	Description      string  `json:"description"`
	DueDate          int64   `json:"due_date"` // Unix ms, 0 for none
}

// decodeNewItem decodes the body of addChecklistItem.
func decodeNewItem(body []byte) (bot.ChecklistItem, error) {
	var b newItemBody
	if err := decodeJSON(body, &b); err != nil {
		return bot.ChecklistItem{}, err
	}
	if b.Title == nil {
		return bot.ChecklistItem{}, required("title")
	}
	return bot.ChecklistItem{
		Title: *b.Title, State: b.State, StateModified: b.StateModified,
		AssigneeID: b.AssigneeID, AssigneeModified: b.AssigneeModified,
		Command: b.Command, CommandLastRun: b.CommandLastRun, Description: b.Description,
		DueDate: b.DueDate,
	}, nil
}

// reorder is a decoded reoderChecklistItem body.
type reorder struct {
	ItemNum     int
	NewLocation int
}

// decodeReorder decodes the body of reoderChecklistItem: {"item_num", "new_location"}.
func decodeReorder(body []byte) (reorder, error) {
	var b struct {
		ItemNum     *int `json:"item_num"`
		NewLocation *int `json:"new_location"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return reorder{}, err
	}
	switch {
	case b.ItemNum == nil:
		return reorder{}, required("item_num")
	case b.NewLocation == nil:
		return reorder{}, required("new_location")
	}
	return reorder{ItemNum: *b.ItemNum, NewLocation: *b.NewLocation}, nil
}

// rename is a decoded itemRename body.
type rename struct {
	Title   string
	Command string
	DueDate *int64 // nil: unchanged
}

// decodeRename decodes the body of itemRename: {"title", "command"} and
// our optional "due_date" (absent: unchanged). The
// spec requires command too; a missing one is taken as "" (no command),
// which is what a client leaving it out means.
func decodeRename(body []byte) (rename, error) {
	var b struct {
		Title   *string `json:"title"`
		Command string  `json:"command"`
		DueDate *int64  `json:"due_date"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return rename{}, err
	}
	if b.Title == nil {
		return rename{}, required("title")
	}
	return rename{Title: *b.Title, Command: b.Command, DueDate: b.DueDate}, nil
}

// decodeItemState decodes the body of itemSetState: {"new_state"}.
func decodeItemState(body []byte) (string, error) {
	var b struct {
		NewState *string `json:"new_state"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return "", err
	}
	if b.NewState == nil {
		return "", required("new_state")
	}
	return *b.NewState, nil
}

// decodeAssignee decodes the body of itemSetAssignee: {"assignee_id"}, ""
// to unassign.
func decodeAssignee(body []byte) (string, error) {
	var b struct {
		AssigneeID *string `json:"assignee_id"`
	}
	if err := decodeJSON(body, &b); err != nil {
		return "", err
	}
	if b.AssigneeID == nil {
		return "", required("assignee_id")
	}
	return *b.AssigneeID, nil
}

// playbookBody is the body of createPlaybook and updatePlaybook. Pointers
// and nil slices tell a missing required field from a zero one.
type playbookBody struct {
	ID                           string          `json:"id"`
	Title                        *string         `json:"title"`
	Description                  string          `json:"description"`
	TeamID                       *string         `json:"team_id"`
	CreatePublicPlaybookRun      *bool           `json:"create_public_playbook_run"`
	Public                       bool            `json:"public"`
	Checklists                   []bot.Checklist `json:"checklists"`
	MemberIDs                    []string        `json:"member_ids"`
	BroadcastChannelIDs          []string        `json:"broadcast_channel_ids"`
	InvitedUserIDs               []string        `json:"invited_user_ids"`
	InviteUsersEnabled           bool            `json:"invite_users_enabled"`
	DefaultOwnerID               string          `json:"default_owner_id"`
	DefaultOwnerEnabled          flexBool        `json:"default_owner_enabled"`
	AnnouncementChannelID        string          `json:"announcement_channel_id"`
	AnnouncementChannelEnabled   bool            `json:"announcement_channel_enabled"`
	WebhookOnCreationURL         string          `json:"webhook_on_creation_url"`
	WebhookOnCreationEnabled     bool            `json:"webhook_on_creation_enabled"`
	WebhookOnStatusUpdateURL     string          `json:"webhook_on_status_update_url"`
	WebhookOnStatusUpdateEnabled bool            `json:"webhook_on_status_update_enabled"`
}

// decodeNewPlaybook decodes the body of createPlaybook. title, team_id,
// create_public_playbook_run and checklists are required; member_ids, which
// the spec also lists as required, may be left out (the spec's own curl
// example does), meaning no members.
func decodeNewPlaybook(body []byte) (bot.Playbook, error) {
	p, _, err := decodePlaybook(body)
	return p, err
}

// decodePlaybookUpdate decodes the body of updatePlaybook: a whole playbook,
// as getPlaybook returns it. It requires what decodeNewPlaybook does but
// member_ids, since the spec's Playbook schema requires nothing and older
// clients send no members.
func decodePlaybookUpdate(body []byte) (bot.Playbook, error) {
	p, _, err := decodePlaybook(body)
	return p, err
}

// decodePlaybook decodes a playbook body and checks the fields required on
// both create and update.
func decodePlaybook(body []byte) (bot.Playbook, playbookBody, error) {
	var b playbookBody
	if err := decodeJSON(body, &b); err != nil {
		return bot.Playbook{}, b, err
	}
	switch {
	case b.Title == nil:
		return bot.Playbook{}, b, required("title")
	case b.TeamID == nil:
		return bot.Playbook{}, b, required("team_id")
	case b.CreatePublicPlaybookRun == nil:
		return bot.Playbook{}, b, required("create_public_playbook_run")
	case b.Checklists == nil:
		return bot.Playbook{}, b, bot.FieldErrorf("checklists", "checklists is required (it may be an empty list)")
	}
	return bot.Playbook{
		ID: b.ID, Title: *b.Title, Description: b.Description, TeamID: *b.TeamID,
		CreatePublicPlaybookRun: *b.CreatePublicPlaybookRun, Public: b.Public,
		Checklists: b.Checklists, MemberIDs: b.MemberIDs,
		BroadcastChannelIDs: b.BroadcastChannelIDs, InvitedUserIDs: b.InvitedUserIDs,
		InviteUsersEnabled: b.InviteUsersEnabled,
		DefaultOwnerID:     b.DefaultOwnerID, DefaultOwnerEnabled: bool(b.DefaultOwnerEnabled),
		AnnouncementChannelID: b.AnnouncementChannelID, AnnouncementChannelEnabled: b.AnnouncementChannelEnabled,
		WebhookOnCreationURL: b.WebhookOnCreationURL, WebhookOnCreationEnabled: b.WebhookOnCreationEnabled,
		WebhookOnStatusUpdateURL: b.WebhookOnStatusUpdateURL, WebhookOnStatusUpdateEnabled: b.WebhookOnStatusUpdateEnabled,
	}, b, nil
}
