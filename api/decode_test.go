package api

// These tests are inside the package: they call the unexported pure
// decoders directly, as the fuzz targets must.

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

// wantInvalid fails t unless err is nil or an EInvalid *bot.Error with a
// message: a decoder's error must become a 400 that says what is wrong,
// never a 500.
func wantInvalid(t *testing.T, body []byte, err error) {
	t.Helper()
	if err == nil {
		if !json.Valid(body) {
			t.Fatalf("decoded %q, which is not valid JSON", body)
		}
		return
	}
	var be *bot.Error
	if !errors.As(err, &be) || be.Code != bot.EInvalid || be.Message == "" {
		t.Fatalf("decode %q: got error %#v, want an EInvalid *bot.Error with a message", body, err)
	}
}

func TestDecodeStatus(t *testing.T) {
	for _, tt := range []struct {
		name      string
		body      string
		want      statusInput
		wantErr   string
		wantField string
	}{
		{name: "message only", body: `{"message":"m"}`, want: statusInput{Message: "m"}},
		{name: "integer reminder", body: `{"message":"m","reminder":600}`, want: statusInput{Message: "m", Reminder: 600}},
		{name: "whole float reminder", body: `{"message":"m","reminder":600.0}`, want: statusInput{Message: "m", Reminder: 600}},
		{name: "exponent reminder", body: `{"message":"m","reminder":6e2}`, want: statusInput{Message: "m", Reminder: 600}},
		{name: "description ignored", body: `{"message":"m","description":"d"}`, want: statusInput{Message: "m"}},
		{name: "unknown fields accepted", body: `{"message":"m","extra":{"a":[1]}}`, want: statusInput{Message: "m"}},
		{name: "null reminder", body: `{"message":"m","reminder":null}`, want: statusInput{Message: "m"}},
		{name: "fraction", body: `{"message":"m","reminder":0.5}`, wantErr: "whole number", wantField: "reminder"},
		{name: "negative", body: `{"message":"m","reminder":-1}`, wantErr: "0 or more", wantField: "reminder"},
		{name: "too large", body: `{"message":"m","reminder":1e300}`, wantErr: "at most", wantField: "reminder"},
		{name: "overflow", body: `{"message":"m","reminder":1e400}`, wantErr: "reminder", wantField: "reminder"},
		{name: "message missing", body: `{}`, wantErr: "message is required", wantField: "message"},
		{name: "null body", body: `null`, wantErr: "message is required", wantField: "message"},
		{name: "empty", body: ` `, wantErr: "body is required"},
		{name: "trailing", body: `{"message":"m"}x`, wantErr: "after the JSON object"},
		{name: "truncated", body: `{"message":"m"`, wantErr: "not valid JSON"},
		{name: "string", body: `"m"`, wantErr: "must be a JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeStatus([]byte(tt.body))
			checkDecode(t, got, tt.want, err, tt.wantErr, tt.wantField)
		})
	}
}

// checkDecode compares a decoder's result with the wanted one, or its error
// with the wanted message part and field.
func checkDecode[T any](t *testing.T, got, want T, err error, wantErr, wantField string) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decoded mismatch (-want +got):\n%s", diff)
		}
		return
	}
	var be *bot.Error
	if !errors.As(err, &be) || be.Code != bot.EInvalid {
		t.Fatalf("got error %v, want an EInvalid error", err)
	}
	if !strings.Contains(be.Message, wantErr) || be.Field != wantField {
		t.Errorf("got error %q on field %q, want %q on field %q", be.Message, be.Field, wantErr, wantField)
	}
}

func TestDecodeNewPlaybook(t *testing.T) {
	const valid = `"title":"t","team_id":"x","create_public_playbook_run":false,"checklists":[{"title":"c","items":[{"title":"i","command":"/c","description":"d","state":"closed"}]}],"member_ids":[]`
	base := bot.Playbook{
		Title: "t", TeamID: "x",
		Checklists: []bot.Checklist{{Title: "c", Items: []bot.ChecklistItem{{Title: "i", Command: "/c", Description: "d", State: "closed"}}}},
		MemberIDs:  []string{},
	}
	withOwner := base
	withOwner.DefaultOwnerEnabled = true
	for _, tt := range []struct {
		name      string
		body      string
		want      bot.Playbook
		wantErr   string
		wantField string
	}{
		{name: "required only", body: `{` + valid + `}`, want: base},
		{name: "default_owner_enabled bool", body: `{` + valid + `,"default_owner_enabled":true}`, want: withOwner},
		{name: "default_owner_enabled string", body: `{` + valid + `,"default_owner_enabled":"true"}`, want: withOwner},
		{name: "default_owner_enabled string false", body: `{` + valid + `,"default_owner_enabled":"false"}`, want: base},
		{name: "default_owner_enabled null", body: `{` + valid + `,"default_owner_enabled":null}`, want: base},
		{name: "default_owner_enabled other string", body: `{` + valid + `,"default_owner_enabled":"yes"}`, wantErr: `must be a boolean, got string "yes"`, wantField: "default_owner_enabled"},
		{name: "default_owner_enabled object", body: `{` + valid + `,"default_owner_enabled":{}}`, wantErr: "must be a boolean, got object", wantField: "default_owner_enabled"},
		{name: "nested wrong type", body: `{` + valid + `,"checklists":[{"items":[{"title":false}]}]}`, wantErr: "checklists.items.title must be a string, got bool", wantField: "checklists.items.title"},
		{name: "bool as string", body: `{` + valid + `,"public":"true"}`, wantErr: "public must be a boolean", wantField: "public"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeNewPlaybook([]byte(tt.body))
			checkDecode(t, got, tt.want, err, tt.wantErr, tt.wantField)
		})
	}
	if _, err := decodePlaybookUpdate([]byte(`{"title":"t","team_id":"x","create_public_playbook_run":true,"checklists":[]}`)); err != nil {
		t.Errorf("update without member_ids: got %v, want it accepted", err)
	}
	// The spec lists member_ids as required, but its own curl example omits it.
	for _, body := range []string{
		`{"title":"t","team_id":"x","create_public_playbook_run":true,"checklists":[]}`,
		`{"title":"t","team_id":"x","create_public_playbook_run":true,"checklists":[],"member_ids":null}`,
	} {
		if _, err := decodeNewPlaybook([]byte(body)); err != nil {
			t.Errorf("create %s: got %v, want it accepted", body, err)
		}
	}
}

func TestDecodeDialogs(t *testing.T) {
	sub := `"submission":{"playbookID":"p","playbookRunName":"n","playbookRunDescription":"d"}`
	for _, tt := range []struct {
		name      string
		body      string
		want      dialogRun
		wantErr   string
		wantField string
	}{
		{name: "submission", body: `{"team_id":"t",` + sub + `}`, want: dialogRun{Run: bot.NewRun{Name: "n", Description: "d", TeamID: "t", PlaybookID: "p"}}},
		{name: "state with post", body: `{"state":"{\"post_id\":\"x\",\"client_id\":\"c\"}",` + sub + `}`, want: dialogRun{Run: bot.NewRun{Name: "n", Description: "d", PostID: "x", PlaybookID: "p"}}},
		{name: "cancelled", body: `{"cancelled":true,"submission":null}`, want: dialogRun{Cancelled: true}},
		{name: "name missing", body: `{"submission":{"playbookID":"p"}}`, wantErr: "submission.playbookRunName is required", wantField: "submission.playbookRunName"},
		{name: "no submission", body: `{}`, wantErr: "submission.playbookID is required", wantField: "submission.playbookID"},
		{name: "name not a string", body: `{"submission":{"playbookID":"p","playbookRunName":["n"]}}`, wantErr: "must be a string, got an array", wantField: "submission.playbookRunName"},
		{name: "state not JSON", body: `{"state":"x",` + sub + `}`, wantErr: "state must be a string of JSON", wantField: "state"},
		{name: "state not a string", body: `{"state":3,` + sub + `}`, wantErr: "state must be a string", wantField: "state"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeDialogRun([]byte(tt.body))
			checkDecode(t, got, tt.want, err, tt.wantErr, tt.wantField)
		})
	}
	for _, tt := range []struct {
		name    string
		body    string
		want    nextStage
		wantErr string
	}{
		{name: "string", body: `{"state":"3"}`, want: nextStage{Stage: 3}},
		{name: "number", body: `{"state":2}`, want: nextStage{Stage: 2}},
		{name: "dialog submission", body: `{"type":"dialog_submission","state":" 1 ","submission":{}}`, want: nextStage{Stage: 1}},
		{name: "cancelled", body: `{"cancelled":true}`, want: nextStage{Cancelled: true}},
		{name: "not a number", body: `{"state":"next"}`, wantErr: "index of a stage"},
		{name: "fraction", body: `{"state":1.5}`, wantErr: "index of a stage"},
		{name: "missing", body: `{"submission":{}}`, wantErr: "state is required"},
	} {
		t.Run("next stage "+tt.name, func(t *testing.T) {
			got, err := decodeNextStage([]byte(tt.body))
			field := ""
			if tt.wantErr != "" {
				field = "state"
			}
			checkDecode(t, got, tt.want, err, tt.wantErr, field)
		})
	}
}

func TestDecodeRunFilter(t *testing.T) {
	for _, tt := range []struct {
		name      string
		query     string
		want      bot.RunFilter
		wantErr   string
		wantField string
	}{
		{name: "defaults", query: "team_id=t", want: bot.RunFilter{TeamID: "t", Statuses: []string{"InProgress"}}},
		{name: "everything", query: "team_id=t&page=2&per_page=5&sort=name&direction=asc&statuses=Finished&owner_user_id=me&participant_id=me&search_term=db",
			want: bot.RunFilter{TeamID: "t", Page: 2, PerPage: 5, Sort: "name", Direction: "asc", Statuses: []string{"Finished"}, OwnerID: "me", ParticipantID: "me", SearchTerm: "db"}},
		{name: "repeated and comma-separated statuses", query: "team_id=t&statuses=A,B&statuses=C&statuses=",
			want: bot.RunFilter{TeamID: "t", Statuses: []string{"A", "B", "C"}}},
		{name: "empty statuses", query: "team_id=t&statuses=", want: bot.RunFilter{TeamID: "t"}},
		{name: "team missing", query: "page=1", wantErr: "team_id is required", wantField: "team_id"},
		{name: "page not an integer", query: "team_id=t&page=one", wantErr: `page must be an integer, got "one"`, wantField: "page"},
		{name: "per_page overflow", query: "team_id=t&per_page=99999999999999999999", wantErr: "per_page must be an integer", wantField: "per_page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRunFilter(q)
			checkDecode(t, got, tt.want, err, tt.wantErr, tt.wantField)
		})
	}
}

// fuzzSeeds are the seed corpus every body fuzz target starts from.
var fuzzSeeds = []string{
	``, ` `, `null`, `{}`, `[]`, `"x"`, `1`, `{"a":1} {}`, `{"message":`, `{"message":"\ud800"}`,
	`{"message":"m","reminder":600}`, `{"message":"m","reminder":1.5}`, `{"message":"m","reminder":-1e400}`,
	`{"new_state":"closed"}`, `{"new_state":null}`, `{"item_num":0,"new_location":2}`, `{"item_num":"0"}`,
	`{"active_stage":1}`, `{"active_stage":1e30}`, `{"title":"t","state":"in_progress","assignee_id":"a","state_modified":-1}`,
	`{"name":"n","playbook_id":"p","owner_user_id":"o","team_id":"t","post_id":""}`,
	`{"title":"t","team_id":"x","create_public_playbook_run":true,"checklists":[{"title":"c","items":[{"title":"i"}]}],"member_ids":[],"default_owner_enabled":"true"}`,
	`{"default_owner_enabled":tru}`, `{"default_owner_enabled":"\u0074rue"}`, `{"checklists":[{"items":[{"title":{}}]}]}`,
	`{"type":"dialog_submission","state":"{\"post_id\":\"p\"}","submission":{"playbookID":"p","playbookRunName":"n"},"cancelled":false}`,
	`{"state":"3"}`, `{"state":3.0}`, `{"state":"-0"}`, `{"cancelled":true}`, `{"submission":{"playbookID":1}}`,
}

// fuzzDecoder fuzzes one decoder: it must not panic, must accept only JSON,
// and must fail only with an EInvalid error.
func fuzzDecoder[T any](f *testing.F, decode func([]byte) (T, error)) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := decode(body)
		wantInvalid(t, body, err)
	})
}

func FuzzDecodeNewPlaybook(f *testing.F) { fuzzDecoder(f, decodeNewPlaybook) }
func FuzzDecodeNewRun(f *testing.F)      { fuzzDecoder(f, decodeNewRun) }
func FuzzDecodeDialogRun(f *testing.F)   { fuzzDecoder(f, decodeDialogRun) }
func FuzzDecodeNextStage(f *testing.F)   { fuzzDecoder(f, decodeNextStage) }
func FuzzDecodeItemState(f *testing.F)   { fuzzDecoder(f, decodeItemState) }
func FuzzDecodeReorder(f *testing.F)     { fuzzDecoder(f, decodeReorder) }
func FuzzDecodeNewItem(f *testing.F)     { fuzzDecoder(f, decodeNewItem) }
func FuzzDecodeActiveStage(f *testing.F) { fuzzDecoder(f, decodeActiveStage) }

// FuzzDecodeStatus also checks the reminder it accepts is whole seconds in
// range.
func FuzzDecodeStatus(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeStatus(body)
		wantInvalid(t, body, err)
		if err == nil && (in.Reminder < 0 || in.Reminder > bot.MaxReminderSecond) {
			t.Fatalf("decodeStatus(%q): got reminder %d, want 0 to %d", body, in.Reminder, bot.MaxReminderSecond)
		}
	})
}
