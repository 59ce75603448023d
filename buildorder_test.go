package playbooks

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestSQLiteBuiltEarly checks what buildorder.go is for: in the order cmd/go
// walks the imports of cmd/playbooks, which is the order of go list -deps (a
// depth-first walk of the sorted imports), SQLite's C library comes before
// the Mattermost model package and within the first third of the packages,
// so that a first build starts it early rather than last.
func TestSQLiteBuiltEarly(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the build order: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "./cmd/playbooks").Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/playbooks: %v", err)
	}
	pkgs := strings.Fields(string(out))
	libc := slices.Index(pkgs, "modernc.org/libc")
	model := slices.Index(pkgs, "github.com/mattermost/mattermost/server/public/model")
	if libc < 0 || model < 0 {
		t.Fatalf("go list -deps ./cmd/playbooks lists no modernc.org/libc (%d) or Mattermost model (%d) among %d packages", libc, model, len(pkgs))
	}
	if libc > model || libc > len(pkgs)/3 {
		t.Errorf("modernc.org/libc is package %d of %d in the build order, after the Mattermost model (%d): a first build would compile SQLite last, on one core; see buildorder.go", libc+1, len(pkgs), model+1)
	}
	t.Logf("modernc.org/libc is package %d of %d, the Mattermost model %d", libc+1, len(pkgs), model+1)
}
