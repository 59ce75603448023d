package api_test

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/playbooks-bot/playbooks/api"
)

// sharedV0 is the v0 contract, in shared/ beside the repository: there in
// the project's workspace and CI, absent from a bare copy of the
// repository.
const sharedV0 = "../../shared/openapi/playbooks-v0.yaml"

// TestOpenAPIKeepsV0 keeps the v0 part of api/openapi.yaml identical to
// the shared v0 contract: every v0 path, operation and component is there
// and deep-equal once the extension additions are stripped (see stripped).
// Without shared/ beside the repository it skips, saying so: a copy of the
// repository alone must pass go test ./..., under CI or not.
func TestOpenAPIKeepsV0(t *testing.T) {
	b, err := os.ReadFile(sharedV0)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("skipped: %s is absent (a copy of the repository without shared/ beside it); the v0 part of api/openapi.yaml is not compared", sharedV0)
	}
	if err != nil {
		t.Fatal(err)
	}
	v0, ours := parseDoc(t, b), parseDoc(t, api.OpenAPIYAML())
	ext := extensionRefs(ours)
	if len(ext) == 0 {
		t.Fatalf("got no component marked x-playbooks-extension, want ours")
	}
	if diff := gocmp.Diff(v0["openapi"], ours["openapi"]); diff != "" {
		t.Errorf("openapi version mismatch (-v0 +ours):\n%s", diff)
	}
	if diff := gocmp.Diff(v0["info"], stripped(ours["info"], ext)); diff != "" {
		t.Errorf("info mismatch (-v0 +ours):\n%s", diff)
	}
	wantSameV0(t, "paths", v0, ours, ext)
	for section := range mapAt(v0, "components") {
		wantSameV0(t, "components/"+section, mapAt(v0, "components"), mapAt(ours, "components"), ext)
	}
	wantMarked(t, v0, ours)
}

// wantSameV0 compares each entry of v0's section at key with ours,
// stripped of the extension additions.
func wantSameV0(t *testing.T, name string, v0, ours map[string]any, ext map[string]bool) {
	t.Helper()
	key := name[strings.LastIndex(name, "/")+1:]
	theirs, mine := mapAt(v0, key), mapAt(ours, key)
	for k, want := range theirs {
		got, ok := mine[k]
		if !ok {
			t.Errorf("%s: v0's %s is missing from api/openapi.yaml", name, k)
			continue
		}
		if diff := gocmp.Diff(want, stripped(got, ext)); diff != "" {
			t.Errorf("%s: %s differs from v0 once the extensions are stripped (-v0 +ours):\n%s", name, k, diff)
		}
	}
}

// wantMarked fails t for a path or component of ours that v0 lacks and
// that is not marked x-playbooks-extension (each operation of a new path,
// tagged extensions).
func wantMarked(t *testing.T, v0, ours map[string]any) {
	t.Helper()
	v0Paths := mapAt(v0, "paths")
	for path, item := range mapAt(ours, "paths") {
		for method, op := range item.(map[string]any) {
			o, isOp := op.(map[string]any)
			if !isOp || strings.HasPrefix(method, "x-") || method == "parameters" {
				continue
			}
			if vp, ok := v0Paths[path].(map[string]any); ok && vp[method] != nil {
				continue
			}
			tags, _ := o["tags"].([]any)
			if o["x-playbooks-extension"] != true || !slices.Contains(tags, any("extensions")) {
				t.Errorf("%s %s is not in v0 but not marked x-playbooks-extension and tagged extensions", method, path)
			}
		}
	}
	for section, entries := range mapAt(ours, "components") {
		for name, v := range entries.(map[string]any) {
			if _, inV0 := mapAt(mapAt(v0, "components"), section)[name]; inV0 {
				continue
			}
			if m, _ := v.(map[string]any); m["x-playbooks-extension"] != true {
				t.Errorf("components/%s/%s is not in v0 but not marked x-playbooks-extension", section, name)
			}
		}
	}
}

// parseDoc parses a YAML document into maps with string keys (response
// codes included) and slices.
func parseDoc(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("parse: %v", err)
	}
	m, ok := stringKeys(v).(map[string]any)
	if !ok {
		t.Fatalf("got a document of %T, want a mapping", v)
	}
	return m
}

// mapAt returns m[key] as a mapping, empty when absent.
func mapAt(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// extensionRefs returns the $ref of every component marked
// x-playbooks-extension, and the names of the security schemes so marked
// (as "securityScheme:NAME").
func extensionRefs(doc map[string]any) map[string]bool {
	ext := map[string]bool{}
	for section, entries := range mapAt(doc, "components") {
		for name, v := range entries.(map[string]any) {
			if isExtension(v) {
				ext["#/components/"+section+"/"+name] = true
				if section == "securitySchemes" {
					ext["securityScheme:"+name] = true
				}
			}
		}
	}
	return ext
}

// isExtension reports whether v is an object marked x-playbooks-extension.
func isExtension(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["x-playbooks-extension"] == true
}

// dropped reports whether v is an extension addition: an object marked
// x-playbooks-extension, a $ref to a component so marked, or a security
// requirement naming only extension schemes.
func dropped(v any, ext map[string]bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if isExtension(m) {
		return true
	}
	if ref, ok := m["$ref"].(string); ok && len(m) == 1 {
		return ext[ref]
	}
	return false
}

// stripped returns v without this server's additions to v0: keys
// x-playbooks-*, what dropped reports, security requirements of extension
// schemes, and the mappings that held nothing else.
func stripped(v any, ext map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if strings.HasPrefix(k, "x-playbooks-") || dropped(val, ext) {
				continue
			}
			if k == "security" {
				val = strippedSecurity(val, ext)
			}
			s := stripped(val, ext)
			if size(s) == 0 && size(val) > 0 {
				continue // held extensions only, as the parameters added to a v0 operation
			}
			out[k] = s
		}
		return out
	case []any:
		out := []any{}
		for _, val := range x {
			if !dropped(val, ext) {
				out = append(out, stripped(val, ext))
			}
		}
		return out
	}
	return v
}

// size is the length of a mapping or list; -1 for anything else.
func size(v any) int {
	switch x := v.(type) {
	case map[string]any:
		return len(x)
	case []any:
		return len(x)
	}
	return -1
}

// strippedSecurity drops the security requirements that name only
// extension schemes (OAuth2 client credentials beside v0's BearerAuth).
func strippedSecurity(v any, ext map[string]bool) any {
	reqs, ok := v.([]any)
	if !ok {
		return v
	}
	out := []any{}
	for _, r := range reqs {
		m, _ := r.(map[string]any)
		onlyExt := len(m) > 0
		for name := range m {
			onlyExt = onlyExt && ext["securityScheme:"+name]
		}
		if !onlyExt {
			out = append(out, r)
		}
	}
	return out
}
