package slack

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// HandlerConfig is what a Handler needs. Client, Dispatcher, Service and
// SigningSecret are required.
type HandlerConfig struct {
	commands.HandlerBase
	Client *Client
	// SigningSecret is the Slack app's signing secret.
	SigningSecret string
	// Now is the clock request timestamps are checked against (and replays
	// expire by); time.Now when nil. slack-go's verifier also checks
	// timestamps against the wall clock, so Now must stay close to it.
	Now func() time.Time
	// AckAfter is how long after a request arrived Slack gets its answer,
	// whatever the work it asks takes: the work's own answer if it has
	// ended, else an acknowledgement, and the result reaches the user
	// later (a slash command's response_url, views.update on the open
	// modal, an ephemeral message). 2 seconds when zero, within Slack's
	// 3-second deadline.
	AckAfter time.Duration
}

// Handler serves what Slack sends the bot: slash commands, interactions
// (modal submissions, button clicks) and external select options. Every
// request must carry a valid Slack signature made within 5 minutes of Now
// (else 401, at once) and not have been seen before (else nothing is
// done: 401 when that is known within AckAfter). Slack gets an answer
// within AckAfter of the request's arrival, whatever the database and the
// Web API take (see respond).
//
// The signatures seen (and the modal submissions handled) are remembered
// in the database for 5 minutes (30 for submissions), through
// Service.FirstSeen, so a replay is refused whichever replica it reaches.
// Slack shows nothing of an answer other than 200, so every refusal a
// user should read (an expired modal, a database outage, a button of
// another channel) is a 200 carrying the bot's message.
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
	work     sync.WaitGroup // of requests' work, acknowledged or not
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
		h.ackAfter = defaultAckAfter
	}
	h.mux = h.routes()
	return h, nil
}

// ServeHTTP serves the routes of routes.go, noting when the request
// arrived: Slack's 3 seconds run from then.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), servedKey{}, &served{arrival: time.Now()})))
}

// verified reads the body once and lets next serve the request only when it
// is signed with the signing secret and its timestamp is within 5 minutes
// of h.now; it answers anything else 401. The check needs no database, so
// it is made before answering; whether the request was seen before is
// checked by next's work (firstSeen), beside the request. The body is put
// back for next to parse.
func (h *Handler) verified(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request too large or unreadable", http.StatusBadRequest)
			return
		}
		if err := h.verify(r.Header, body); err != nil {
			h.log.WarnContext(r.Context(), "slack request refused", "path", r.URL.Path, "reason", err.Error(), "remote_addr", r.RemoteAddr)
			http.Error(w, "invalid Slack signature", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r)
	}
}

// verify checks a request's signature and timestamp. The timestamp is
// checked against h.now first, so that a test can decide staleness;
// slack-go's verifier then checks it again against the wall clock, so
// h.now must not drift from it.
func (h *Handler) verify(header http.Header, body []byte) error {
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
	return nil
}

// replayKey is what identifies a verified request for the replay check:
// its timestamp and the MAC's bytes, decoded from the header and spelled
// again in lower-case hex. The header's own spelling is not the key, since
// the verifier accepts one MAC in several (hex digits in either case), and
// each spelling would otherwise be new. The MAC covers the timestamp as
// sent and the body, so one request has one key however it is written; a
// request Slack sent (lower-case hex) keeps the key it always had.
func replayKey(header http.Header) string {
	sig := strings.TrimPrefix(header.Get("X-Slack-Signature"), "v0=")
	mac, err := hex.DecodeString(sig)
	if err != nil { // verified before, so never; keyed as sent rather than failing open
		mac = []byte(sig)
	}
	return "slack:request:" + header.Get("X-Slack-Request-Timestamp") + ":v0=" + hex.EncodeToString(mac)
}

// actor is the user Slack says made a request, limited to the workspace
// the request came from.
func actor(userID, teamID string) bot.Actor {
	return bot.Actor{UserID: userID, TeamIDs: []string{teamID}}
}

// userMessage returns what to tell a user about err, logging internal
// errors, whose cause is never shown, and outages (EUnavailable, which
// tell the user to try again shortly).
func (h *Handler) userMessage(ctx context.Context, path string, err error, attrs ...any) string {
	return chatkit.UserMessage(ctx, h.log, "slack request", path, err, attrs...)
}

// guard serves next and writes the request's log line (logRequest); it
// answers a panic in next with status 200 and fallback, so that the user
// sees "internal error" rather than Slack's generic failure.
func (h *Handler) guard(fallback any, next http.HandlerFunc) http.Handler {
	return chatkit.Guard(h.log, "slack request", fallback, next, h.logRequest)
}

// logRequest writes one line at Info for a request Slack sent: the route;
// the slash command's subcommand (never its arguments), or the
// interaction's type, modal callback ID and action ID; the user and
// channel Slack names; the status and the duration. What Slack says is
// read from the form the handler parsed, so a request refused before that
// (a bad signature) logs only its route and status. A request Slack was
// acknowledged for before its work ended says deferred=true; its work's
// end is logged on its own line ("slack work finished"). Signatures, tokens,
// modal metadata, button values and what users typed are never logged.
// Within an outer access logger (a bot.RequestLog in the context) it
// annotates that logger's line instead, and names the route by its path.
func (h *Handler) logRequest(r *http.Request, status int, d time.Duration) {
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("platform", Platform))
	var p struct {
		Type    string              `json:"type"`
		User    struct{ ID string } `json:"user"`
		Channel struct{ ID string } `json:"channel"`
		View    struct {
			CallbackID string `json:"callback_id"`
		} `json:"view"`
		Actions []struct {
			ActionID string `json:"action_id"`
		} `json:"actions"`
		ActionID string `json:"action_id"` // of a block_suggestion
	}
	command := ""
	if f := r.PostForm; f != nil { // parsed by the handler
		if r.URL.Path == CommandPath {
			p.User.ID, p.Channel.ID = f.Get("user_id"), f.Get("channel_id")
			command = commands.LogName(f.Get("text"))
			attrs = append(attrs, slog.String("command", command))
		} else {
			json.Unmarshal([]byte(f.Get("payload")), &p) // what cannot be decoded is not logged
		}
	}
	action := p.ActionID
	if len(p.Actions) > 0 {
		action = p.Actions[0].ActionID
	}
	if servedOf(r).deferred.Load() {
		attrs = append(attrs, slog.Bool("deferred", true)) // acknowledged before its work ended
	}
	for _, a := range []slog.Attr{
		slog.String("type", p.Type), slog.String("callback_id", p.View.CallbackID), slog.String("action", action),
		slog.String("user_id", p.User.ID), slog.String("channel_id", p.Channel.ID),
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
	route := map[string]string{CommandPath: "command", InteractivityPath: "interactivity", OptionsPath: "options"}[r.URL.Path]
	attrs = append(attrs, slog.String("route", route), slog.Int("status", status), slog.Duration("duration", d))
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "chat request", attrs...)
}
