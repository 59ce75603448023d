package api_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestAPIDocsFiles checks what GET /api-docs serves, short of a browser
// (cmd/playbooks' TestAPIDocsInChromium drives the page): the page and
// each vendored file with its type, the CSP and an ETag that revalidates;
// HEAD; a JSON 404 for any other name, the source folder not being listed;
// and the vendored files match the sha256 sums of docs/VERSION, which
// scripts/update-api-docs writes.
func TestAPIDocsFiles(t *testing.T) {
	e := newLinkEnv(t, "sqlite")
	get := func(method, path string, header http.Header) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, e.root+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	for path, want := range map[string]struct{ file, contentType string }{
		api.DocsPath:                           {"index.html", "text/html; charset=utf-8"},
		api.DocsPath + "/init.js":              {"init.js", "text/javascript; charset=utf-8"},
		api.DocsPath + "/swagger-ui-bundle.js": {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
		api.DocsPath + "/swagger-ui.css":       {"swagger-ui.css", "text/css; charset=utf-8"},
		api.DocsPath + "/LICENSE":              {"LICENSE", "text/plain; charset=utf-8"},
		api.DocsPath + "/VERSION":              {"VERSION", "text/plain; charset=utf-8"},
	} {
		resp, body := get("GET", path, nil)
		disk, err := os.ReadFile("docs/" + want.file)
		if err != nil {
			t.Fatal(err)
		}
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != want.contentType || !bytes.Equal(body, disk) {
			t.Errorf("GET %s: %d %q, %d bytes; want 200 %q and docs/%s (%d bytes)",
				path, resp.StatusCode, h.Get("Content-Type"), len(body), want.contentType, want.file, len(disk))
		}
		if h.Get("Content-Security-Policy") != api.DocsCSP || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: headers %v", path, h)
		}
		again, body := get("GET", path, http.Header{"If-None-Match": {h.Get("ETag")}})
		if h.Get("ETag") == "" || again.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("GET %s with If-None-Match %q: %d, %d bytes; want 304", path, h.Get("ETag"), again.StatusCode, len(body))
		}
		head, body := get("HEAD", path, nil)
		if head.StatusCode != 200 || len(body) != 0 || head.Header.Get("Content-Length") != h.Get("Content-Length") {
			t.Errorf("HEAD %s: %d, %d bytes, length %q", path, head.StatusCode, len(body), head.Header.Get("Content-Length"))
		}
	}
	if !strings.HasPrefix(api.DocsCSP, "default-src 'self';") || strings.Contains(api.DocsCSP, "script-src") {
		t.Errorf("CSP %q: want default-src 'self' and no script source beyond it", api.DocsCSP)
	}

	for _, path := range []string{api.DocsPath + "/", api.DocsPath + "/index.html", api.DocsPath + "/docs.go",
		api.DocsPath + "/oauth2-redirect.html", api.DocsPath + "/swagger-ui-bundle.js.map"} {
		resp, body := get("GET", path, nil)
		if resp.StatusCode != 404 || !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("GET %s: %d %s; want the JSON 404", path, resp.StatusCode, body)
		}
	}
	if resp, _ := get("POST", api.DocsPath, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d, want 405", api.DocsPath, resp.StatusCode)
	}

	// docs/VERSION: the pinned version and the sum of every vendored file.
	f, err := os.Open("docs/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := 0
	version := ""
	for sc := bufio.NewScanner(f); sc.Scan(); {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 2 && fields[0] == "version":
			version = fields[1]
		case len(fields) == 3 && fields[0] == "sha256" && !strings.HasSuffix(fields[2], ".tgz"):
			data, err := os.ReadFile("docs/" + fields[2])
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != fields[1] {
				t.Errorf("docs/%s has sha256 %s, docs/VERSION says %s: run scripts/update-api-docs %s", fields[2], got, fields[1], version)
			}
			sums++
		}
	}
	if version == "" || sums < 3 {
		t.Errorf("docs/VERSION names version %q and %d files; want the version and the bundle, its CSS and licence", version, sums)
	}
}

// BenchmarkAPIDocs measures serving the docs page's largest file, the
// Swagger UI bundle, in full and revalidated (304), through the whole
// handler (router, request log, headers).
func BenchmarkAPIDocs(b *testing.B) {
	h := api.New(api.Config{Service: bot.NewService(bot.Config{Store: storetest.Open(b, "sqlite"), Chat: fakeChat{}}),
		Logger: slog.New(slog.DiscardHandler)})
	path := api.DocsPath + "/swagger-ui-bundle.js"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	etag := rec.Header().Get("ETag")
	for _, bc := range []struct {
		name string
		hdr  http.Header
		code int
	}{{"full", nil, 200}, {"304", http.Header{"If-None-Match": {etag}}, 304}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				for k, v := range bc.hdr {
					req.Header[k] = v
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != bc.code {
					b.Fatalf("GET %s: %d, want %d", path, rec.Code, bc.code)
				}
			}
		})
	}
}
