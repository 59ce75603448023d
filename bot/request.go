package bot

import (
	"context"
	"log/slog"
	"sync"
)

// RequestLog is the record of one HTTP request that the outermost access
// logger writes as the request's single log line. The handlers within
// (the REST API, the chat adapters) annotate it rather than logging their
// own line: the route they matched, what the request did, the chat
// platform and command. It lives in the core, standard library only, so
// that every HTTP-facing package can reach it through the context without
// depending on the logger or the metrics. Its methods are safe for
// concurrent use and do nothing on a nil *RequestLog.
type RequestLog struct {
	// ID is the request's ID, as sent back in X-Request-Id.
	ID string

	mu       sync.Mutex
	route    string
	platform string
	command  string
	attrs    []slog.Attr
}

type requestLogKey struct{}

// WithRequestLog returns ctx carrying rl.
func WithRequestLog(ctx context.Context, rl *RequestLog) context.Context {
	return context.WithValue(ctx, requestLogKey{}, rl)
}

// RequestLogFrom returns the request's record, or nil when ctx carries
// none (a handler served without an outer access logger, which then logs
// its own line).
func RequestLogFrom(ctx context.Context) *RequestLog {
	rl, _ := ctx.Value(requestLogKey{}).(*RequestLog)
	return rl
}

// RequestID returns the ID of the request ctx belongs to, "" outside one.
func RequestID(ctx context.Context) string {
	if rl := RequestLogFrom(ctx); rl != nil {
		return rl.ID
	}
	return ""
}

// SetRoute names the route that served the request: a REST path template
// or a chat adapter's route, from a bounded set (it labels metrics).
func (rl *RequestLog) SetRoute(route string) {
	if rl == nil {
		return
	}
	rl.mu.Lock()
	rl.route = route
	rl.mu.Unlock()
}

// SetChat records the chat platform a request came from and its slash
// command's name (commands.LogName, "" for requests that are no command).
func (rl *RequestLog) SetChat(platform, command string) {
	if rl == nil {
		return
	}
	rl.mu.Lock()
	rl.platform, rl.command = platform, command
	rl.mu.Unlock()
}

// Add appends attributes to the request's log line.
func (rl *RequestLog) Add(attrs ...slog.Attr) {
	if rl == nil {
		return
	}
	rl.mu.Lock()
	rl.attrs = append(rl.attrs, attrs...)
	rl.mu.Unlock()
}

// Route returns the route set by SetRoute, "" when none was.
func (rl *RequestLog) Route() string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.route
}

// Chat returns what SetChat recorded; platform "" for no chat request.
func (rl *RequestLog) Chat() (platform, command string) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.platform, rl.command
}

// Attrs returns the attributes added so far.
func (rl *RequestLog) Attrs() []slog.Attr {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.attrs[:len(rl.attrs):len(rl.attrs)]
}

// MaxRequestIDLen is the longest incoming X-Request-Id that is kept.
const MaxRequestIDLen = 128

// SaneRequestID reports whether an incoming X-Request-Id may be kept as
// the request's ID: 1 to MaxRequestIDLen bytes of printable ASCII, so that
// it cannot forge log lines or bloat them.
func SaneRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
