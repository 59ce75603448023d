package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// HandlerConfig is what a Handler needs. Client, Dispatcher, Service and
// SigningSecret are required.
type HandlerConfig struct {
	Client     *Client
	Dispatcher *commands.Dispatcher
	Service    *bot.Service
	// Signer verifies modal metadata and button values; the Client's when
	// nil. It must be the one the Client signs with.
	Signer *dialogs.Signer
	// SigningSecret is the Slack app's signing secret.
	SigningSecret string
	// Logger receives refused requests and internal errors; slog.Default()
	// when nil.
	Logger *slog.Logger
	// Now is the clock request timestamps are checked against (and replays
	// expire by); time.Now when nil. slack-go's verifier also checks
	// timestamps against the wall clock, so Now must stay close to it.
	Now func() time.Time
	// AckAfter is how long a slash command may run before Slack gets an
	// acknowledgement and the result goes to the command's response_url
	// instead; 2 seconds when zero, within Slack's 3-second deadline.
	AckAfter time.Duration
}

// Handler serves what Slack sends the bot: slash commands, interactions
// (modal submissions, button clicks) and external select options. Every
// request must carry a valid Slack signature made within 5 minutes of Now
// and not seen before; anything else gets 401 and changes nothing.
//
// The signatures seen (and the modal submissions handled) are remembered
// in the database for 5 minutes (30 for submissions), through
// Service.FirstSeen, so a replay is refused whichever replica it reaches.
type Handler struct {
	client   *Client
	disp     *commands.Dispatcher
	svc      *bot.Service
	signer   *dialogs.Signer
	secret   string
	log      *slog.Logger
	now      func() time.Time
	ackAfter time.Duration
	mux      *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

const (
	// maxBody bounds the requests Handler reads; Slack's are far smaller.
	maxBody = 1 << 20
	// window is how far a request's timestamp may be from now.
	window = 5 * time.Minute
)

// NewHandler returns a Handler over c. It fails when a required setting is
// missing.
func NewHandler(c HandlerConfig) (*Handler, error) {
	if c.Client == nil || c.Dispatcher == nil || c.Service == nil {
		return nil, errors.New("slack: a handler needs a client, a dispatcher and a service")
	}
	if c.SigningSecret == "" {
		return nil, errors.New("slack: a handler needs the app's signing secret")
	}
	h := &Handler{
		client: c.Client, disp: c.Dispatcher, svc: c.Service, signer: c.Signer, secret: c.SigningSecret,
		log: c.Logger, now: c.Now, ackAfter: c.AckAfter,
	}
	if h.signer == nil {
		h.signer = c.Client.signer
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.ackAfter <= 0 {
		h.ackAfter = 2 * time.Second
	}
	h.mux = h.routes()
	return h, nil
}

// ServeHTTP serves the routes of routes.go.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// verified reads the body once and lets next serve the request only when it
// is signed with the signing secret, its timestamp is within 5 minutes of
// h.now, and its (timestamp, signature) was not accepted before; it
// answers anything else 401. The body is put back for next to parse.
func (h *Handler) verified(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request too large or unreadable", http.StatusBadRequest)
			return
		}
		if err := h.verify(r.Context(), r.Header, body); err != nil {
			h.log.WarnContext(r.Context(), "slack request refused", "path", r.URL.Path, "reason", err.Error(), "remote_addr", r.RemoteAddr)
			http.Error(w, "invalid Slack signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r)
	}
}

// verify checks a request's signature, timestamp and novelty. The
// timestamp is checked against h.now first, so that a test can decide
// staleness; slack-go's verifier then checks it again against the wall
// clock, so h.now must not drift from it.
func (h *Handler) verify(ctx context.Context, header http.Header, body []byte) error {
	ts, err := strconv.ParseInt(header.Get("X-Slack-Request-Timestamp"), 10, 64)
	if err != nil {
		return errors.New("no timestamp")
	}
	now := h.now()
	if d := now.Sub(time.Unix(ts, 0)).Abs(); d > window {
		return errors.New("stale timestamp")
	}
	sv, err := slackgo.NewSecretsVerifier(header, h.secret)
	if err != nil {
		return errors.New("no signature")
	}
	sv.Write(body) // an HMAC never fails to write
	if err := sv.Ensure(); err != nil {
		return errors.New("wrong signature")
	}
	fresh, err := h.svc.FirstSeen(ctx, "slack:request:"+header.Get("X-Slack-Request-Timestamp")+":"+header.Get("X-Slack-Signature"), window)
	if err != nil {
		return fmt.Errorf("replay check: %w", err) // refused: no proof it is not a replay
	}
	if !fresh {
		return errors.New("replayed")
	}
	return nil
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client is gone if this fails
}

// actor is the user Slack says made a request, limited to the workspace
// the request came from.
func actor(userID, teamID string) bot.Actor {
	return bot.Actor{UserID: userID, TeamIDs: []string{teamID}}
}

// userMessage returns what to tell a user about err, logging internal
// errors, whose cause is never shown.
func (h *Handler) userMessage(ctx context.Context, path string, err error, attrs ...any) string {
	if bot.ErrorCode(err) == bot.EInternal {
		h.log.ErrorContext(ctx, "slack request", append(attrs, "path", path, "error", err)...)
	}
	return bot.ErrorMessage(err)
}

// guard answers a panic in next with status 200 and fallback, so that the
// user sees "internal error" rather than Slack's generic failure.
func (h *Handler) guard(fallback any, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.ErrorContext(r.Context(), "slack request panicked", "path", r.URL.Path, "panic", p)
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
