package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the OpenAPI document, compiled in
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// openapiYAML is the OpenAPI document of this server: the v0 contract
// unchanged plus every extension of ours, each marked
// x-playbooks-extension. It is the one source the contract test validates
// against and the document GET {BasePath}/openapi.yaml serves.
//
//go:embed openapi.yaml
var openapiYAML []byte

// Paths of the served OpenAPI document. They need no authentication: a
// client reads them to learn how to authenticate.
const (
	OpenAPIYAMLPath = BasePath + "/openapi.yaml"
	OpenAPIJSONPath = BasePath + "/openapi.json"
)

// OpenAPIYAML returns a copy of the embedded OpenAPI document, for tests
// and tools that want the document without a server.
func OpenAPIYAML() []byte { return bytes.Clone(openapiYAML) }

// document is one served form of the OpenAPI document.
type document struct {
	body        []byte
	contentType string
	etag        string
}

// newDocument returns body served as contentType, with a strong ETag of
// its SHA-256.
func newDocument(body []byte, contentType string) document {
	sum := sha256.Sum256(body)
	return document{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// servedDocuments is the YAML document and its JSON form, converted once
// per process, by the first server made, rather than on every request or
// by every server: a test process makes hundreds of servers, and the
// conversion costs 19 ms (165 ms under the race detector). Servers only
// read the documents.
var servedDocuments = sync.OnceValues(func() (servedForms, error) {
	y, j, err := openapiDocuments()
	return servedForms{yaml: y, json: j}, err
})

// servedForms are the two forms of the OpenAPI document a server serves.
type servedForms struct{ yaml, json document }

// openapiDocuments returns the YAML document and its JSON form, converted.
func openapiDocuments() (yamlDoc, jsonDoc document, err error) {
	j, err := yamlToJSON(openapiYAML)
	if err != nil {
		return document{}, document{}, fmt.Errorf("convert openapi.yaml to JSON: %w", err)
	}
	return newDocument(openapiYAML, "application/yaml"), newDocument(j, "application/json"), nil
}

// yamlToJSON converts a YAML document to indented JSON. Mapping keys are
// strings in JSON; a YAML key of another kind (the document's response
// codes, such as 200) is written as its text.
func yamlToJSON(in []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(in, &n); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	v, err := jsonValue(&n)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(v, "", "  ")
}

// jsonValue turns a YAML node into a value encoding/json writes in the
// node's order: mappings become ordered objects so that the JSON reads like
// the YAML.
func jsonValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: want one document, got %d", n.Line, len(n.Content))
		}
		return jsonValue(n.Content[0])
	case yaml.AliasNode:
		return jsonValue(n.Alias)
	case yaml.MappingNode:
		obj := orderedObject{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			val, err := jsonValue(v)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{key: k.Value, value: val})
		}
		return obj, nil
	case yaml.SequenceNode:
		arr := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := jsonValue(c)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
		}
		return arr, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		switch x := v.(type) {
		case time.Time: // a bare date: JSON has none, keep the text
			return n.Value, nil
		case nil, bool, string, int, int64, uint64, float64:
			return x, nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// member is one key and value of an orderedObject.
type member struct {
	key   string
	value any
}

// orderedObject is a JSON object that keeps its keys in order.
type orderedObject []member

// MarshalJSON writes the members in order.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", m.key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// serveDocument serves d to anyone, with no authentication: GET and HEAD,
// an ETag clients revalidate with (If-None-Match gets 304), and
// Cache-Control no-cache so that a new release's document is seen at once.
func serveDocument(d document) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", d.contentType)
		h.Set("ETag", d.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(d.body))
	}
}
