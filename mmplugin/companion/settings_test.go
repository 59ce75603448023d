package companion_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/mmplugin"
	"github.com/playbooks-bot/playbooks/mmplugin/companion"
)

// TestSettingsAreConfiguration checks that plugin.json's settings are
// exactly the fields of Configuration, in order: Mattermost fills the
// struct (LoadPluginConfiguration) from the settings by their keys, so a
// key without a field is never read and a field without a key stays empty.
func TestSettingsAreConfiguration(t *testing.T) {
	var m model.Manifest
	if err := json.Unmarshal(mmplugin.Manifest, &m); err != nil || m.SettingsSchema == nil {
		t.Fatalf("plugin.json: %v, settings_schema %v", err, m.SettingsSchema)
	}
	var keys, fields []string
	for _, s := range m.SettingsSchema.Settings {
		keys = append(keys, s.Key)
	}
	for f := range reflect.TypeFor[companion.Configuration]().Fields() {
		fields = append(fields, f.Name)
	}
	if !slices.Equal(keys, fields) {
		t.Errorf("plugin.json settings %q, companion.Configuration fields %q: want the same", keys, fields)
	}
}
