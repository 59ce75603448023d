// Package playbooks is the module's root: what describes the project as a
// whole rather than one of its parts. It embeds CHANGELOG.md, so that a
// binary built without a version (go run, go build, go test) can still say
// which release its source follows.
package playbooks

import (
	_ "embed"
	"regexp"
)

// changelog is CHANGELOG.md as the binary was built with it.
//
//go:embed CHANGELOG.md
var changelog string

// releaseHeading matches the heading of a released version in the form of
// Keep a Changelog, "## [1.2.3] - 2026-11-23", and captures the version.
var releaseHeading = regexp.MustCompile(`(?m)^## \[(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\] - \d{4}-\d{2}-\d{2}$`)

// Release returns the newest version CHANGELOG.md names as released, such
// as "0.5.0" (no "v"), or "" when it names none. Versions are listed newest
// first, so it is the first release heading; [Unreleased] is none.
func Release() string {
	return newestRelease(changelog)
}

// newestRelease returns the version of the first release heading of text,
// "" when there is none.
func newestRelease(text string) string {
	m := releaseHeading.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}
