package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is the release this binary was built as, set at build time with
// -ldflags "-X main.version=v1.2.3"; "" for a plain go build.
var version string

// buildVersion returns the binary's version and the VCS revision it was
// built from: version is -X main.version, else the main module's version
// (go install module@version), else "devel"; revision is vcs.revision with
// "-dirty" when the tree had changes, "" when the build recorded none
// (go build -buildvcs=false, go test).
func buildVersion() (v, revision string) {
	v = version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if v == "" {
			v = "devel"
		}
		return v, ""
	}
	if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if v == "" {
		v = "devel"
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
