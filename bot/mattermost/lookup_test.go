package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// startRunOn starts a run as startRun does, on a Mattermost of version.
func startRunOn(t testing.TB, version string) *started {
	t.Helper()
	e := newEnvOn(t, storetest.SQLite, version)
	e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": "Database down"})
	chans := e.mm.Channels(e.team.Id)
	ch := chans[len(chans)-1].Id
	r := e.run(t, ch)
	return &started{env: e, r: r, channel: ch, postID: r.ChecklistPostID}
}

// TestCheckItemDialogVersions checks point 13 of issue 22: the check-item
// dialog's item select is the static list on Mattermost 10.12, which has
// no dynamic selects, and a dynamic select on 11.0, whose options
// Mattermost looks up from the bot as the user types; either way the item
// picked is toggled. The server's version is read once.
func TestCheckItemDialogVersions(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{mmtest.Version1012, mmtest.Version11} {
		t.Run(version, func(t *testing.T) {
			s := startRunOn(t, version)
			s.slash(t, s.alice, s.channel, "check")
			d := s.dialog(t, dialogs.CheckItem)
			el := d.Dialog.Elements[0]
			var pick string
			if version == mmtest.Version1012 {
				if el.DataSource != "" || len(el.Options) != 5 || el.DataSourceURL != "" {
					t.Fatalf("item select %+v, want the static list of the 5 items", el)
				}
				pick = el.Options[4].Value
			} else {
				if el.DataSource != "dynamic" || el.Options != nil || !strings.HasPrefix(el.DataSourceURL, s.botURL+mattermost.LookupPath+"?") {
					t.Fatalf("item select %+v, want a dynamic select looked up at %s", el, s.botURL+mattermost.LookupPath)
				}
				items, err := s.mm.Lookup(ctx, d, dialogs.CheckItemItem, "CONFIRM", nil)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]model.DialogSelectOption{{Text: "[ ] Confirm recovery", Value: "1 1"}}, items); diff != "" {
					t.Fatalf("lookup of %q (-want +got):\n%s", "CONFIRM", diff)
				}
				if all, err := s.mm.Lookup(ctx, d, dialogs.CheckItemItem, "", nil); err != nil || len(all) != 5 {
					t.Errorf("lookup of everything: %d items, %v; want the 5", len(all), err)
				}
				pick = items[0].Value
			}
			s.submit(t, d, map[string]any{dialogs.CheckItemItem: pick})
			s.wantItem(t, s.channel, 1, 1, bot.ItemClosed)

			s.slash(t, s.alice, s.channel, "check") // a second dialog: the version is not read again
			if n := s.mm.CountRequests(http.MethodGet, "/api/v4/config/client"); n != 1 {
				t.Errorf("the server's version was read %d times, want once", n)
			}
			for _, w := range s.mm.Warnings() {
				t.Errorf("Mattermost warned: %s", w)
			}
		})
	}
}

// lookupAt POSTs a lookup to a dynamic select's URL as Mattermost would,
// and returns the answer, which must have status 200.
func lookupAt(t *testing.T, rawURL string, req model.SubmitDialogRequest) []model.DialogSelectOption {
	t.Helper()
	b, _ := json.Marshal(req)
	res, err := http.Post(rawURL, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("lookup answered status %d, want 200 (Mattermost shows only a 200's body)", res.StatusCode)
	}
	var out model.LookupDialogResponse
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Items == nil {
		t.Fatalf("lookup answer %+v, %v: want {\"items\":[...]}", out, err)
	}
	return out.Items
}

// TestLookupRefused checks that a dynamic select's lookup, which
// Mattermost sends with no authentication, answers only for the user,
// dialog, channel and element its URL's signed token names, while it is
// valid (15 minutes), with the dialog's own state: anything else gets an
// empty list, with status 200, and is logged.
func TestLookupRefused(t *testing.T) {
	s := startRunOn(t, mmtest.Version11)
	s.slash(t, s.alice, s.channel, "check")
	d := s.dialog(t, dialogs.CheckItem)
	lookupURL := d.Dialog.Elements[0].DataSourceURL
	good := model.SubmitDialogRequest{Type: "dialog_lookup", CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: s.alice.Id, ChannelId: s.channel, TeamId: s.team.Id,
		Submission: map[string]any{"query": "", "selected_field": dialogs.CheckItemItem}}
	if got := lookupAt(t, lookupURL, good); len(got) != 5 {
		t.Fatalf("the lookup as Mattermost sends it: %d items, want 5", len(got))
	}
	u, _ := url.Parse(lookupURL)
	q := u.Query()
	for k := range q {
		q.Set(k, flipLast(q.Get(k)))
	}
	u.RawQuery = q.Encode()
	for _, tc := range []struct {
		name string
		url  string
		edit func(*model.SubmitDialogRequest)
	}{
		{"another user", lookupURL, func(r *model.SubmitDialogRequest) { r.UserId = s.bob.Id }},
		{"another channel", lookupURL, func(r *model.SubmitDialogRequest) { r.ChannelId = s.townSquare.Id }},
		{"another dialog", lookupURL, func(r *model.SubmitDialogRequest) { r.CallbackId = dialogs.StartRun }},
		{"another element", lookupURL, func(r *model.SubmitDialogRequest) { r.Submission["selected_field"] = "name" }},
		{"a forged state", lookupURL, func(r *model.SubmitDialogRequest) { r.State = flipLast(r.State) }},
		{"a forged token", u.String(), func(*model.SubmitDialogRequest) {}},
		{"no token", s.botURL + mattermost.LookupPath, func(*model.SubmitDialogRequest) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := good
			req.Submission = map[string]any{"query": "", "selected_field": dialogs.CheckItemItem}
			tc.edit(&req)
			if got := lookupAt(t, tc.url, req); len(got) != 0 {
				t.Errorf("got %d items, want none", len(got))
			}
		})
	}
	if !strings.Contains(s.logs.String(), "dialog lookup refused") {
		t.Error("refused lookups were not logged")
	}
	s.clock.Advance(16 * time.Minute)
	if got := lookupAt(t, lookupURL, good); len(got) != 0 {
		t.Errorf("a lookup 16 minutes after the dialog opened: %d items, want none", len(got))
	}
}

// TestManyPlaybooksVersions checks that a team with more playbooks than a
// static list holds can start a run from any of them: on Mattermost 11
// the start-run dialog's playbook select is looked up as the user types
// (here, playbook 142 of 150); on 10.12 the first 100 are listed and the
// introduction says how to start a run from another.
func TestManyPlaybooksVersions(t *testing.T) {
	ctx := context.Background()
	for _, version := range []string{mmtest.Version1012, mmtest.Version11} {
		t.Run(version, func(t *testing.T) {
			e := newEnvOn(t, storetest.SQLite, version)
			var want string
			for i := range 150 {
				pb, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{
					Title: fmt.Sprintf("Playbook %03d", i), TeamID: e.team.Id,
					Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page"}}}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if i == 142 {
					want = pb.ID
				}
			}
			e.slash(t, e.alice, e.townSquare.Id, "run")
			d := e.dialog(t, dialogs.StartRun)
			el := d.Dialog.Elements[0]
			if version == mmtest.Version1012 {
				if el.DataSource != "" || len(el.Options) != dialogs.MaxStaticOptions || !strings.Contains(d.Dialog.IntroductionText, "150") {
					t.Fatalf("playbook select with %d options (data source %q), intro %q; want the first %d listed and the intro to say there are 150",
						len(el.Options), el.DataSource, d.Dialog.IntroductionText, dialogs.MaxStaticOptions)
				}
				return
			}
			if el.DataSource != "dynamic" || el.DataSourceURL == "" {
				t.Fatalf("playbook select %+v, want a dynamic select", el)
			}
			items, err := e.mm.Lookup(ctx, d, dialogs.StartRunPlaybook, "142", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Value != want {
				t.Fatalf("lookup of %q: %+v, want playbook 142 (%s)", "142", items, want)
			}
			e.submit(t, d, map[string]any{dialogs.StartRunPlaybook: want, dialogs.StartRunName: "From playbook 142"})
			chans := e.mm.Channels(e.team.Id)
			if r := e.run(t, chans[len(chans)-1].Id); r.PlaybookID != want {
				t.Errorf("the run was started from playbook %s, want %s", r.PlaybookID, want)
			}
		})
	}
}
