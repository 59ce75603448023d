package mmtest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestPlugins: GET /plugins lists running plugins as active and the others
// as inactive, for a system admin only, and answers 501 when plugins are
// off, as Mattermost 10 does; the model client decodes it.
func TestPlugins(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	ctx := context.Background()
	admin := model.NewAPIv4Client(mm.URL)
	admin.SetToken(mm.AddToken(mm.AddAdmin("root", team.Id).Id))
	user := model.NewAPIv4Client(mm.URL)
	user.SetToken(mm.AddToken(mm.AddUser("alice", team.Id).Id))

	got, _, err := admin.GetPlugins(ctx)
	if err != nil || len(got.Active) != 0 || len(got.Inactive) != 0 {
		t.Fatalf("a new server's plugins: %+v, %v; want none", got, err)
	}
	mm.InstallPlugin(model.Manifest{Id: "playbooks", Name: "Playbooks (bot companion)"})
	mm.InstallPlugin(model.Manifest{Id: "com.example.other", Name: "Other"})
	mm.EnablePlugin("playbooks")
	got, _, err = admin.GetPlugins(ctx)
	if err != nil || len(got.Active) != 1 || got.Active[0].Id != "playbooks" || len(got.Inactive) != 1 || got.Inactive[0].Id != "com.example.other" {
		t.Errorf("plugins: %+v, %v; want playbooks active, the other inactive", got, err)
	}
	mm.DisablePlugin("playbooks")
	if got, _, err = admin.GetPlugins(ctx); err != nil || len(got.Active) != 0 || len(got.Inactive) != 2 {
		t.Errorf("plugins after disabling playbooks: %+v, %v; want both inactive", got, err)
	}
	if _, resp, err := user.GetPlugins(ctx); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a user's GET /plugins: %v, want 403", err)
	}
	mm.SetPluginsEnabled(false)
	if _, resp, err := admin.GetPlugins(ctx); err == nil || resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("GET /plugins with plugins off: %v, want 501", err)
	}
}
