package main

import "runtime/debug"

// version is the release this binary was built as, set with
// -ldflags "-X main.version=v1.2.3"; "" for a build from source.
var version string

// buildVersion returns the binary's version (version, else the module's
// from the build info, else "(devel)") and its VCS revision ("" when the
// build recorded none).
func buildVersion() (string, string) {
	v, rev := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v, rev
}
