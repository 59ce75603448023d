package mattermost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// HandlerConfig is what a Handler needs. Client, Dispatcher and Service
// are required, and at least one command token or a Plugin verifier.
type HandlerConfig struct {
	commands.HandlerBase
	Client *Client
	// CommandTokens are the tokens of the /playbook slash commands
	// registered in Mattermost, one per team; any of them is accepted.
	CommandTokens []string
	// Plugin, when set, verifies the requests of the companion plugin
	// (plugin mode): commands and autocomplete lists it forwards for the
	// users Mattermost names. Without it, those are refused.
	Plugin *mmplugin.Verifier
}

// Handler serves what Mattermost sends the bot: slash commands, dialog
// submissions and message button clicks. Once a
// request is authenticated it always answers status 200, since Mattermost
// shows any other status as a generic error; what went wrong is in the
// body, in the form Mattermost shows to the user.
type Handler struct {
	client *Client
	disp   *commands.Dispatcher
	svc    *bot.Service
	signer *dialogs.Signer
	tokens [][sha256.Size]byte
	plugin *mmplugin.Verifier
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
	h := &Handler{client: c.Client, disp: c.Dispatcher, svc: c.Service, signer: c.Signer, log: c.Logger, plugin: c.Plugin}
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
	if len(h.tokens) == 0 && h.plugin == nil {
		return nil, errors.New("mattermost: a handler needs at least one slash command token, or the plugin's verifier")
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

// userMessage returns what to tell a user about err, logging internal
// errors, whose cause is never shown, and outages.
func (h *Handler) userMessage(r *http.Request, err error, attrs ...any) string {
	return chatkit.UserMessage(r.Context(), h.log, "mattermost request", r.URL.Path, err, attrs...)
}

// guard serves next and writes the request's log line (logRequest); it
// answers a panic in next with status 200 and fallback, so that the user
// sees "internal error" rather than Mattermost's generic failure.
func (h *Handler) guard(fallback any, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		body := &teeBody{ReadCloser: r.Body}
		r.Body = body
		chatkit.Guard(h.log, "mattermost request", fallback, next, func(r *http.Request, status int, d time.Duration) {
			h.logRequest(r, info, body.buf.Bytes(), status, d)
		}).ServeHTTP(w, r)
	})
}

// requestInfo is what a handler learns about its request for the log
// line: what the request did, and the run it concerned.
type requestInfo struct {
	mu     sync.Mutex
	action string
	runID  string
}

type requestInfoKey struct{}

// noteRequest records, for the request's log line, the button action it
// performed and the run it concerned; "" leaves a field as it is.
func noteRequest(ctx context.Context, action, runID string) {
	info, ok := ctx.Value(requestInfoKey{}).(*requestInfo)
	if !ok {
		return
	}
	info.mu.Lock()
	defer info.mu.Unlock()
	if action != "" {
		info.action = action
	}
	if runID != "" {
		info.runID = runID
	}
}

// noteDialogState records the run of a verified dialog state, when the
// dialog is about one, for the request's log line.
func noteDialogState(ctx context.Context, state string) {
	if st, errs := dialogs.ParseRunState(state); errs == nil {
		noteRequest(ctx, "", st.RunID)
	}
}

// logRequest writes one line at Info for a request Mattermost sent: the
// route; the slash command's subcommand (never its arguments), the
// dialog's callback ID or the button's action; the user and channel
// Mattermost names; the run when known; the status and the duration.
// States, contexts, tokens and the texts users typed are never logged.
// Within an outer access logger (a bot.RequestLog in the context) it
// annotates that logger's line instead, and names the route by its path.
func (h *Handler) logRequest(r *http.Request, info *requestInfo, body []byte, status int, d time.Duration) {
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("platform", Platform))
	var req struct {
		UserID     string `json:"user_id"`
		ChannelID  string `json:"channel_id"`
		CallbackID string `json:"callback_id"`
	}
	command := ""
	if r.URL.Path == CommandPath {
		if r.PostForm != nil { // parsed by the handler
			req.UserID, req.ChannelID = r.PostForm.Get("user_id"), r.PostForm.Get("channel_id")
			command = commands.LogName(r.PostForm.Get("text"))
			attrs = append(attrs, slog.String("command", command))
		}
	} else if len(body) > 0 {
		json.Unmarshal(body, &req) // what cannot be decoded is not logged
	}
	info.mu.Lock()
	action, runID := info.action, info.runID
	info.mu.Unlock()
	for _, a := range []slog.Attr{
		slog.String("callback_id", req.CallbackID), slog.String("action", action),
		slog.String("user_id", req.UserID), slog.String("channel_id", req.ChannelID), slog.String("run_id", runID),
	} {
		if a.Value.String() != "" {
			attrs = append(attrs, a)
		}
	}
	if rl := bot.RequestLogFrom(r.Context()); rl != nil {
		rl.SetRoute(r.URL.Path) // one of the paths routes serves: bounded
		rl.SetChat(Platform, command)
		rl.Add(attrs...)
		return
	}
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	attrs = append(attrs, slog.String("route", routeName(r.URL.Path)), slog.Int("status", status), slog.Duration("duration", d))
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "chat request", attrs...)
}

// routeName names the route of a path Handler serves.
func routeName(path string) string {
	switch path {
	case CommandPath:
		return "command"
	case ActionsPath:
		return "actions"
	case DialogPath:
		return "dialog"
	case LookupPath:
		return "lookup"
	}
	return "unknown"
}

// teeBody keeps a copy of the first maxBody bytes read from a request
// body, for the log line.
type teeBody struct {
	io.ReadCloser
	buf bytes.Buffer
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if room := maxBody - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(n, room)])
	}
	return n, err
}
