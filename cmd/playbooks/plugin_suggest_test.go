package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// TestPluginItemSuggestionsFitCommand fetches, as Mattermost does, the
// dynamic item list of every subcommand that takes an item, in a run's
// channel: each suggestion's help says what that command does with the
// item (check or uncheck it, remove it, assign it), never another
// command's action.
func TestPluginItemSuggestionsFitCommand(t *testing.T) {
	e := newPluginEnv(t, testDatabaseURLs(t)["sqlite"])
	alice, team := e.site.alice, e.site.team
	w := e.serve(t, alice.Id, "POST", "/api/v0/playbooks", map[string]any{
		"title": "Outage", "team_id": team.Id, "create_public_playbook_run": false,
		"checklists": []any{map[string]any{"title": "Triage", "items": []any{map[string]any{"title": "Page DBA"}, map[string]any{"title": "Open a bridge"}}}},
	})
	var pb struct{ ID string }
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &pb) != nil {
		t.Fatalf("POST playbooks via the plugin: %d %s", w.Code, w.Body)
	}
	w = e.serve(t, alice.Id, "POST", "/api/v0/runs", map[string]any{"name": "DB down", "owner_user_id": alice.Id, "team_id": team.Id, "playbook_id": pb.ID})
	var r bot.Run
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &r) != nil {
		t.Fatalf("POST runs via the plugin: %d %s", w.Code, w.Body)
	}
	if w := e.serve(t, alice.Id, "PUT", "/api/v0/runs/"+r.ID+"/checklists/0/item/1/state", map[string]any{"new_state": bot.ItemClosed}); w.Code != 200 {
		t.Fatalf("close item 0 1: %d %s", w.Code, w.Body)
	}

	ad := e.cmd.AutocompleteData
	if err := ad.UpdateRelativeURLsForPluginCommands(&url.URL{Path: "/plugins/" + mmplugin.ID}); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]string{ // command → item → help
		"check":       {"0 0": "Check this item", "0 1": "Uncheck this item"},
		"checkremove": {"0 0": "Remove this item from Triage", "0 1": "Remove this item from Triage"},
		"assign":      {"0 0": "Assign this item to someone", "0 1": "Assign this item to someone"},
	}
	for _, sub := range ad.SubCommands {
		for _, a := range sub.Arguments {
			d, ok := a.Data.(*model.AutocompleteDynamicListArg)
			if !ok || !strings.Contains(a.HelpText, "item") || want[sub.Trigger] == nil {
				continue
			}
			path, _ := strings.CutPrefix(d.FetchURL, "/plugins/"+mmplugin.ID)
			w := e.serve(t, alice.Id, "GET", path+"?channel_id="+r.ChannelID+"&team_id="+team.Id, nil)
			var items []model.AutocompleteListItem
			if err := json.Unmarshal(w.Body.Bytes(), &items); err != nil || w.Code != 200 {
				t.Fatalf("%s: GET %s: %d %s", sub.Trigger, path, w.Code, w.Body)
			}
			got := map[string]string{}
			for _, it := range items {
				got[it.Item] = it.HelpText
			}
			for item, help := range want[sub.Trigger] {
				if got[item] != help {
					t.Errorf("/playbook %s: item %s says %q, want %q", sub.Trigger, item, got[item], help)
				}
			}
			delete(want, sub.Trigger)
		}
	}
	for cmd := range want {
		t.Errorf("/playbook %s: no dynamic item list fetched", cmd)
	}
}
