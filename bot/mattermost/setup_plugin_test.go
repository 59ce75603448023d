package mattermost_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// companionManifest is the companion plugin's manifest, as its bundle has it.
func companionManifest(t *testing.T) model.Manifest {
	t.Helper()
	var m model.Manifest
	if err := json.Unmarshal(mmplugin.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSetupRefusesEnabledPlugin: a plain setup (a custom /playbook
// command) while a plugin of ID playbooks runs would register a command
// the plugin's own /playbook silently takes the place of. Setup refuses,
// says what to do, and changes nothing: no bot, token or command. With
// the plugin installed but disabled, or plugins off, or in plugin mode,
// setup goes on.
func TestSetupRefusesEnabledPlugin(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		manifest func(*testing.T) model.Manifest
		want     []string // what the refusal says
	}{
		{"the companion plugin", companionManifest, []string{"setup --plugin", "disable"}},
		{"the Mattermost Playbooks plugin", func(*testing.T) model.Manifest {
			return model.Manifest{Id: "playbooks", Name: "Playbooks", Version: "2.1.0"}
		}, []string{"Playbooks", "disable"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mm := mmtest.New(t)
			team := mm.AddTeam("acme")
			admin := mm.AddAdmin("root", team.Id)
			cfg := mattermost.SetupConfig{SiteURL: mm.URL, AdminToken: mm.AddToken(admin.Id), Team: "acme", PublicURL: "https://bot.example"}
			mm.InstallPlugin(c.manifest(t))
			mm.EnablePlugin("playbooks")

			_, err := mattermost.Setup(ctx, cfg)
			if err == nil {
				t.Fatal("setup with the plugin enabled succeeded")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("setup said %q, want it to say %q", err, s)
				}
			}
			if cmds := mm.Commands(team.Id); len(cmds) != 0 {
				t.Errorf("setup refused, but registered %+v", cmds)
			}
			if n := mm.CountRequests("POST", "/api/v4/"); n != 0 {
				t.Errorf("setup refused, but made %d POST requests (bot, token, ...)", n)
			}

			// In plugin mode, the companion is what is wanted.
			if c.name == "the companion plugin" {
				pcfg := cfg
				pcfg.Plugin = true
				if _, err := mattermost.Setup(ctx, pcfg); err != nil {
					t.Errorf("setup --plugin with the companion enabled: %v", err)
				}
			}

			mm.DisablePlugin("playbooks")
			if _, err := mattermost.Setup(ctx, cfg); err != nil {
				t.Errorf("setup with the plugin disabled: %v", err)
			}
			if cmds := mm.Commands(team.Id); len(cmds) != 1 || cmds[0].Trigger != "playbook" {
				t.Errorf("setup with the plugin disabled registered %+v, want /playbook", cmds)
			}
		})
	}
	t.Run("plugins off", func(t *testing.T) {
		mm := mmtest.New(t)
		team := mm.AddTeam("acme")
		admin := mm.AddAdmin("root", team.Id)
		mm.InstallPlugin(companionManifest(t))
		mm.EnablePlugin("playbooks")
		mm.SetPluginsEnabled(false) // no plugin runs
		res, err := mattermost.Setup(ctx, mattermost.SetupConfig{SiteURL: mm.URL, AdminToken: mm.AddToken(admin.Id), Team: "acme", PublicURL: "https://bot.example"})
		if err != nil || len(res.Warnings) != 0 {
			t.Errorf("setup with plugins off: %v, warnings %q; want it done, no warning", err, res.Warnings)
		}
	})
}
