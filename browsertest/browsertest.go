// Package browsertest is what the headless-browser tests share: finding
// Chromium (skipped without it, failed under CI), the flags it runs with
// on this machine's closed network, and the artifacts folder where the
// tests keep their screenshots. It is for tests only.
package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Chromium returns the path of headless Chromium to test what with (a
// phrase for the skip message). Without one the test is skipped, but under
// CI it fails: scripts/test installs Debian's chromium package.
func Chromium(t testing.TB, what string) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found (tried /usr/bin/chromium, chromium, chromium-browser): under CI scripts/test must install Debian's chromium package")
	}
	t.Skipf("chromium not found: skipping the headless browser test of %s (scripts/test installs it as root)", what)
	return ""
}

// Flags are the flags Chromium runs headless with here, with a fresh
// profile in userDataDir and a window of width by height (e.g. "390,1200"):
// without the background-networking ones it keeps trying the closed
// network.
func Flags(userDataDir, windowSize string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + userDataDir, "--window-size=" + windowSize,
	}
}

// SaveArtifact writes data to artifacts/name at the root of the repository
// (the folder of go.mod above the test's folder; artifacts/ is ignored by
// git) and returns its path.
func SaveArtifact(t testing.TB, name string, data []byte) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
	path := filepath.Join(dir, "artifacts", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
