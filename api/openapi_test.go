package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestOpenAPIDocumentValid loads the embedded document with kin-openapi and
// validates it as OpenAPI 3. Examples are not validated: several of v0's
// break their own schemas (default_owner_enabled typed string with example
// true, the array statuses with example "InProgress"), and v0 stays as it is.
func TestOpenAPIDocumentValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatalf("load the embedded openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		t.Fatalf("validate the embedded openapi.yaml: %v", err)
	}
}

// TestServeOpenAPI fetches both forms of the document with no credentials:
// the YAML is the embedded file byte for byte, the JSON the same document,
// and each revalidates with its ETag.
func TestServeOpenAPI(t *testing.T) {
	e := newEnv(t, storetest.SQLite, nil)
	var fromYAML any
	if err := yaml.Unmarshal(api.OpenAPIYAML(), &fromYAML); err != nil {
		t.Fatalf("parse the embedded document: %v", err)
	}
	for _, tt := range []struct {
		name, path, contentType string
	}{
		{name: "yaml", path: "/openapi.yaml", contentType: "application/yaml"},
		{name: "json", path: "/openapi.json", contentType: "application/json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.callAs(t, "", "GET", tt.path, nil).want(t, http.StatusOK)
			if got := r.header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("got Content-Type %q, want %q", got, tt.contentType)
			}
			if got := r.header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("got Cache-Control %q, want no-cache", got)
			}
			var got any
			if tt.name == "yaml" {
				if !bytes.Equal(r.body, api.OpenAPIYAML()) {
					t.Errorf("served YAML differs from the embedded openapi.yaml")
				}
				if err := yaml.Unmarshal(r.body, &got); err != nil {
					t.Fatalf("parse served YAML: %v", err)
				}
			} else if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("parse served JSON: %v", err)
			}
			// YAML's integer keys (response codes) are strings in JSON, as
			// kin-openapi reads both: compare through a JSON round trip.
			if diff := cmp.Diff(jsonRoundTrip(t, fromYAML), jsonRoundTrip(t, got)); diff != "" {
				t.Errorf("served %s document mismatch (-want +got):\n%s", tt.name, diff)
			}
			if _, err := openapi3.NewLoader().LoadFromData(r.body); err != nil {
				t.Errorf("kin-openapi cannot load the served %s: %v", tt.name, err)
			}

			etag := r.header.Get("ETag")
			if etag == "" {
				t.Fatalf("got no ETag")
			}
			r = e.send(t, "GET", tt.path, http.Header{"If-None-Match": {etag}}, nil)
			if r.status != http.StatusNotModified || len(r.body) != 0 {
				t.Errorf("If-None-Match %s: got status %d with %d bytes, want 304 and none", etag, r.status, len(r.body))
			}
			r = e.send(t, "HEAD", tt.path, nil, nil)
			if r.status != http.StatusOK || r.header.Get("ETag") != etag {
				t.Errorf("HEAD: got status %d ETag %q, want 200 and %q", r.status, r.header.Get("ETag"), etag)
			}
			e.send(t, "POST", tt.path, nil, nil).wantError(t, http.StatusMethodNotAllowed)
		})
	}
}

// jsonRoundTrip returns v as encoding/json reads it back, with mapping keys
// of any kind turned into strings.
func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(stringKeys(v))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

// stringKeys turns the map[any]any yaml may produce for non-string keys
// into map[string]any.
func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = stringKeys(v)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[fmtKey(k)] = stringKeys(v)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = stringKeys(v)
		}
		return out
	}
	return v
}

func fmtKey(k any) string {
	b, _ := json.Marshal(k)
	if s, ok := k.(string); ok {
		return s
	}
	return string(bytes.Trim(b, `"`))
}
