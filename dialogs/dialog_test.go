package dialogs

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/playbooks-bot/playbooks/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Fixed IDs, so that golden files do not change from run to run.
const (
	runID = "run00000000000000000000001"
	pb1   = "pb000000000000000000000001"
	pb2   = "pb000000000000000000000002"
)

// testRun is a run in its second stage, with open, in-progress and closed items.
func testRun() bot.Run {
	return bot.Run{
		ID: runID, Name: "Checkout errors", IsActive: true, ActiveStage: 1, ActiveStageTitle: "Mitigate",
		PreviousReminder: 3600,
		Checklists: []bot.Checklist{
			{Title: "Triage", Items: []bot.ChecklistItem{
				{Title: "Page on-call", State: bot.ItemClosed},
				{Title: "Open a bridge", State: bot.ItemClosed},
			}},
			{Title: "Mitigate", Items: []bot.ChecklistItem{
				{Title: "Roll back the deploy", State: bot.ItemClosed},
				{Title: "Scale up checkout"},
				{Title: "Tell support", State: bot.ItemInProgress},
			}},
			{Title: "Resolve", Items: []bot.ChecklistItem{
				{Title: "Write the postmortem"},
			}},
		},
	}
}

// allDialogs is every dialog this package builds, in each of its shapes.
func allDialogs() map[string]Dialog {
	r := testRun()
	one := []bot.Playbook{{ID: pb1, Title: "Incident"}}
	two := append(one, bot.Playbook{ID: pb2, Title: "Security incident"})
	fresh := r
	fresh.PreviousReminder = 42 // not one of the choices: no preselection
	return map[string]Dialog{
		"start_run":           StartRunDialog("team1", two),
		"start_run_one":       StartRunDialog("team1", one),
		"end_run":             EndRunDialog(r),
		"status_update":       StatusUpdateDialog(r),
		"status_update_fresh": StatusUpdateDialog(fresh),
		"check_item":          CheckItemDialog(r),
		"next_stage":          NextStageDialog(r, 2),
		"prev_stage":          NextStageDialog(r, 0),
		"add_item":            AddItemDialog(r, 2),
	}
}

func TestDialogsGolden(t *testing.T) {
	for name, d := range allDialogs() {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", name+".json"), append(got, '\n'))
		})
	}
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func TestDialogsValid(t *testing.T) {
	for name, d := range allDialogs() {
		t.Run(name, func(t *testing.T) {
			if err := Validate(d); err != nil {
				t.Errorf("Validate: got %v, want nil", err)
			}
			if len(d.Title) > 24 {
				t.Errorf("title %q: got %d bytes, want at most 24", d.Title, len(d.Title))
			}
			names := map[string]bool{}
			for _, e := range d.Elements {
				if len(e.DisplayName) > 24 {
					t.Errorf("display name %q: got %d bytes, want at most 24", e.DisplayName, len(e.DisplayName))
				}
				if names[e.Name] {
					t.Errorf("element name %q: got it twice, want unique names", e.Name)
				}
				names[e.Name] = true
				switch e.Type {
				case TypeText, TypeTextarea, TypeSelect, TypeBool, TypeRadio:
				default:
					t.Errorf("element %q: got type %q, want a Mattermost type", e.Name, e.Type)
				}
				if e.Type == TypeSelect && e.DataSource != DataSourceDynamic && len(e.Options) == 0 {
					t.Errorf("select %q: got no options, want some", e.Name)
				}
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	ok := Element{Name: "x", DisplayName: "X", Type: TypeText}
	sel := Element{Name: "s", DisplayName: "S", Type: TypeSelect, Options: []Option{{Text: "A", Value: "a"}}}
	for _, tc := range []struct {
		name string
		d    Dialog
		want string
	}{
		{"no callback", Dialog{Title: "T"}, "no callback ID"},
		{"no title", Dialog{CallbackID: "c"}, "title"},
		{"long title", Dialog{CallbackID: "c", Title: strings.Repeat("t", 25)}, "title"},
		{"long display name", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "x", DisplayName: strings.Repeat("d", 25), Type: TypeText}}}, "display name"},
		{"duplicate", Dialog{CallbackID: "c", Title: "T", Elements: []Element{ok, ok}}, "duplicate element"},
		{"bad type", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "x", DisplayName: "X", Type: "date"}}}, "invalid type"},
		{"empty select", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "s", DisplayName: "S", Type: TypeSelect}}}, "no options"},
		{"dynamic with a default not an option", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "s", DisplayName: "S", Type: TypeSelect, DataSource: DataSourceDynamic, Options: sel.Options, Default: "b"}}}, "default"},
		{"more than 100 options", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "s", DisplayName: "S", Type: TypeSelect, Options: manyOptions(101)}}}, "101 options"},
		{"default not an option", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "s", DisplayName: "S", Type: TypeSelect, Options: sel.Options, Default: "b"}}}, "default"},
		{"long help", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "x", DisplayName: "X", Type: TypeText, HelpText: strings.Repeat("h", 151)}}}, "help text"},
		{"bad bool default", Dialog{CallbackID: "c", Title: "T", Elements: []Element{
			{Name: "b", DisplayName: "B", Type: TypeBool, Default: "yes"}}}, "bool default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestRunState(t *testing.T) {
	want := RunState{RunID: runID, Index: 3}
	got, errs := ParseRunState(want.String())
	if errs != nil || got != want {
		t.Errorf("ParseRunState(%q): got %+v, %v, want %+v, nil", want.String(), got, errs, want)
	}
	for _, bad := range []string{"", "x", `{"run_id":"short"}`, `{"run_id":"` + runID + `","index":-1}`} {
		if _, errs := ParseRunState(bad); errs[""] == "" {
			t.Errorf("ParseRunState(%q): got no error, want one under \"\"", bad)
		}
	}
}

// manyOptions returns n distinct options.
func manyOptions(n int) []Option {
	out := make([]Option, n)
	for i := range out {
		out[i] = Option{Text: fmt.Sprint("option ", i), Value: fmt.Sprint(i)}
	}
	return out
}

// TestStartRunManyPlaybooks: past MaxStaticOptions playbooks, the list
// holds the first ones, the select is searched where it can be, and the
// introduction says what to do for another.
func TestStartRunManyPlaybooks(t *testing.T) {
	var pbs []bot.Playbook
	for i := range 150 {
		pbs = append(pbs, bot.Playbook{ID: fmt.Sprintf("pb%024d", i), Title: fmt.Sprintf("Playbook %03d", i)})
	}
	d := StartRunDialog("team1", pbs)
	if err := Validate(d); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	sel := d.Elements[0]
	if len(sel.Options) != MaxStaticOptions || sel.DataSource != DataSourceDynamic {
		t.Errorf("select: %d options, data source %q; want %d, dynamic", len(sel.Options), sel.DataSource, MaxStaticOptions)
	}
	if !strings.Contains(d.IntroText, "150 playbooks") || !strings.Contains(d.IntroText, "/runs") {
		t.Errorf("intro %q: want it to say there are 150 and how to start a run from another", d.IntroText)
	}
	if got := PlaybookOptions(pbs, "PLAYBOOK 14"); len(got) != 10 || got[0].Text != "Playbook 140" {
		t.Errorf("PlaybookOptions(\"PLAYBOOK 14\") = %v, want Playbook 140 to 149", got)
	}
	if st, ok := ParseTeamState(d.State); !ok || st.TeamID != "team1" {
		t.Errorf("state %q: got %+v, %v", d.State, st, ok)
	}
}
