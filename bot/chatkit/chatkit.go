// Package chatkit is what the chat adapters (bot/mattermost, bot/slack)
// share and neither owns: the panic guard and JSON answers of their HTTP
// handlers, the message a user is shown for an error, and the helpers of
// channel names and displayed text. It knows no platform.
package chatkit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/playbooks-bot/playbooks/bot"
)

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

// Guard serves next and then calls done with the request, the status
// answered and the time taken (for the request's log line). It answers a
// panic in next, logged as what+" panicked", with status 200 and fallback
// as JSON when no answer was started, so that the user sees "internal
// error" rather than the platform's generic failure. http.ErrAbortHandler
// is panicked again.
func Guard(log *slog.Logger, what string, fallback any, next http.HandlerFunc,
	done func(r *http.Request, status int, d time.Duration)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), what+" panicked", "path", r.URL.Path, "panic", p)
				if !tw.wrote {
					WriteJSON(tw, http.StatusOK, fallback)
				}
			}
			done(r, tw.status, time.Since(start))
		}()
		next(tw, r)
	})
}

// trackingWriter records whether a response was started, and its status.
type trackingWriter struct {
	http.ResponseWriter
	wrote  bool
	status int
}

func (t *trackingWriter) WriteHeader(code int) {
	if !t.wrote {
		t.status = code
	}
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	if !t.wrote {
		t.status = http.StatusOK
	}
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (to
// flush an answer before the handler returns).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// UserMessage returns what to tell a user about err. It logs, as what,
// internal errors (whose cause is never shown) at Error and outages
// (EUnavailable, which tell the user to try again shortly) at Warn, with
// attrs and the request's path.
func UserMessage(ctx context.Context, log *slog.Logger, what, path string, err error, attrs ...any) string {
	switch bot.ErrorCode(err) {
	case bot.EInternal:
		log.ErrorContext(ctx, what, append(attrs, "path", path, "error", err)...)
	case bot.EUnavailable:
		log.WarnContext(ctx, what, append(attrs, "path", path, "error", err)...)
	}
	return bot.ErrorMessage(err)
}

// WithSuffix appends "-suffix" to a channel name, shortening the name to
// stay within max bytes; what the cut leaves at its end of cutset is
// trimmed.
func WithSuffix(name, suffix string, max int, cutset string) string {
	if keep := max - len(suffix) - 1; len(name) > keep {
		name = strings.TrimRight(name[:keep], cutset)
	}
	return name + "-" + suffix
}

// RandomSuffix returns 5 random lower-case letters and digits.
func RandomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [5]byte
	rand.Read(b[:]) // never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// TruncateRunes shortens s to at most n runes, marking a cut with "…".
func TruncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// OneLine replaces line breaks, which would break the markup around a
// title, with spaces.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// StageSummary is the first line of a run's checklist post on every
// platform: "Stage 2 of 3: <title> · 4/9 items done", the stage's title
// marked up by strong, or that the run has no checklists.
func StageSummary(r bot.Run, done, total int, strong func(string) string) string {
	if len(r.Checklists) == 0 {
		return "This run has no checklists."
	}
	return fmt.Sprintf("Stage %d of %d: %s · %d/%d items done",
		r.ActiveStage+1, len(r.Checklists), strong(OneLine(r.ActiveStageTitle)), done, total)
}
