package playbooks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseArguments runs scripts/release with the command lines and
// changelogs it must refuse before it builds anything, in a folder of its
// own (no git checkout, so a version it accepted would stop at the git
// check, still before building). It costs a few bash and sed processes.
func TestReleaseArguments(t *testing.T) {
	script, err := os.ReadFile("scripts/release")
	if err != nil {
		t.Fatal(err)
	}
	const released = "# Changelog\n\n## [Unreleased]\n\n## [0.5.0] - 2026-12-01\n\n### Added\n\n- a\n\n## [0.4.0] - 2026-11-30\n\n### Added\n\n- b\n"
	const pending = "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- c\n\n## [0.5.0] - 2026-12-01\n\n### Added\n\n- a\n"
	for _, tc := range []struct {
		name      string
		changelog string
		args      []string
		code      int
		want      string
	}{
		{"help", released, []string{"--help"}, 0, "Usage: scripts/release [VERSION]"},
		{"no v", released, []string{"0.5.0"}, 2, "0.5.0 is not a version"},
		{"not semver", released, []string{"v0.5"}, 2, "v0.5 is not a version"},
		{"leading zero", released, []string{"v0.05.0"}, 2, "is not a version"},
		{"two versions", released, []string{"v0.5.0", "v0.6.0"}, 2, "one VERSION at most"},
		{"unknown flag", released, []string{"--snapshot"}, 2, "unknown flag --snapshot"},
		{"not in the changelog", released, []string{"v0.6.0"}, 1, "newest version is 0.5.0, not 0.6.0"},
		{"not the newest", released, []string{"v0.4.0"}, 1, "newest version is 0.5.0, not 0.4.0"},
		{"unreleased left", pending, []string{"v0.5.0"}, 1, "1 section(s) under [Unreleased]"},
		{"release, past the changelog", released, []string{"v0.5.0"}, 1, "not a git checkout"},
		{"pre-release needs no entry", pending, []string{"v0.6.0-rc.1"}, 1, "not a git checkout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "scripts"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "scripts", "release"), script, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "CHANGELOG.md"), []byte(tc.changelog), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(filepath.Join(dir, "scripts", "release"), tc.args...)
			cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
			out, err := cmd.CombinedOutput()
			code := 0
			if e, ok := err.(*exec.ExitError); ok {
				code = e.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.want) {
				t.Errorf("scripts/release %s: exit %d, output:\n%s\nwant exit %d and %q", strings.Join(tc.args, " "), code, out, tc.code, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
				t.Error("it made dist/ before refusing")
			}
		})
	}
}
