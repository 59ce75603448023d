// The page of GET /api-docs: Swagger UI (vendored by scripts/update-api-docs)
// on the API's own document. A file rather than an inline script, so that
// the page's Content-Security-Policy needs no 'unsafe-inline' for scripts.
// The document's server is "/" (its paths carry their full prefix), so
// "try it out" and the OAuth2 token request (/oauth/token) go to this
// server.
// snippetParts returns the method, URL, headers (a plain object) and body
// (a string, or "" for none) of the request Swagger UI is about to show:
// an Immutable Map whose body is a string, or a Map of form fields.
function snippetParts(req) {
  const headers = req.get("headers") ? req.get("headers").toJS() : {};
  let body = req.get("body");
  if (body && typeof body !== "string") {
    body = body.toJS ? body.toJS() : body;
    const type = String(headers["Content-Type"] || "");
    body = type.indexOf("x-www-form-urlencoded") >= 0
      ? new URLSearchParams(body).toString()
      : JSON.stringify(body);
  }
  return { method: req.get("method"), url: req.get("url"), headers, body: body || "" };
}

// goString and pyString quote s as a Go and a Python string literal (JSON's
// escapes are valid in both).
const goString = (s) => JSON.stringify(String(s));
const pyString = (s) => JSON.stringify(String(s));

// Code samples beside curl: Go with net/http, Python with urllib.request,
// both from their standard libraries, so that a sample runs as it is.
const codeSamples = () => ({
  fn: {
    requestSnippetGenerator_go: (req) => {
      const r = snippetParts(req);
      const lines = [
        "package main",
        "",
        "import (",
        '\t"fmt"',
        '\t"io"',
        '\t"log"',
        '\t"net/http"',
        '\t"strings"',
        ")",
        "",
        "func main() {",
        `\treq, err := http.NewRequest(${goString(r.method)}, ${goString(r.url)}, strings.NewReader(${goString(r.body)}))`,
        "\tif err != nil {",
        "\t\tlog.Fatal(err)",
        "\t}",
      ];
      for (const [k, v] of Object.entries(r.headers)) {
        lines.push(`\treq.Header.Set(${goString(k)}, ${goString(v)})`);
      }
      lines.push(
        "\tresp, err := http.DefaultClient.Do(req)",
        "\tif err != nil {",
        "\t\tlog.Fatal(err)",
        "\t}",
        "\tdefer resp.Body.Close()",
        "\tbody, err := io.ReadAll(resp.Body)",
        "\tif err != nil {",
        "\t\tlog.Fatal(err)",
        "\t}",
        "\tfmt.Println(resp.Status)",
        "\tfmt.Println(string(body))",
        "}",
      );
      return lines.join("\n");
    },
    requestSnippetGenerator_python: (req) => {
      const r = snippetParts(req);
      const headers = Object.entries(r.headers).map(([k, v]) => `    ${pyString(k)}: ${pyString(v)},`);
      return [
        "import urllib.error",
        "import urllib.request",
        "",
        "req = urllib.request.Request(",
        `    ${pyString(r.url)},`,
        `    method=${pyString(r.method)},`,
        "    headers={",
        ...headers,
        "    },",
        r.body ? `    data=${pyString(r.body)}.encode(),` : "    data=None,",
        ")",
        "try:",
        "    with urllib.request.urlopen(req) as resp:",
        "        print(resp.status, resp.read().decode())",
        "except urllib.error.HTTPError as e:",
        "    print(e.code, e.read().decode())",
      ].join("\n");
    },
  },
});

window.ui = SwaggerUIBundle({
  url: "/plugins/playbooks/api/v0/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // No call to the public validator (validator.swagger.io): nothing leaves
  // the server's origin.
  validatorUrl: null,
  // A token or client secret typed in Authorize is kept for this tab
  // only, never stored.
  persistAuthorization: false,
  displayOperationId: true,
  displayRequestDuration: true,
  filter: true,
  showExtensions: true,
  // Each request tried is also shown as curl, Go and Python (codeSamples).
  requestSnippetsEnabled: true,
  requestSnippets: {
    generators: {
      curl_bash: { title: "curl", syntax: "bash" },
      go: { title: "Go", syntax: "bash" },
      python: { title: "Python", syntax: "bash" },
    },
    defaultExpanded: true,
  },
  plugins: [codeSamples],
  // The OAuth2 client credentials flow needs no redirect page: Swagger UI
  // posts the client's id and secret to the tokenUrl itself.
});
