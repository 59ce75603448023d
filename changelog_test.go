package playbooks

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestNewestRelease(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", ""},
		{"only unreleased", "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- x\n", ""},
		{"newest first", "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-30\n\n## [0.1.0] - 2026-11-23\n", "0.2.0"},
		{"pre-release", "## [1.0.0-rc.1] - 2026-12-24\n\n## [0.9.0] - 2026-12-01\n", "1.0.0-rc.1"},
		{"heading without a date is no release", "## [0.3.0]\n\n## [0.2.0] - 2026-11-30\n", "0.2.0"},
		{"a version in the text is no heading", "Upgrading from a version before 0.4.0 ...\n\n## [0.3.0] - 2026-11-30\n", "0.3.0"},
		{"a sub-heading is no release", "### [0.4.0] - 2026-11-30\n\n## [0.3.0] - 2026-11-30\n", "0.3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := newestRelease(tc.text); got != tc.want {
				t.Errorf("newestRelease = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestChangelog keeps CHANGELOG.md in the form of Keep a Changelog 1.1.0,
// which Release and scripts/release read: "# Changelog", then
// "## [Unreleased]", then one "## [X.Y.Z] - YYYY-MM-DD" per release, newest
// first (versions and dates), each with at least one section, and sections
// only of the six kinds, each at most once per version.
func TestChangelog(t *testing.T) {
	b, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != changelog {
		t.Fatal("the embedded changelog is not CHANGELOG.md")
	}
	for _, p := range checkChangelog(string(b)) {
		t.Error("CHANGELOG.md: " + p)
	}
	if Release() == "" {
		t.Error("CHANGELOG.md names no release")
	}
}

// TestCheckChangelog shows that checkChangelog catches each kind of
// mistake.
func TestCheckChangelog(t *testing.T) {
	good := "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-30\n\n### Added\n\n- b\n\n## [0.1.0] - 2026-11-23\n\n### Added\n\n- a\n"
	if got := checkChangelog(good); len(got) != 0 {
		t.Fatalf("a good changelog: %q", got)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"no title", "# Changelog\n", "# Changes\n", "first line"},
		{"no unreleased", "## [Unreleased]\n\n", "", "first version heading"},
		{"older first", "## [0.2.0] - 2026-11-30", "## [0.0.9] - 2026-11-30", "0.0.9 is not newer than 0.1.0"},
		{"date goes back", "## [0.2.0] - 2026-11-30", "## [0.2.0] - 2026-11-01", "2026-11-01 of 0.2.0 is older than 2026-11-23 of 0.1.0"},
		{"bad heading", "## [0.2.0] - 2026-11-30", "## 0.2.0 (2026-11-30)", "not a version heading"},
		{"unknown section", "### Added\n\n- b", "### New\n\n- b", "unknown section"},
		{"section twice", "### Added\n\n- b\n", "### Added\n\n- b\n\n### Added\n\n- c\n", "twice"},
		{"empty version", "### Added\n\n- b\n", "", "no section"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(good, tc.from, tc.to, 1)
			got := checkChangelog(text)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("problems %q, want one with %q", got, tc.want)
			}
		})
	}
}

// changelogDate is the date of a release heading.
var changelogDate = regexp.MustCompile(`\] - (\d{4}-\d{2}-\d{2})$`)

// checkChangelog returns what breaks the form TestChangelog describes.
func checkChangelog(text string) []string {
	var problems []string
	lines := strings.Split(text, "\n")
	if lines[0] != "# Changelog" {
		problems = append(problems, fmt.Sprintf("first line %q, want # Changelog", lines[0]))
	}
	kinds := []string{"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
	var (
		version, date, prevVersion, prevDate string
		sections                             []string
	)
	end := func() {
		if version != "" && version != "Unreleased" && len(sections) == 0 {
			problems = append(problems, version+" has no section")
		}
	}
	for _, line := range lines {
		switch {
		case strings.HasPrefix(line, "## "):
			end()
			prevVersion, prevDate = version, date
			sections = nil
			if version == "" {
				if line != "## [Unreleased]" {
					problems = append(problems, fmt.Sprintf("first version heading %q, want ## [Unreleased]", line))
				}
				version = "Unreleased"
				continue
			}
			m := releaseHeading.FindStringSubmatch(line)
			if m == nil {
				problems = append(problems, fmt.Sprintf("%q is not a version heading (## [X.Y.Z] - YYYY-MM-DD)", line))
				version = line
				continue
			}
			version, date = m[1], changelogDate.FindStringSubmatch(line)[1]
			if prevVersion != "Unreleased" && !older(version, prevVersion) {
				problems = append(problems, fmt.Sprintf("%s is not newer than %s below it, or %s is listed above it", prevVersion, version, prevVersion))
			}
			if prevDate != "" && date > prevDate {
				problems = append(problems, fmt.Sprintf("%s of %s is older than %s of %s below it", prevDate, prevVersion, date, version))
			}
		case strings.HasPrefix(line, "### "):
			kind := strings.TrimPrefix(line, "### ")
			if !slices.Contains(kinds, kind) {
				problems = append(problems, fmt.Sprintf("%s: unknown section %q (want one of %s)", version, kind, strings.Join(kinds, ", ")))
			}
			if slices.Contains(sections, kind) {
				problems = append(problems, fmt.Sprintf("%s: section %s twice", version, kind))
			}
			sections = append(sections, kind)
		}
	}
	end()
	return problems
}

// older reports whether version a (X.Y.Z, a pre-release suffix ignored) is
// older than b.
func older(a, b string) bool {
	core := func(v string) []int {
		v, _, _ = strings.Cut(v, "-")
		var n []int
		for _, f := range strings.Split(v, ".") {
			i, _ := strconv.Atoi(f)
			n = append(n, i)
		}
		return n
	}
	return slices.Compare(core(a), core(b)) < 0
}
