package mmplugin_test

import (
	"archive/tar"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/mmplugin"
)

// executables are the plugin's server executables, by Mattermost platform,
// as scripts/plugin-bundle writes them into the bundle, and the ELF
// machine each must be built for.
var executables = map[string]struct {
	path    string
	machine elf.Machine
}{
	"linux-amd64": {"server/dist/plugin-linux-amd64", elf.EM_X86_64},
	"linux-arm64": {"server/dist/plugin-linux-arm64", elf.EM_AARCH64},
}

// manifest returns mmplugin.Manifest as Mattermost reads it.
func manifest(t *testing.T) *model.Manifest {
	t.Helper()
	var m model.Manifest
	if err := json.Unmarshal(mmplugin.Manifest, &m); err != nil {
		t.Fatalf("plugin.json: %v", err)
	}
	return &m
}

// TestManifest checks plugin.json as Mattermost checks it on upload, and
// that it names what the bundle has: the plugin ID the bot's code uses,
// the executables at the paths scripts/plugin-bundle writes, and the
// settings companion.Configuration reads (the key names are also checked
// against that struct in package companion's tests).
func TestManifest(t *testing.T) {
	m := manifest(t)
	if err := m.IsValid(); err != nil {
		t.Errorf("plugin.json is not a valid Mattermost manifest: %v", err)
	}
	if m.Id != mmplugin.ID {
		t.Errorf("plugin.json id %q, mmplugin.ID %q", m.Id, mmplugin.ID)
	}
	if m.Version == "" || m.Server == nil {
		t.Fatalf("plugin.json has no version or no server part: %+v", m)
	}
	want := map[string]string{}
	for platform, e := range executables {
		want[platform] = e.path
	}
	if !maps.Equal(m.Server.Executables, want) || m.Server.Executable != "" {
		t.Errorf("plugin.json executables %v (executable %q), want exactly %v", m.Server.Executables, m.Server.Executable, want)
	}
	script, err := os.ReadFile("../scripts/plugin-bundle")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`exe="server/dist/plugin-linux-$arch"`, `PLUGIN_BUNDLE_ARCHES:=amd64 arm64}`} {
		if !strings.Contains(string(script), s) {
			t.Errorf("scripts/plugin-bundle no longer has %s: keep it and this test's executables in step", s)
		}
	}
	if m.SettingsSchema == nil {
		t.Fatal("plugin.json has no settings_schema")
	}
	var keys []string
	for _, s := range m.SettingsSchema.Settings {
		keys = append(keys, s.Key)
		if s.Key == "Secret" && !s.Secret {
			t.Error(`the setting "Secret" is not marked secret: the System Console would show it`)
		}
	}
	if !slices.Equal(keys, []string{"BotURL", "Secret"}) {
		t.Errorf("plugin.json settings %q, want BotURL and Secret", keys)
	}
}

// TestBundle runs scripts/plugin-bundle into a temporary folder and checks
// the bundle as Mattermost's upload takes it: a gzip tar of playbooks/ with
// plugin.json (mmplugin.Manifest byte for byte) and each executable, a
// static ELF for its machine. Building for two architectures from a cold
// build cache took 3.5 minutes on a 2-core machine, so it builds linux/amd64
// only unless PLUGIN_BUNDLE_ARCHES says otherwise (e.g. "amd64 arm64").
func TestBundle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin: not with -short")
	}
	arches := os.Getenv("PLUGIN_BUNDLE_ARCHES")
	if arches == "" {
		arches = "amd64"
	}
	out := t.TempDir()
	cmd := exec.Command("../scripts/plugin-bundle")
	cmd.Env = append(os.Environ(), "PLUGIN_BUNDLE_OUT="+out, "PLUGIN_BUNDLE_ARCHES="+arches)
	start := time.Now()
	printed, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/plugin-bundle: %v\n%s", err, printed)
	}
	t.Logf("scripts/plugin-bundle (%s) took %s:\n%s", arches, time.Since(start).Round(time.Second), printed)
	bundle := filepath.Join(out, mmplugin.ID+"-"+manifest(t).Version+".tar.gz")
	if !strings.Contains(string(printed), bundle) {
		t.Errorf("scripts/plugin-bundle does not print the bundle's path %s", bundle)
	}

	f, err := os.Open(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("the bundle is not gzip: %v", err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the bundle is not a tar: %v", err)
		}
		if !strings.HasPrefix(h.Name, mmplugin.ID+"/") {
			t.Errorf("%s is outside the top-level folder %s/", h.Name, mmplugin.ID)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimPrefix(h.Name, mmplugin.ID+"/")] = b
			if strings.HasPrefix(h.Name, mmplugin.ID+"/server/dist/") && h.Mode&0o111 != 0o111 {
				t.Errorf("%s has mode %o: not executable", h.Name, h.Mode)
			}
		}
	}
	want := []string{"plugin.json"}
	for _, arch := range strings.Fields(arches) {
		want = append(want, executables["linux-"+arch].path)
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, want) {
		t.Fatalf("the bundle has %q, want exactly %q", got, want)
	}
	if string(files["plugin.json"]) != string(mmplugin.Manifest) {
		t.Error("the bundle's plugin.json is not mmplugin/plugin.json")
	}
	for _, arch := range strings.Fields(arches) {
		e := executables["linux-"+arch]
		x, err := elf.NewFile(strings.NewReader(string(files[e.path])))
		if err != nil {
			t.Errorf("%s is not ELF: %v", e.path, err)
			continue
		}
		if x.Machine != e.machine || x.Type != elf.ET_EXEC {
			t.Errorf("%s: machine %v, type %v; want %v, a static executable", e.path, x.Machine, x.Type, e.machine)
		}
		for _, p := range x.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s asks for a dynamic loader: not built with CGO_ENABLED=0", e.path)
			}
		}
		x.Close()
	}
}
