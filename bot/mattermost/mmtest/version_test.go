package mmtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestVersionHeader checks that every API v4 answer names the version
// played in X-Version-Id, as Mattermost's handlers do ("<version>.<build
// number>.<config hash>.<licensed>"): successes, errors and unknown
// routes, with or without authentication; and that GET /system/ping and
// GET /config/client?format=old answer without authentication, the latter
// with the version and the site URL (and 501 without format=old).
func TestVersionHeader(t *testing.T) {
	for _, version := range []string{mmtest.Version1012, mmtest.Version11} {
		t.Run(version, func(t *testing.T) {
			w := newWorld(t, mmtest.WithVersion(version))
			token := w.mm.AddToken(w.user.Id)
			for _, tc := range []struct {
				path, token string
				status      int
			}{
				{"/api/v4/users/me", token, http.StatusOK},
				{"/api/v4/users/me", "", http.StatusUnauthorized},
				{"/api/v4/no/such/route", token, http.StatusNotFound},
				{"/api/v4/system/ping", "", http.StatusOK},
				{"/api/v4/config/client?format=old", "", http.StatusOK},
				{"/api/v4/config/client", "", http.StatusNotImplemented},
			} {
				req, _ := http.NewRequest(http.MethodGet, w.mm.URL+tc.path, nil)
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				if res.StatusCode != tc.status {
					t.Errorf("GET %s: status %d, want %d", tc.path, res.StatusCode, tc.status)
				}
				id := res.Header.Get(model.HeaderVersionId)
				if !strings.HasPrefix(id, version+".0.") || len(strings.Split(id, ".")) != 6 {
					t.Errorf("GET %s: X-Version-Id %q, want %s.0.<build>.<hash>.<licensed>", tc.path, id, version)
				}
				if strings.HasPrefix(tc.path, "/api/v4/config/client?") {
					if body["Version"] != version+".0" || body["SiteURL"] != w.mm.URL {
						t.Errorf("client config %v, want Version %s.0 and SiteURL %s", body, version, w.mm.URL)
					}
				}
			}
		})
	}
}

// dynamicDialog opens, for w's user in w's channel, a dialog with a
// dynamic select whose lookups go to url, and returns it as opened.
func dynamicDialog(t *testing.T, w *world, url string) (mmtest.OpenedDialog, *model.Response, error) {
	t.Helper()
	trigger := w.mm.IssueTrigger(w.user.Id, w.channel.Id)
	resp, err := w.api.OpenInteractiveDialog(context.Background(), model.OpenDialogRequest{TriggerId: trigger, URL: url + "/submit",
		Dialog: model.Dialog{CallbackId: "cb", Title: "Pick", State: "st", Elements: []model.DialogElement{
			{DisplayName: "Item", Name: "item", Type: "select", DataSource: "dynamic", DataSourceURL: url + "/lookup?token=tk"},
			{DisplayName: "Note", Name: "note", Type: "text", Optional: true},
		}}})
	d, _ := w.mm.LastDialog()
	return d, resp, err
}

// TestDynamicSelect11 checks Mattermost 11's dynamic selects: the dialog
// opens with the select as sent (a static option or no URL is refused);
// a lookup POSTs JSON to data_source_url with no authentication: type
// dialog_lookup, the dialog's callback ID and state, the user, channel
// and team, the values with query and selected_field, and no url; the
// items answered are what the user may pick, and nothing else.
func TestDynamicSelect11(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, mmtest.WithVersion(mmtest.Version11))
	bot := newCapture(t, `{"items":[{"text":"[ ] Page","value":"0 0"},{"text":"[ ] Open","value":"0 1"}]}`)
	d, _, err := dynamicDialog(t, w, bot.srv.URL)
	if err != nil {
		t.Fatalf("open: %v, want it opened on 11.0", err)
	}
	if e := d.Dialog.Elements[0]; e.DataSource != "dynamic" || e.DataSourceURL != bot.srv.URL+"/lookup?token=tk" {
		t.Errorf("the select reached the user as %+v, want it as sent", e)
	}

	items, err := w.mm.Lookup(ctx, d, "item", "pa", map[string]any{"note": "n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Value != "0 0" {
		t.Errorf("lookup offered %v", items)
	}
	req, body := bot.last()
	if req.Method != http.MethodPost || req.URL.Path != "/lookup" || req.URL.Query().Get("token") != "tk" || req.Header.Get("Authorization") != "" {
		t.Errorf("lookup sent %s %s with Authorization %q", req.Method, req.URL, req.Header.Get("Authorization"))
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "dialog_lookup", "callback_id": "cb", "state": "st", "user_id": w.user.Id,
		"channel_id": w.channel.Id, "team_id": w.team.Id, "cancelled": false,
		"submission": map[string]any{"note": "n", "query": "pa", "selected_field": "item"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lookup body (-want +got):\n%s", diff)
	}

	if _, err := w.mm.SubmitDialog(ctx, d, map[string]any{"item": "9 9"}); err == nil {
		t.Error("submitted a value no lookup offered")
	}
	if _, err := w.mm.SubmitDialog(ctx, d, map[string]any{"item": "0 1"}); err != nil {
		t.Errorf("submit an offered value: %v", err)
	}
	if _, err := mmtest.DialogSubmission(d, map[string]any{"item": "0 1"}); err == nil {
		t.Error("DialogSubmission made a dynamic select's value without a lookup")
	}

	// The REST route, as the web client calls it with the user's session.
	api := model.NewAPIv4Client(w.mm.URL)
	api.SetToken(w.mm.SessionToken(w.user.Id))
	resp, _, err := api.LookupInteractiveDialog(ctx, model.SubmitDialogRequest{URL: bot.srv.URL + "/lookup", CallbackId: "cb",
		ChannelId: w.channel.Id, TeamId: w.team.Id, Submission: map[string]any{"query": "", "selected_field": "item"}})
	if err != nil || len(resp.Items) != 2 {
		t.Errorf("POST /actions/dialogs/lookup: %v, %v", resp, err)
	}
	private := w.mm.AddChannel(w.team.Id, "secret", model.ChannelTypePrivate)
	if _, r, err := api.LookupInteractiveDialog(ctx, model.SubmitDialogRequest{URL: bot.srv.URL + "/lookup",
		ChannelId: private.Id, TeamId: w.team.Id}); err == nil || r.StatusCode != http.StatusForbidden {
		t.Errorf("lookup in a channel the user cannot read: %v, want 403", err)
	}
	if _, r, err := api.LookupInteractiveDialog(ctx, model.SubmitDialogRequest{URL: "ftp://x", ChannelId: w.channel.Id,
		TeamId: w.team.Id}); err == nil || r.StatusCode != http.StatusBadRequest {
		t.Errorf("lookup of an invalid URL: %v, want 400", err)
	}

	for name, el := range map[string]model.DialogElement{
		"static options": {DisplayName: "I", Name: "i", Type: "select", DataSource: "dynamic", DataSourceURL: bot.srv.URL,
			Options: []*model.PostActionOptions{{Text: "a", Value: "a"}}},
		"no URL": {DisplayName: "I", Name: "i", Type: "select", DataSource: "dynamic"},
	} {
		trigger := w.mm.IssueTrigger(w.user.Id, w.channel.Id)
		r, err := w.api.OpenInteractiveDialog(ctx, model.OpenDialogRequest{TriggerId: trigger, URL: bot.srv.URL,
			Dialog: model.Dialog{CallbackId: "cb", Title: "Pick", Elements: []model.DialogElement{el}}})
		if err == nil || r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: open %v, want 400", name, err)
		}
	}
}

// TestNoLookupOn1012 checks that Mattermost 10.12 has no lookups: the
// REST route is a 404, and Lookup fails.
func TestNoLookupOn1012(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	bot := newCapture(t, `{"items":[]}`)
	d, _, err := dynamicDialog(t, w, bot.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.mm.Lookup(ctx, d, "item", "", nil); err == nil {
		t.Error("a lookup on 10.12")
	}
	api := model.NewAPIv4Client(w.mm.URL)
	api.SetToken(w.mm.SessionToken(w.user.Id))
	if _, r, err := api.LookupInteractiveDialog(ctx, model.SubmitDialogRequest{URL: bot.srv.URL, ChannelId: w.channel.Id,
		TeamId: w.team.Id}); err == nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("POST /actions/dialogs/lookup on 10.12: %v, want 404", err)
	}
	if n := len(w.mm.Sent()); n != 0 {
		t.Errorf("%d requests sent to the integration, want none", n)
	}
	if ws := w.mm.Warnings(); len(ws) != 1 || !strings.Contains(ws[0], `invalid data source "dynamic"`) {
		t.Errorf("warnings %q, want the one 10.12 logs for the dynamic select", ws)
	}
}
