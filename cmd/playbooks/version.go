package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/playbooks-bot/playbooks"
)

// version is the release this binary was built as, set at build time with
// -ldflags "-X main.version=v1.2.3" (scripts/release, the Dockerfile); ""
// for a plain go build or go run.
var version string

// buildVersion returns the binary's version and the VCS revision it was
// built from; see chooseVersion.
func buildVersion() (v, revision string) {
	info, _ := debug.ReadBuildInfo()
	return chooseVersion(version, info, playbooks.Release())
}

// chooseVersion returns the version of a binary built with -X main.version
// ldflag, build information info (nil when none) and CHANGELOG.md's newest
// release, and its revision:
//
//   - the -X main.version of a release build;
//   - else the main module's version when it names a release: a tagged
//     version or one after a tag (go install module@version, or go build
//     in a git checkout with tags);
//   - else the changelog's newest release with "+dev", "v0.5.0+dev": built
//     from source after it, and not as a release. This is the case of
//     go run and go test, which record neither a module version nor VCS
//     information (Go stamps those in go build and go install only), and
//     of go build in a checkout without tags (Go's v0.0.0-... pseudo-version
//     says no more than "no tag");
//   - "devel" when the changelog names no release.
//
// The revision is vcs.revision, with "-dirty" when the tree had changes;
// "" when the build recorded none (go run, go test, -buildvcs=false).
func chooseVersion(ldflag string, info *debug.BuildInfo, release string) (v, revision string) {
	v = ldflag
	if info != nil {
		if mv := info.Main.Version; v == "" && mv != "" && mv != "(devel)" && !strings.HasPrefix(mv, "v0.0.0-") {
			v = mv
		}
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if revision != "" && dirty {
			revision += "-dirty"
		}
	}
	if v == "" && release != "" {
		v = "v" + release + "+dev"
	}
	if v == "" {
		v = "devel"
	}
	return v, revision
}

// versionLine is what `playbooks version` prints.
func versionLine() string {
	v, revision := buildVersion()
	if revision == "" {
		revision = "unknown"
	}
	return fmt.Sprintf("playbooks %s (revision %s, %s)", v, revision, runtime.Version())
}
