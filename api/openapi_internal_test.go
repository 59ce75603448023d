package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkOpenAPIConvert measures what the server pays once at start:
// the embedded YAML converted to JSON.
func BenchmarkOpenAPIConvert(b *testing.B) {
	b.SetBytes(int64(len(openapiYAML)))
	for b.Loop() {
		if _, _, err := openapiDocuments(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeOpenAPIJSON measures one GET of the JSON document: a copy
// of bytes held since start.
func BenchmarkServeOpenAPIJSON(b *testing.B) {
	_, j, err := openapiDocuments()
	if err != nil {
		b.Fatal(err)
	}
	h := serveDocument(j)
	req := httptest.NewRequest(http.MethodGet, OpenAPIJSONPath, nil)
	b.SetBytes(int64(len(j.body)))
	for b.Loop() {
		w := httptest.NewRecorder()
		h(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("got status %d", w.Code)
		}
	}
}

// TestYAMLToJSONKeepsOrder: the JSON form keeps the YAML's key order and
// scalar types (a quoted "200" and a bare 200 key are both "200"; a quoted
// "true" stays a string).
func TestYAMLToJSONKeepsOrder(t *testing.T) {
	got, err := yamlToJSON([]byte("b: 1\na:\n  200: x\n  \"201\": y\nc: [\"true\", true, 1.5, null, \"\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "b": 1,
  "a": {
    "200": "x",
    "201": "y"
  },
  "c": [
    "true",
    true,
    1.5,
    null,
    ""
  ]
}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := yamlToJSON([]byte("a: [1\n")); err == nil {
		t.Errorf("got no error for malformed YAML, want one")
	}
}
