package commands_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

const (
	note        = "\nChecklists and items are numbered from 0, as `/playbook info` shows them."
	notInRun    = "This command works in a run's channel; use `/playbook list` to find one."
	noPlaybooks = "This team has no playbooks yet, so no run can start. Create one with the REST API " +
		"(`POST /plugins/playbooks/api/v0/playbooks`), then try again."
	ended = "This run has already ended; `/playbook restart` makes it active again."
)

type dispatchCase struct {
	name      string
	text      string
	setup     func(t *testing.T, e *env, req *commands.Request)
	bare      bool                                   // use the Dispatcher without a UserResolver
	want      string                                 // exact text; {alice}, {bob}, {team} are replaced
	wantFn    func(e *env) string                    // exact text, when it needs computing
	contains  []string                               // instead of want: parts of the text
	excludes  []string                               // and parts it must not have
	inChannel bool                                   // want an in-channel reply
	dialog    func(e *env, r bot.Run) dialogs.Dialog // want this dialog, built from the run before
	check     func(t *testing.T, e *env, r bot.Run)  // the run after
}

var ctx = context.Background()

// Setups that change the case's run or request.

func outside(_ *testing.T, _ *env, req *commands.Request) { req.ChannelID = bot.NewID() }

func endRun(t *testing.T, e *env, _ *commands.Request) {
	must(t)(e.f.svc.EndRun(ctx, e.actor, e.run.ID))
}

func toggle(cl, it int) func(t *testing.T, e *env, _ *commands.Request) {
	return func(t *testing.T, e *env, _ *commands.Request) {
		mustItem(t)(e.f.svc.ToggleItem(ctx, e.actor, e.run.ID, cl, it))
	}
}

func atStage(stage int) func(t *testing.T, e *env, _ *commands.Request) {
	return func(t *testing.T, e *env, _ *commands.Request) {
		must(t)(e.f.svc.SetActiveStage(ctx, e.actor, e.run.ID, stage))
	}
}

func emptyTeam(_ *testing.T, e *env, req *commands.Request) {
	req.TeamID = bot.NewID()
	req.Actor.TeamIDs = append(req.Actor.TeamIDs, req.TeamID)
}

func dispatchCases() []dispatchCase {
	checkUsage := "\nUsage: `/playbook check [<checklist> <item>]`" + note
	assignUsage := "\nUsage: `/playbook assign <checklist> <item> <@user|user-id>`" + note
	return []dispatchCase{
		// help and unknown commands
		{name: "help", text: "help", want: commands.HelpText()},
		{name: "nothing shows help", text: "  ", want: commands.HelpText()},
		{name: "help with arguments", text: "help me", want: "`help` takes no arguments, got \"me\".\nUsage: `/playbook help`"},
		{name: "unknown command", text: "frobnicate 1", want: "Unknown command \"frobnicate\".\nUsage: `/playbook " +
			commands.AutocompleteHint() + "`; `/playbook help` explains each command."},
		{name: "case-insensitive", text: "INFO", contains: []string{"#### Checkout errors\n"}},

		// run
		{name: "run", text: "run", dialog: func(e *env, _ bot.Run) dialogs.Dialog {
			return dialogs.StartRunDialog(e.team, []bot.Playbook{e.pb}) // not the archived one
		}},
		{name: "run outside a run channel", text: "run", setup: outside, dialog: func(e *env, _ bot.Run) dialogs.Dialog {
			return dialogs.StartRunDialog(e.team, []bot.Playbook{e.pb})
		}},
		{name: "run without playbooks", text: "run", setup: emptyTeam, want: noPlaybooks},
		{name: "run with arguments", text: "run now", want: "`run` takes no arguments, got \"now\".\nUsage: `/playbook run`"},

		// end, finish, restart
		{name: "end", text: "end", dialog: func(_ *env, r bot.Run) dialogs.Dialog { return dialogs.EndRunDialog(r) }},
		{name: "end ended run", text: "end", setup: endRun, want: ended},
		{name: "end outside a run channel", text: "end", setup: outside, want: notInRun},
		{name: "end in a channel-less request", text: "end",
			setup: func(_ *testing.T, _ *env, req *commands.Request) { req.ChannelID = "" }, want: notInRun},
		{name: "finish", text: "finish", want: "Ended the run **Checkout errors**.", inChannel: true,
			check: func(t *testing.T, _ *env, r bot.Run) {
				if r.IsActive || r.CurrentStatus != bot.StatusFinished {
					t.Errorf("got active %v, status %q, want an ended run", r.IsActive, r.CurrentStatus)
				}
			}},
		{name: "finish ended run", text: "finish", setup: endRun, want: ended},
		{name: "finish with arguments", text: "finish now please",
			want: "`finish` takes no arguments, got \"now please\".\nUsage: `/playbook finish`"},
		{name: "restart", text: "restart", setup: endRun, want: "Restarted the run **Checkout errors**.", inChannel: true,
			check: func(t *testing.T, _ *env, r bot.Run) {
				if !r.IsActive {
					t.Error("got an ended run, want it active")
				}
			}},
		{name: "restart active run", text: "restart", want: "This run is still in progress; there is nothing to restart."},
		{name: "restart outside a run channel", text: "restart", setup: outside, want: notInRun},

		// update
		{name: "update", text: "update", dialog: func(_ *env, r bot.Run) dialogs.Dialog { return dialogs.StatusUpdateDialog(r) }},
		{name: "update with arguments", text: "update all good", want: "`update` takes no arguments, got \"all good\".\nUsage: `/playbook update`"},
		{name: "update outside a run channel", text: "update", setup: outside, want: notInRun},

		// check
		{name: "check", text: "check 0 1", want: "Checked **Open a bridge** (item 0 1, Triage).", inChannel: true,
			check: itemState(0, 1, bot.ItemClosed)},
		{name: "uncheck", text: "check 0 1", setup: toggle(0, 1), want: "Unchecked **Open a bridge** (item 0 1, Triage).",
			inChannel: true, check: itemState(0, 1, bot.ItemOpen)},
		{name: "check opens dialog", text: "check", dialog: func(_ *env, r bot.Run) dialogs.Dialog { return dialogs.CheckItemDialog(r) }},
		{name: "check missing item", text: "check 0", want: "Missing <item>." + checkUsage},
		{name: "check checklist not a number", text: "check x 1", want: "<checklist> must be a number, got \"x\"." + checkUsage},
		{name: "check item not a number", text: "check 0 y", want: "<item> must be a number, got \"y\"." + checkUsage},
		{name: "check negative", text: "check -1 0", want: "<checklist> must be 0 or more, got -1." + checkUsage},
		{name: "check no such checklist", text: "check 9 0", want: "Checklist 9 does not exist; this run has checklists 0 to 3." + checkUsage},
		{name: "check no such item", text: "check 0 5", want: "Item 5 does not exist; checklist 0 (Triage) has items 0 to 1." + checkUsage},
		{name: "check empty checklist", text: "check 3 0", want: "Checklist 3 (Follow-up) has no items." + checkUsage},
		{name: "check extra argument", text: "check 0 1 2", want: "Too many arguments: \"2\"." + checkUsage},
		{name: "check outside a run channel", text: "check 0 1", setup: outside, want: notInRun},

		// checkadd
		{name: "checkadd", text: "checkadd 1 Call the  vendor", want: "Added **Call the vendor** to Mitigate as item 1 3.",
			check: func(t *testing.T, _ *env, r bot.Run) {
				if got := r.Checklists[1].Items[3].Title; got != "Call the vendor" {
					t.Errorf("got item 1 3 %q, want %q", got, "Call the vendor")
				}
			}},
		{name: "checkadd opens dialog", text: "checkadd 1", dialog: func(_ *env, r bot.Run) dialogs.Dialog { return dialogs.AddItemDialog(r, 1) }},
		{name: "checkadd missing checklist", text: "checkadd",
			want: "Missing <checklist>.\nUsage: `/playbook checkadd <checklist> [<title>]`" + note},
		{name: "checkadd no such checklist", text: "checkadd 7 Call",
			want: "Checklist 7 does not exist; this run has checklists 0 to 3.\nUsage: `/playbook checkadd <checklist> [<title>]`" + note},
		{name: "checkadd title too long", text: "checkadd 0 " + strings.Repeat("t", 300),
			want: "title is 300 characters long; at most 256 are allowed"},

		// checkremove
		{name: "checkremove", text: "checkremove 1 0", want: "Removed **Roll back** from Mitigate.",
			check: func(t *testing.T, _ *env, r bot.Run) {
				if n := len(r.Checklists[1].Items); n != 2 || r.Checklists[1].Items[0].Title != "Scale up" {
					t.Errorf("got %d items starting with %q, want 2 starting with \"Scale up\"", n, r.Checklists[1].Items[0].Title)
				}
			}},
		{name: "checkremove missing item", text: "checkremove 1",
			want: "Missing <item>.\nUsage: `/playbook checkremove <checklist> <item>`" + note},
		{name: "checkremove no such item", text: "checkremove 1 3",
			want: "Item 3 does not exist; checklist 1 (Mitigate) has items 0 to 2.\nUsage: `/playbook checkremove <checklist> <item>`" + note},

		// assign
		{name: "assign @username", text: "assign 0 0 @bob", want: "Assigned **Page on-call** to @bob.", check: assignee(0, 0, "bob")},
		{name: "assign username", text: "assign 0 0 bob", want: "Assigned **Page on-call** to @bob.", check: assignee(0, 0, "bob")},
		{name: "assign user ID without resolver", text: "assign 1 2 {bob}", bare: true,
			want: "Assigned **Tell support** to {bob}.", check: assignee(1, 2, "bob")},
		{name: "assign unknown user", text: "assign 0 0 @carol", want: "There is no user @carol." + assignUsage},
		{name: "assign @username without resolver", text: "assign 0 0 @bob", bare: true,
			want: "Cannot look up @bob here; give the user's ID instead." + assignUsage},
		{name: "assign missing user", text: "assign 0 0", want: "Missing <@user|user-id>." + assignUsage},
		{name: "assign no such item", text: "assign 0 9 @bob",
			want: "Item 9 does not exist; checklist 0 (Triage) has items 0 to 1." + assignUsage},

		// owner
		{name: "owner", text: "owner", want: "@alice owns this run."},
		{name: "owner without resolver", text: "owner", bare: true, want: "{alice} owns this run."},
		{name: "owner change", text: "owner @bob", want: "@bob is now the owner of **Checkout errors**.", inChannel: true,
			check: func(t *testing.T, e *env, r bot.Run) {
				if r.OwnerUserID != e.f.bob {
					t.Errorf("got owner %s, want bob (%s)", r.OwnerUserID, e.f.bob)
				}
			}},
		{name: "owner change by ID", text: "owner {bob}", bare: true, want: "{bob} is now the owner of **Checkout errors**.", inChannel: true},
		{name: "owner unchanged", text: "owner @alice", want: "@alice already owns this run."},
		{name: "owner too many", text: "owner @bob @alice", want: "Too many arguments: \"@alice\".\nUsage: `/playbook owner [<@user|user-id>]`"},
		{name: "owner outside a run channel", text: "owner", setup: outside, want: notInRun},

		// stage
		{name: "stage next with open items", text: "stage next",
			dialog: func(_ *env, r bot.Run) dialogs.Dialog { return dialogs.NextStageDialog(r, 1) }},
		{name: "stage next", text: "stage NEXT", want: "Moved **Checkout errors** to stage 1 (Mitigate).", inChannel: true,
			setup: func(t *testing.T, e *env, req *commands.Request) { toggle(0, 0)(t, e, req); toggle(0, 1)(t, e, req) },
			check: func(t *testing.T, _ *env, r bot.Run) {
				if r.ActiveStage != 1 {
					t.Errorf("got stage %d, want 1", r.ActiveStage)
				}
			}},
		{name: "stage prev with open items", text: "stage prev", setup: atStage(1),
			dialog: func(_ *env, r bot.Run) dialogs.Dialog { return dialogs.NextStageDialog(r, 0) }},
		{name: "stage prev", text: "stage prev", setup: atStage(3), inChannel: true,
			want: "Moved **Checkout errors** to stage 2 (Resolve)."},
		{name: "stage prev at first", text: "stage prev", want: "This run is at its first stage, 0 (Triage); there is no previous stage."},
		{name: "stage next at last", text: "stage next", setup: atStage(3),
			want: "This run is at its last stage, 3 (Follow-up); there is no next stage."},
		{name: "stage bad direction", text: "stage sideways", want: "Say `next` or `prev`, not \"sideways\".\nUsage: `/playbook stage next|prev`"},
		{name: "stage missing direction", text: "stage", want: "Missing next|prev.\nUsage: `/playbook stage next|prev`"},

		// info, list, timeline, playbooks
		{name: "info", text: "info", setup: func(t *testing.T, e *env, req *commands.Request) {
			toggle(0, 0)(t, e, req)
			if _, _, err := e.f.svc.SetItemAssignee(ctx, e.actor, e.run.ID, 1, 0, e.f.bob); err != nil {
				t.Fatal(err)
			}
			mustItem(t)(e.f.svc.SetItemState(ctx, e.actor, e.run.ID, 1, 1, bot.ItemInProgress))
		}, want: "#### Checkout errors\n" +
			"Status: **In progress** · Owner: @alice · Stage: **0 (Triage)**\n" +
			"\n**0 Triage**: 1 of 2 done\n- `0 0` [x] Page on-call\n- `0 1` [ ] Open a bridge\n" +
			"\n**1 Mitigate**: 0 of 3 done\n- `1 0` [ ] Roll back (@bob)\n- `1 1` [~] Scale up\n- `1 2` [ ] Tell support\n" +
			"\n**2 Resolve**: 0 of 1 done\n- `2 0` [ ] Write the postmortem\n" +
			"\n**3 Follow-up**: 0 of 0 done\n" +
			"\n`/playbook check <checklist> <item>` checks an item by these numbers.\n"},
		{name: "info of ended run", text: "info", setup: endRun, contains: []string{"Status: **Finished**"}},
		{name: "info with arguments", text: "info 0", want: "`info` takes no arguments, got \"0\".\nUsage: `/playbook info`"},
		{name: "info outside a run channel", text: "info", setup: outside, want: notInRun},
		{name: "info in another team", text: "info",
			setup: func(_ *testing.T, _ *env, req *commands.Request) { req.Actor.TeamIDs = []string{bot.NewID()} },
			want:  "this token may not access team {team}"},
		{name: "list", text: "list", setup: func(t *testing.T, e *env, req *commands.Request) {
			outside(t, e, req)
			e.startRun(t, "DB failover")
			old := e.startRun(t, "Old thing")
			must(t)(e.f.svc.EndRun(ctx, e.actor, old.ID))
		}, contains: []string{
			"#### Runs in progress (2)\n",
			"- **DB failover**: owner @alice, stage 0 (Triage), started 2024-05-01\n",
			"- **Checkout errors**: owner @alice, stage 0 (Triage), started 2024-05-01\n",
		}, excludes: []string{"Old thing"}},
		{name: "list without runs", text: "list", setup: emptyTeam, want: "No runs are in progress in this team. `/playbook run` starts one."},
		{name: "list with arguments", text: "list all", want: "`list` takes no arguments, got \"all\".\nUsage: `/playbook list`"},
		{name: "timeline", text: "timeline", want: "#### Timeline of Checkout errors\n- 2024-05-01 12:00 UTC: Run started by {alice}\n"},
		{name: "timeline long", text: "timeline", setup: func(t *testing.T, e *env, req *commands.Request) {
			for range 25 {
				toggle(0, 1)(t, e, req)
			}
		}, wantFn: func(*env) string {
			want := "#### Timeline of Checkout errors\n(6 earlier events not shown)\n"
			for i := 6; i <= 25; i++ {
				state := "checked"
				if i%2 == 0 {
					state = "unchecked"
				}
				want += "- 2024-05-01 12:00 UTC: Open a bridge " + state + "\n"
			}
			return want
		}},
		{name: "timeline outside a run channel", text: "timeline", setup: outside, want: notInRun},
		{name: "playbooks", text: "playbooks", setup: outside,
			want: "#### Playbooks (1)\n- **Incident**: 4 stages, 6 items\n\n`/playbook run` starts a run from one of them.\n"},
		{name: "playbooks without playbooks", text: "playbooks", setup: emptyTeam, want: noPlaybooks},
		{name: "playbooks with arguments", text: "playbooks all", want: "`playbooks` takes no arguments, got \"all\".\nUsage: `/playbook playbooks`"},
	}
}

// itemState checks the state of an item of the run after the command.
func itemState(cl, it int, want string) func(t *testing.T, e *env, r bot.Run) {
	return func(t *testing.T, _ *env, r bot.Run) {
		if got := r.Checklists[cl].Items[it].State; got != want {
			t.Errorf("item %d %d: got state %q, want %q", cl, it, got, want)
		}
	}
}

// assignee checks the assignee of an item of the run after the command.
func assignee(cl, it int, user string) func(t *testing.T, e *env, r bot.Run) {
	return func(t *testing.T, e *env, r bot.Run) {
		want := map[string]string{"alice": e.f.alice, "bob": e.f.bob}[user]
		if got := r.Checklists[cl].Items[it].AssigneeID; got != want {
			t.Errorf("item %d %d: got assignee %q, want %s (%s)", cl, it, got, user, want)
		}
	}
}

func TestDispatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for _, tc := range dispatchCases() {
			t.Run(tc.name, func(t *testing.T) {
				e := f.newEnv(t)
				repl := strings.NewReplacer("{alice}", f.alice, "{bob}", f.bob, "{team}", e.team)
				req := commands.Request{Actor: e.actor, TeamID: e.team, ChannelID: e.run.ChannelID, Text: repl.Replace(tc.text)}
				if tc.setup != nil {
					tc.setup(t, e, &req)
				}
				before := e.reload(t)
				d := f.d
				if tc.bare {
					d = f.bare
				}

				got := d.Dispatch(ctx, req)

				switch {
				case tc.dialog != nil && got.Dialog == nil:
					t.Fatalf("got no dialog (text %q), want %s", got.Text, tc.dialog(e, before).CallbackID)
				case tc.dialog != nil:
					if diff := cmp.Diff(tc.dialog(e, before), *got.Dialog); diff != "" {
						t.Errorf("dialog mismatch (-want +got):\n%s", diff)
					}
					if err := dialogs.Validate(*got.Dialog); err != nil {
						t.Errorf("dialog is invalid: %v", err)
					}
				case got.Dialog != nil:
					t.Errorf("got dialog %s, want none", got.Dialog.CallbackID)
				}
				want := repl.Replace(tc.want)
				if tc.wantFn != nil {
					want = tc.wantFn(e)
				}
				for _, s := range tc.contains {
					if !strings.Contains(got.Text, s) {
						t.Errorf("got text %q, want it to contain %q", got.Text, s)
					}
				}
				for _, s := range tc.excludes {
					if strings.Contains(got.Text, s) {
						t.Errorf("got text %q, want it without %q", got.Text, s)
					}
				}
				if tc.contains == nil && got.Text != want {
					t.Errorf("text mismatch (-want +got):\n%s", cmp.Diff(want, got.Text))
				}
				if got.InChannel != tc.inChannel {
					t.Errorf("got InChannel %v, want %v", got.InChannel, tc.inChannel)
				}
				if tc.check != nil {
					tc.check(t, e, e.reload(t))
				}
			})
		}
	})
}

// TestDispatchInternalError checks that a store failure shows as "internal
// error" and is logged with its cause.
func TestDispatchInternalError(t *testing.T) {
	db := storetest.Open(t, storetest.SQLite)
	var logs bytes.Buffer
	d := commands.NewDispatcher(bot.NewService(bot.Config{Store: db, Chat: fakeChat{}})).
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	db.Close()
	team := bot.NewID()
	for _, tc := range []struct {
		name string
		text string
	}{
		{"run command", "info"},
		{"team command", "list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			got := d.Dispatch(ctx, commands.Request{
				Actor: bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}, TeamID: team, ChannelID: bot.NewID(), Text: tc.text,
			})
			if got.Text != "internal error" || got.InChannel {
				t.Errorf("got %+v, want an ephemeral \"internal error\"", got)
			}
			if !strings.Contains(logs.String(), "closed") {
				t.Errorf("got log %q, want the cause logged", logs.String())
			}
		})
	}
}

// TestDispatchRunURL checks that the run's name links where WithRunURL says.
func TestDispatchRunURL(t *testing.T) {
	f := newFixture(t, storetest.SQLite)
	e := f.newEnv(t)
	d := commands.NewDispatcher(f.svc).WithRunURL(func(r bot.Run) string { return "https://chat/runs/" + r.ID })
	got := d.Dispatch(ctx, commands.Request{Actor: e.actor, TeamID: e.team, ChannelID: e.run.ChannelID, Text: "finish"})
	want := fmt.Sprintf("Ended the run [Checkout errors](https://chat/runs/%s).", e.run.ID)
	if got.Text != want {
		t.Errorf("got %q, want %q", got.Text, want)
	}
}

// TestDispatchDetailsLinks checks that, on a server that knows its public
// URL and signs links, the replies that name a run link its name, escaped,
// to a signed details link that opens that run: the in-channel replies of
// commands typed in the run's channel, and the answers to the acting user.
func TestDispatchDetailsLinks(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, storetest.SQLite)
	svc := bot.NewService(bot.Config{Store: db, Chat: fakeChat{}, Now: func() time.Time { return now },
		PublicURL: "https://pb.example.com", LinkSecret: []byte("0123456789abcdef0123456789abcdef")})
	d := commands.NewDispatcher(svc)
	team := bot.NewID()
	actor := bot.Actor{UserID: bot.NewID(), TeamIDs: []string{team}}
	pb, err := svc.CreatePlaybook(ctx, actor, bot.Playbook{Title: "P", TeamID: team,
		Checklists: []bot.Checklist{{Title: "Triage"}, {Title: "Fix", Items: []bot.ChecklistItem{{Title: "Page"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.CreateRun(ctx, actor, bot.NewRun{Name: "DB [prod]_down", TeamID: team, PlaybookID: pb.ID})
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\[DB \\\[prod\\\]\\_down\]\((https://pb\.example\.com/runs/` + r.ID + `\?sig=[^)\s]+)\)`)
	for _, tc := range []struct {
		text      string
		inChannel bool
	}{
		{"list", false},
		{"info", false},
		{"timeline", false},
		{"stage next", true},
		{"finish", true},
		{"restart", true},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got := d.Dispatch(ctx, commands.Request{Actor: actor, TeamID: team, ChannelID: r.ChannelID, Text: tc.text})
			m := link.FindStringSubmatch(got.Text)
			if m == nil || got.InChannel != tc.inChannel {
				t.Fatalf("got %+v, want a signed link to run %s (in channel: %v)", got, r.ID, tc.inChannel)
			}
			u, err := url.Parse(m[1])
			if err != nil {
				t.Fatal(err)
			}
			if opened, err := svc.RunForLink(ctx, r.ID, u.Query().Get("sig")); err != nil || opened.ID != r.ID {
				t.Errorf("the link %s opens %q, %v; want run %s", m[1], opened.ID, err, r.ID)
			}
		})
	}
}
