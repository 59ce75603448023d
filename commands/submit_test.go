package commands_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

type submitCase struct {
	name     string
	callback string
	state    func(e *env) string // the run's state when nil
	values   map[string]string   // {pb} is replaced with the playbook's ID
	setup    func(t *testing.T, e *env, sub *commands.Submission)
	want     commands.Response // Text: {run_id} is replaced
	wantErrs dialogs.FieldErrors
	check    func(t *testing.T, e *env, r bot.Run)
}

func stateAt(i int) func(e *env) string {
	return func(e *env) string { return dialogs.RunState{RunID: e.run.ID, Index: i}.String() }
}

func submitCases() []submitCase {
	dead := "this dialog is no longer valid; run the command again"
	return []submitCase{
		// start_run
		{name: "start run", callback: dialogs.StartRun, state: func(*env) string { return "" },
			values: map[string]string{"playbook_id": "{pb}", "name": " DB failover ", "description": "primary is gone"},
			want:   commands.Response{Text: "Started the run **DB failover**."},
			check: func(t *testing.T, e *env, _ bot.Run) {
				l, err := e.f.svc.ListRuns(ctx, e.actor, bot.RunFilter{TeamID: e.team, SearchTerm: "failover"})
				if err != nil || len(l.Items) != 1 {
					t.Fatalf("got %d runs named failover (%v), want 1", len(l.Items), err)
				}
				r := l.Items[0]
				if r.Description != "primary is gone" || r.OwnerUserID != e.f.alice || r.ChannelID == "" || r.PlaybookID != e.pb.ID {
					t.Errorf("got run %+v, want alice's run of the playbook in a channel, with the description", r)
				}
			}},
		{name: "start run without name", callback: dialogs.StartRun, state: func(*env) string { return "" },
			values:   map[string]string{"playbook_id": "{pb}"},
			wantErrs: dialogs.FieldErrors{"name": "Run name is required"}},
		{name: "start run without playbook", callback: dialogs.StartRun, state: func(*env) string { return "" },
			values:   map[string]string{"name": "x"},
			wantErrs: dialogs.FieldErrors{"playbook_id": "Pick a playbook to start the run from"}},
		{name: "start run of unknown playbook", callback: dialogs.StartRun, state: func(*env) string { return "" },
			values:   map[string]string{"playbook_id": "pb000000000000000000000001", "name": "x"},
			wantErrs: dialogs.FieldErrors{"playbook_id": "playbook pb000000000000000000000001 does not exist"}},
		{name: "start run in another team", callback: dialogs.StartRun, state: func(*env) string { return "" },
			values: map[string]string{"playbook_id": "{pb}", "name": "x"},
			setup: func(_ *testing.T, e *env, sub *commands.Submission) {
				sub.TeamID = "team0000000000000000000001"
			},
			wantErrs: dialogs.FieldErrors{"": "playbook {pb} belongs to team {team}, not team0000000000000000000001"}},

		// end_run
		{name: "end run", callback: dialogs.EndRun,
			want: commands.Response{Text: "Ended the run **Checkout errors**.", InChannel: true},
			check: func(t *testing.T, _ *env, r bot.Run) {
				if r.IsActive {
					t.Error("got an active run, want it ended")
				}
			}},
		{name: "end run with bad state", callback: dialogs.EndRun, state: func(*env) string { return "garbage" },
			wantErrs: dialogs.FieldErrors{"": dead}},
		{name: "end unknown run", callback: dialogs.EndRun,
			state:    func(*env) string { return dialogs.RunState{RunID: "run00000000000000000000001"}.String() },
			wantErrs: dialogs.FieldErrors{"": "run run00000000000000000000001 not found"}},
		{name: "end run of another team", callback: dialogs.EndRun,
			setup: func(_ *testing.T, _ *env, sub *commands.Submission) {
				sub.Actor.TeamIDs = []string{"team0000000000000000000001"}
			},
			wantErrs: dialogs.FieldErrors{"": "this token may not access team {team}"}},

		// status_update
		{name: "status update", callback: dialogs.StatusUpdate,
			values: map[string]string{"message": "Rolled back; errors are down.", "reminder": "900"},
			check: func(t *testing.T, _ *env, r bot.Run) {
				want := []string{"Rolled back; errors are down."}
				var got []string
				for _, u := range r.StatusUpdates {
					got = append(got, u.Message)
				}
				if diff := cmp.Diff(want, got); diff != "" || r.PreviousReminder != 900 {
					t.Errorf("got reminder %d and updates (-want +got):\n%s", r.PreviousReminder, diff)
				}
			}},
		{name: "status update without message", callback: dialogs.StatusUpdate,
			values: map[string]string{"reminder": "900"}, wantErrs: dialogs.FieldErrors{"message": "Update is required"}},
		{name: "status update with odd reminder", callback: dialogs.StatusUpdate,
			values:   map[string]string{"message": "ok", "reminder": "7"},
			wantErrs: dialogs.FieldErrors{"reminder": "Pick one of the listed reminders"}},

		// check_item
		{name: "check item", callback: dialogs.CheckItem, values: map[string]string{"item": "1 2"},
			want:  commands.Response{Text: "Checked **Tell support** (item 1 2, Mitigate).", InChannel: true},
			check: itemState(1, 2, bot.ItemClosed)},
		{name: "check no item", callback: dialogs.CheckItem, values: map[string]string{},
			wantErrs: dialogs.FieldErrors{"item": "Pick an item"}},
		{name: "check item gone", callback: dialogs.CheckItem, values: map[string]string{"item": "9 0"},
			wantErrs: dialogs.FieldErrors{"item": "checklist 9 does not exist; this run has checklists 0 to 3"}},
		{name: "check item of empty checklist", callback: dialogs.CheckItem, values: map[string]string{"item": "3 0"},
			wantErrs: dialogs.FieldErrors{"item": "checklist 3 (Follow-up) has no items"}},

		// next_stage
		{name: "next stage", callback: dialogs.NextStage, state: stateAt(2),
			want: commands.Response{Text: "Moved **Checkout errors** to stage 2 (Resolve).", InChannel: true},
			check: func(t *testing.T, _ *env, r bot.Run) {
				if r.ActiveStage != 2 || r.ActiveStageTitle != "Resolve" {
					t.Errorf("got stage %d %q, want 2 \"Resolve\"", r.ActiveStage, r.ActiveStageTitle)
				}
			}},
		{name: "next stage gone", callback: dialogs.NextStage, state: stateAt(9),
			wantErrs: dialogs.FieldErrors{"": "stage 9 does not exist; this run has stages 0 to 3"}},

		// add_item
		{name: "add item", callback: dialogs.AddItem, state: stateAt(3),
			values: map[string]string{"title": "Thank the team", "description": "in #general"},
			want:   commands.Response{Text: "Added **Thank the team** to Follow-up as item 3 0."},
			check: func(t *testing.T, _ *env, r bot.Run) {
				it := r.Checklists[3].Items
				if len(it) != 1 || it[0].Title != "Thank the team" || it[0].Description != "in #general" {
					t.Errorf("got items %+v, want the new one", it)
				}
			}},
		{name: "add item without title", callback: dialogs.AddItem, state: stateAt(3),
			values: map[string]string{}, wantErrs: dialogs.FieldErrors{"title": "Title is required"}},
		{name: "add item to missing checklist", callback: dialogs.AddItem, state: stateAt(8),
			values:   map[string]string{"title": "x"},
			wantErrs: dialogs.FieldErrors{"": "checklist 8 does not exist; this run has checklists 0 to 3"}},

		{name: "unknown dialog", callback: "nope", wantErrs: dialogs.FieldErrors{"": "unknown dialog nope"}},
	}
}

func TestSubmit(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for _, tc := range submitCases() {
			t.Run(tc.name, func(t *testing.T) {
				e := f.newEnv(t)
				repl := strings.NewReplacer("{pb}", e.pb.ID, "{team}", e.team, "{run_id}", e.run.ID)
				values := map[string]string{}
				for k, v := range tc.values {
					values[k] = repl.Replace(v)
				}
				sub := commands.Submission{Actor: e.actor, CallbackID: tc.callback, State: stateAt(0)(e),
					TeamID: e.team, ChannelID: e.run.ChannelID, Values: values}
				if tc.state != nil {
					sub.State = tc.state(e)
				}
				if tc.setup != nil {
					tc.setup(t, e, &sub)
				}

				got, errs := f.d.Submit(ctx, sub)

				var wantErrs dialogs.FieldErrors
				for k, v := range tc.wantErrs {
					if wantErrs == nil {
						wantErrs = dialogs.FieldErrors{}
					}
					wantErrs[k] = repl.Replace(v)
				}
				if diff := cmp.Diff(wantErrs, errs); diff != "" {
					t.Errorf("field errors mismatch (-want +got):\n%s", diff)
				}
				want := tc.want
				want.Text = repl.Replace(want.Text)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("response mismatch (-want +got):\n%s", diff)
				}
				if tc.check != nil {
					tc.check(t, e, e.reload(t))
				}
			})
		}
	})
}

func TestLookup(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		e := f.newEnv(t)
		mustItem(t)(f.svc.ToggleItem(ctx, e.actor, e.run.ID, 0, 0))
		other := e.startRun(t, "Other")
		state := dialogs.RunState{RunID: e.run.ID}.String()
		for _, tc := range []struct {
			name                       string
			channel, callback, element string
			state, query               string
			actor                      *bot.Actor
			want                       []dialogs.Option
		}{
			{name: "all, open first", channel: e.run.ChannelID, state: state, want: []dialogs.Option{
				{Text: "[ ] Open a bridge", Value: "0 1"},
				{Text: "[ ] Roll back", Value: "1 0"},
				{Text: "[ ] Scale up", Value: "1 1"},
				{Text: "[ ] Tell support", Value: "1 2"},
				{Text: "[ ] Write the postmortem", Value: "2 0"},
				{Text: "[x] Page on-call", Value: "0 0"},
			}},
			{name: "filtered, case-insensitive", channel: e.run.ChannelID, state: state, query: "O", want: []dialogs.Option{
				{Text: "[ ] Open a bridge", Value: "0 1"},
				{Text: "[ ] Roll back", Value: "1 0"},
				{Text: "[ ] Tell support", Value: "1 2"},
				{Text: "[ ] Write the postmortem", Value: "2 0"},
				{Text: "[x] Page on-call", Value: "0 0"},
			}},
			{name: "by channel without state", channel: e.run.ChannelID, query: "page",
				want: []dialogs.Option{{Text: "[x] Page on-call", Value: "0 0"}}},
			{name: "state wins over channel", channel: other.ChannelID, state: state, query: "page",
				want: []dialogs.Option{{Text: "[x] Page on-call", Value: "0 0"}}},
			{name: "no match", channel: e.run.ChannelID, state: state, query: "zebra", want: []dialogs.Option{}},
			{name: "no run", channel: bot.NewID(), want: []dialogs.Option{}},
			{name: "other dialog", channel: e.run.ChannelID, state: state, callback: dialogs.StartRun, want: []dialogs.Option{}},
			{name: "other element", channel: e.run.ChannelID, state: state, element: "title", want: []dialogs.Option{}},
			{name: "other team", channel: e.run.ChannelID, state: state, actor: &bot.Actor{UserID: f.bob},
				want: []dialogs.Option{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				cb, el, actor := dialogs.CheckItem, dialogs.CheckItemItem, e.actor
				if tc.callback != "" {
					cb = tc.callback
				}
				if tc.element != "" {
					el = tc.element
				}
				if tc.actor != nil {
					actor = *tc.actor
				}
				got := f.d.Lookup(ctx, actor, tc.channel, cb, tc.state, el, tc.query)
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Lookup mismatch (-want +got):\n%s", diff)
				}
			})
		}

		t.Run("at most 25", func(t *testing.T) {
			for i := range 30 {
				must(t)(f.svc.AddItem(ctx, e.actor, e.run.ID, 3, bot.ChecklistItem{Title: fmt.Sprint("Extra ", i)}))
			}
			got := f.d.Lookup(ctx, e.actor, e.run.ChannelID, dialogs.CheckItem, state, dialogs.CheckItemItem, "extra")
			if len(got) != dialogs.MaxLookupOptions {
				t.Fatalf("got %d options, want %d", len(got), dialogs.MaxLookupOptions)
			}
			if got[0].Value != "3 0" || got[24].Value != "3 24" {
				t.Errorf("got options from %q to %q, want \"3 0\" to \"3 24\"", got[0].Value, got[24].Value)
			}
		})
	})
}
