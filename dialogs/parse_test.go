package dialogs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStartRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		values   map[string]string
		want     StartRunInput
		wantErrs FieldErrors
	}{
		{"good", map[string]string{"playbook_id": pb1, "name": "  Outage ", "description": "db down"},
			StartRunInput{PlaybookID: pb1, Name: "Outage", Description: "db down"}, nil},
		{"no description", map[string]string{"playbook_id": pb1, "name": "Outage"},
			StartRunInput{PlaybookID: pb1, Name: "Outage"}, nil},
		{"no playbook", map[string]string{"name": "Outage"},
			StartRunInput{Name: "Outage"}, FieldErrors{"playbook_id": "Pick a playbook to start the run from"}},
		{"bad playbook", map[string]string{"playbook_id": "nope", "name": "Outage"},
			StartRunInput{PlaybookID: "nope", Name: "Outage"}, FieldErrors{"playbook_id": "Pick one of the listed playbooks"}},
		{"no name", map[string]string{"playbook_id": pb1, "name": "  "},
			StartRunInput{PlaybookID: pb1}, FieldErrors{"name": "Run name is required"}},
		{"name at the limit", map[string]string{"playbook_id": pb1, "name": strings.Repeat("é", 256)},
			StartRunInput{PlaybookID: pb1, Name: strings.Repeat("é", 256)}, nil},
		{"long name", map[string]string{"playbook_id": pb1, "name": strings.Repeat("n", 257)},
			StartRunInput{PlaybookID: pb1, Name: strings.Repeat("n", 257)},
			FieldErrors{"name": "Run name is too long: 257 characters; at most 256 are allowed"}},
		{"bad UTF-8", map[string]string{"playbook_id": pb1, "name": "ok", "description": "\xff"},
			StartRunInput{PlaybookID: pb1, Name: "ok", Description: "\xff"}, FieldErrors{"description": "Description is not valid text"}},
		{"everything wrong", map[string]string{},
			StartRunInput{}, FieldErrors{"playbook_id": "Pick a playbook to start the run from", "name": "Run name is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseStartRun(tc.values)
			if diff := cmp.Diff(tc.wantErrs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("input mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatusUpdate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		values   map[string]string
		want     StatusUpdateInput
		wantErrs FieldErrors
	}{
		{"good", map[string]string{"message": "rolled back", "reminder": "900"}, StatusUpdateInput{"rolled back", 900}, nil},
		{"no reminder", map[string]string{"message": "ok", "reminder": "0"}, StatusUpdateInput{"ok", 0}, nil},
		{"reminder missing", map[string]string{"message": "ok"}, StatusUpdateInput{"ok", 0}, nil},
		{"one day", map[string]string{"message": "ok", "reminder": "86400"}, StatusUpdateInput{"ok", 86400}, nil},
		{"no message", map[string]string{"message": " \n", "reminder": "900"}, StatusUpdateInput{"", 900},
			FieldErrors{"message": "Update is required"}},
		{"unknown reminder", map[string]string{"message": "ok", "reminder": "60"}, StatusUpdateInput{"ok", 0},
			FieldErrors{"reminder": "Pick one of the listed reminders"}},
		{"reminder not a number", map[string]string{"message": "ok", "reminder": "soon"}, StatusUpdateInput{"ok", 0},
			FieldErrors{"reminder": "Pick one of the listed reminders"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseStatusUpdate(tc.values)
			if diff := cmp.Diff(tc.wantErrs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("input mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCheckItem(t *testing.T) {
	for _, tc := range []struct {
		name     string
		value    string
		want     CheckItemInput
		wantErrs FieldErrors
	}{
		{"good", "1 2", CheckItemInput{1, 2}, nil},
		{"zeros", "0 0", CheckItemInput{0, 0}, nil},
		{"empty", "", CheckItemInput{}, FieldErrors{"item": "Pick an item"}},
		{"one number", "1", CheckItemInput{}, FieldErrors{"item": "Pick one of the listed items"}},
		{"three numbers", "1 2 3", CheckItemInput{}, FieldErrors{"item": "Pick one of the listed items"}},
		{"negative", "-1 2", CheckItemInput{}, FieldErrors{"item": "Pick one of the listed items"}},
		{"words", "a b", CheckItemInput{}, FieldErrors{"item": "Pick one of the listed items"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseCheckItem(map[string]string{"item": tc.value})
			if diff := cmp.Diff(tc.wantErrs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseAddItem(t *testing.T) {
	for _, tc := range []struct {
		name     string
		values   map[string]string
		want     AddItemInput
		wantErrs FieldErrors
	}{
		{"good", map[string]string{"title": "Call the vendor", "description": "their number is in the wiki"},
			AddItemInput{"Call the vendor", "their number is in the wiki"}, nil},
		{"title only", map[string]string{"title": "Call"}, AddItemInput{Title: "Call"}, nil},
		{"no title", map[string]string{"description": "d"}, AddItemInput{Description: "d"},
			FieldErrors{"title": "Title is required"}},
		{"long title", map[string]string{"title": strings.Repeat("t", 300)}, AddItemInput{Title: strings.Repeat("t", 300)},
			FieldErrors{"title": "Title is too long: 300 characters; at most 256 are allowed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := ParseAddItem(tc.values)
			if diff := cmp.Diff(tc.wantErrs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("input mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfirmations(t *testing.T) {
	if _, errs := ParseEndRun(map[string]string{}); errs != nil {
		t.Errorf("ParseEndRun: got %v, want no errors", errs)
	}
	if _, errs := ParseNextStage(nil); errs != nil {
		t.Errorf("ParseNextStage: got %v, want no errors", errs)
	}
}
