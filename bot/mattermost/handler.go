package mattermost

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// HandlerConfig is what a Handler needs. Client, Dispatcher and Service
// are required, and at least one command token.
type HandlerConfig struct {
	Client     *Client
	Dispatcher *commands.Dispatcher
	Service    *bot.Service
	// Signer verifies dialog states and button contexts; the Client's when
	// nil. It must be the one the Client signs with.
	Signer *dialogs.Signer
	// CommandTokens are the tokens of the /playbook slash commands
	// registered in Mattermost, one per team; any of them is accepted.
	CommandTokens []string
	// Logger receives refused requests and internal errors; slog.Default()
	// when nil.
	Logger *slog.Logger
}

// Handler serves what Mattermost sends the bot: slash commands, dialog
// submissions, message button clicks and dynamic select lookups. Once a
// request is authenticated it always answers status 200, since Mattermost
// shows any other status as a generic error; what went wrong is in the
// body, in the form Mattermost shows to the user.
type Handler struct {
	client *Client
	disp   *commands.Dispatcher
	svc    *bot.Service
	signer *dialogs.Signer
	tokens [][sha256.Size]byte
	log    *slog.Logger
	mux    *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// maxBody bounds the requests Handler reads; Mattermost's are far smaller.
const maxBody = 1 << 20

// NewHandler returns a Handler over c. It fails when a required setting is
// missing.
func NewHandler(c HandlerConfig) (*Handler, error) {
	if c.Client == nil || c.Dispatcher == nil || c.Service == nil {
		return nil, errors.New("mattermost: a handler needs a client, a dispatcher and a service")
	}
	h := &Handler{client: c.Client, disp: c.Dispatcher, svc: c.Service, signer: c.Signer, log: c.Logger}
	if h.signer == nil {
		h.signer = c.Client.signer
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	for _, t := range c.CommandTokens {
		if t != "" {
			h.tokens = append(h.tokens, sha256.Sum256([]byte(t)))
		}
	}
	if len(h.tokens) == 0 {
		return nil, errors.New("mattermost: a handler needs at least one slash command token")
	}
	h.mux = h.routes()
	return h, nil
}

// ServeHTTP serves the routes of routes.go.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// validToken reports, in constant time, whether t is one of the command
// tokens. Comparing hashes keeps the time independent of t's length.
func (h *Handler) validToken(t string) bool {
	if t == "" {
		return false
	}
	got := sha256.Sum256([]byte(t))
	ok := 0
	for _, want := range h.tokens {
		ok |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return ok == 1
}

// actor is the user Mattermost says made a request, limited to the team
// the request came from.
func actor(userID, teamID string) bot.Actor {
	return bot.Actor{UserID: userID, TeamIDs: []string{teamID}}
}

// decodeJSON reads a JSON body of at most maxBody bytes into v.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v)
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

// userMessage returns what to tell a user about err, logging internal
// errors, whose cause is never shown.
func (h *Handler) userMessage(r *http.Request, err error, attrs ...any) string {
	if bot.ErrorCode(err) == bot.EInternal {
		h.log.ErrorContext(r.Context(), "mattermost request", append(attrs, "path", r.URL.Path, "error", err)...)
	}
	return bot.ErrorMessage(err)
}

// guard answers a panic in next with status 200 and fallback, so that the
// user sees "internal error" rather than Mattermost's generic failure.
func (h *Handler) guard(fallback any, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.ErrorContext(r.Context(), "mattermost request panicked", "path", r.URL.Path, "panic", p)
				if !tw.wrote {
					writeJSON(w, http.StatusOK, fallback)
				}
			}
		}()
		next(tw, r)
	})
}

// trackingWriter records whether a response was started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}
