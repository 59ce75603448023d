package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"time"
)

// docsFS is the interactive API docs page: Swagger UI's self-contained
// bundle and CSS (swagger-ui-dist, at the version and sha256 sums in
// docs/VERSION, vendored by scripts/update-api-docs), and our page and
// its start script, which load the API's document from
// BasePath/openapi.json. Nothing is fetched from anywhere else: no CDN, no
// fonts, no validator.
//
//go:embed docs/index.html docs/init.js docs/swagger-ui-bundle.js docs/swagger-ui.css docs/LICENSE docs/NOTICE docs/swagger-ui-bundle.js.LICENSE.txt docs/VERSION
var docsFS embed.FS

// DocsPath is where the interactive API docs page is served.
const DocsPath = "/api-docs"

// DocsCSP is the Content-Security-Policy of the docs page and its files:
// only this origin, plus the one thing Swagger UI strictly needs, data:
// images (its CSS's icons). Its scripts are files (no inline script, no
// eval) and React sets its styles through the CSSOM, which CSP does not
// govern; cmd/playbooks' TestAPIDocsInChromium records every violation.
const DocsCSP = "default-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// docsFile is one embedded file with its type and an ETag.
type docsFile struct {
	data        []byte
	contentType string
	etag        string
}

// docsFiles maps the served names under DocsPath ("" for the page) to
// the embedded files; any other name is a 404.
var docsFiles = func() map[string]docsFile {
	types := map[string]string{
		".html": "text/html; charset=utf-8",
		".js":   "text/javascript; charset=utf-8",
		".css":  "text/css; charset=utf-8",
		".txt":  "text/plain; charset=utf-8",
		"":      "text/plain; charset=utf-8",
	}
	files := map[string]docsFile{}
	entries, err := docsFS.ReadDir("docs")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		data, err := docsFS.ReadFile("docs/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		f := docsFile{data: data, contentType: types[path.Ext(e.Name())], etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		files["/"+e.Name()] = f
		if e.Name() == "index.html" {
			files[""] = f
		}
	}
	return files
}()

// apiDocs answers GET and HEAD of DocsPath (the page) and of the files
// under it; no authentication: the page is the API's public description,
// and "try it out" sends whatever token the reader types.
func (s *server) apiDocs(w http.ResponseWriter, r *http.Request) {
	rl := requestLogFrom(r.Context())
	rl.op = "apiDocs"
	name := strings.TrimPrefix(r.URL.Path, DocsPath)
	f, ok := docsFiles[name]
	if !ok || name == "/index.html" {
		s.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", DocsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache") // revalidated: an update shows at once
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}
