package observe_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/observe"
)

// logBuffer is a concurrency-safe buffer a JSON slog handler writes to.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON lines logged so far, decoded.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is no JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// accessLines returns the "http request" lines of request id.
func accessLines(t *testing.T, b *logBuffer, id string) []map[string]any {
	var out []map[string]any
	for _, l := range b.lines(t) {
		if l["msg"] == "http request" && l["request_id"] == id {
			out = append(out, l)
		}
	}
	return out
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(observe.WithRequestID(slog.NewJSONHandler(b, nil))), b
}

// TestRequestID checks the request ID's round trip: a sane incoming one is
// kept, an absent or insane one replaced by a new one; the handler sees the
// same ID in its context, and the one access line names it.
func TestRequestID(t *testing.T) {
	long := strings.Repeat("a", 129)
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"sane kept", "req-123_ABC.xyz:7", true},
		{"128 bytes kept", strings.Repeat("b", 128), true},
		{"absent generated", "", false},
		{"too long replaced", long, false},
		{"control character replaced", "abc\ndef", false},
		{"non-ASCII replaced", "réq", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, logs := newLogger()
			var seen string
			h := observe.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = bot.RequestID(r.Context())
				w.WriteHeader(http.StatusNoContent)
			}), log, nil)
			req := httptest.NewRequest("GET", "/x", nil)
			if tc.in != "" {
				req.Header["X-Request-Id"] = []string{tc.in}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if tc.kept && got != tc.in {
				t.Errorf("X-Request-Id %q, want the incoming %q kept", got, tc.in)
			}
			if !tc.kept && (got == tc.in || !bot.SaneRequestID(got)) {
				t.Errorf("X-Request-Id %q, want a new sane ID in place of %q", got, tc.in)
			}
			if seen != got {
				t.Errorf("handler saw request ID %q, response says %q", seen, got)
			}
			if n := len(accessLines(t, logs, got)); n != 1 {
				t.Errorf("%d access lines for %q, want 1", n, got)
			}
		})
	}
}

// TestAccessLine checks that a request gets exactly one line, with what the
// access logger knows and what the handler annotated, even through nested
// access loggers; that other lines logged within the request carry its ID;
// that a panic is a 500 with its line at error level; and that a request no
// handler names gets the fixed route label.
func TestAccessLine(t *testing.T) {
	log, logs := newLogger()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl := bot.RequestLogFrom(r.Context())
		switch r.URL.Path {
		case "/named":
			rl.SetRoute("/named")
			rl.Add(slog.String("operation", "doIt"), slog.String("user_id", "u1"))
			log.WarnContext(r.Context(), "something beside")
			w.WriteHeader(http.StatusCreated)
		case "/panic":
			panic("boom")
		default:
			http.NotFound(w, r)
		}
	})
	// Nested: the inner logger sees the outer's record and logs nothing.
	h := observe.Handler(observe.Handler(inner, log, nil), log, nil)
	for _, tc := range []struct {
		path   string
		status int
		want   map[string]any
	}{
		{"/named", 201, map[string]any{"route": "/named", "operation": "doIt", "user_id": "u1", "level": "INFO", "method": "POST"}},
		{"/panic", 500, map[string]any{"route": observe.Unmatched, "level": "ERROR", "error": "boom"}},
		{"/nowhere/42", 404, map[string]any{"route": observe.Unmatched, "path": "/nowhere/42", "level": "INFO"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			req := httptest.NewRequest("POST", tc.path, nil)
			req.RemoteAddr = "192.0.2.7:4242"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			id := rec.Header().Get("X-Request-Id")
			lines := accessLines(t, logs, id)
			if len(lines) != 1 {
				t.Fatalf("%d access lines for request %s, want 1: %v", len(lines), id, logs.lines(t))
			}
			l := lines[0]
			for k, v := range tc.want {
				if l[k] != v {
					t.Errorf("%s = %v, want %v (line %v)", k, l[k], v, l)
				}
			}
			if l["status"] != float64(tc.status) || l["client"] != "192.0.2.7" || l["path"] != tc.path {
				t.Errorf("line %v, want status %d, client 192.0.2.7, path %s", l, tc.status, tc.path)
			}
			if _, ok := l["duration_ms"].(float64); !ok {
				t.Errorf("line %v has no duration_ms", l)
			}
		})
	}
	var beside int
	for _, l := range logs.lines(t) {
		if l["msg"] == "something beside" {
			beside++
			if id, _ := l["request_id"].(string); id == "" {
				t.Errorf("a line logged within a request has no request_id: %v", l)
			}
		}
	}
	if beside != 1 {
		t.Errorf("%d lines logged beside the access line, want 1", beside)
	}
}
