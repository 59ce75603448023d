package api_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/browsertest"
)

// chromium runs headless chromium with a phone-sized window on url, with
// extra flags, and returns its standard output.
func chromium(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(browsertest.Flags(t.TempDir(), "390,1200"), extra...)
	args = append(args, url)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestDetailsPageInChromium renders the details page of a run with two
// checklists, status updates and a timeline in headless Chromium at a
// phone's width, checks the DOM, and keeps a screenshot in artifacts/.
func TestDetailsPageInChromium(t *testing.T) {
	bin := browsertest.Chromium(t, "the details page")
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		r := e.detailedRun(t, "Checkout is down")
		link := e.svc.DetailsURL(r)

		dom := string(chromium(t, bin, link, "--dump-dom"))
		for _, want := range []string{
			"Checkout is down", "Triage", "Resolve", "2/3 done", "Gather logs",
			"Fix deployed, monitoring.", "Run started",
		} {
			if !strings.Contains(dom, want) {
				t.Errorf("rendered DOM lacks %q:\n%s", want, dom)
			}
		}

		shot := filepath.Join(t.TempDir(), "details.png")
		chromium(t, bin, link, "--screenshot="+shot)
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("screenshot %s is not a PNG (%d bytes)", shot, len(b))
		}
		t.Logf("screenshot of the details page: %s", browsertest.SaveArtifact(t, "details-"+e.kind+".png", b))
	})
}
