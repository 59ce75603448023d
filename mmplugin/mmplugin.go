// Package mmplugin is the contract between the bot server and its
// companion Mattermost plugin (package companion, built by
// scripts/plugin-bundle): the plugin's ID and routes, the bot's routes it
// calls, the /playbook autocomplete data it registers, and how its
// requests are signed and verified.
//
// Mattermost tells a plugin who makes each request (Mattermost-User-Id);
// the plugin passes that on to the bot in headers, and signs the request
// with the secret both share, in the Standard Webhooks way
// (https://www.standardwebhooks.com: an HMAC-SHA256 over a message ID, a
// timestamp and the payload), where the payload is the request itself
// (method, path and query, the identity headers and the body's SHA-256).
// The bot believes an identity only from a request whose signature
// verifies, whose timestamp is within 5 minutes, and whose message ID it
// has not seen before (Verifier): a captured request cannot be replayed,
// nor its identity, path or body changed.
package mmplugin

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/playbooks-bot/playbooks/bot"
)

// ID is the plugin's ID: Mattermost serves its routes under /plugins/ID/,
// so that the REST API it proxies is at /plugins/playbooks/api/v0, the
// Mattermost Playbooks plugin's own path (the two cannot be enabled
// together).
const ID = "playbooks"

// Routes of the bot server the plugin calls, besides the REST API (under
// its usual /plugins/playbooks/api/v0 path).
const (
	// CommandPath runs a /playbook command: POST, a CommandRequest as JSON;
	// the answer is a model.CommandResponse.
	CommandPath = "/mattermost/plugin/command"
	// ListPath + a list name (commands.ListItems, ...) answers a dynamic
	// autocomplete list: GET with channel_id and team_id, and the command
	// whose argument it is (ListCommandParam; none for a list fetched
	// without one); the answer is a JSON array of
	// model.AutocompleteListItem.
	ListPath = "/mattermost/plugin/autocomplete/"
	// ListCommandParam is the query parameter of ListPath naming the
	// command ("check", "assign", ...) whose list it is: the suggestions
	// say what that command does with each.
	ListCommandParam = "command"
)

// Routes of the plugin itself, under /plugins/ID.
const (
	// PluginAPIPrefix is where the plugin proxies the REST API.
	PluginAPIPrefix = "/api/v0/"
	// PluginListPrefix + a list name + "/" + a command is the fetch URL of
	// that command's dynamic list argument, relative to the plugin
	// (Mattermost adds /plugins/ID; see ListURL).
	PluginListPrefix = "/autocomplete/"
)

// Headers carrying the identity the plugin vouches for; signed with the
// rest of the request.
const (
	HeaderUserID  = "X-Playbooks-Plugin-User-Id"
	HeaderTeamIDs = "X-Playbooks-Plugin-Team-Ids" // comma-separated
	HeaderAdmin   = "X-Playbooks-Plugin-Admin"    // "true" for a system admin
)

// SignedHeaders are the headers Sign sets: the identity and the
// signature. The plugin forwards no client's own.
var SignedHeaders = []string{HeaderUserID, HeaderTeamIDs, HeaderAdmin,
	standardwebhooks.HeaderWebhookID, standardwebhooks.HeaderWebhookTimestamp, standardwebhooks.HeaderWebhookSignature}

// WriteError answers a request of either side with the REST API's error
// body, {"error": msg, "details": details}, which the plugin shows to the
// user.
func WriteError(w http.ResponseWriter, status int, msg, details string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg, "details": details})
}

// MinSecretLen is the shortest secret the plugin and the bot accept.
const MinSecretLen = 32

// MaxBody bounds the bodies the plugin forwards and the bot verifies.
const MaxBody = 4 << 20

// CommandRequest is a /playbook command the plugin forwards: what
// Mattermost's ExecuteCommand hook gives it, less the user (the signed
// identity).
type CommandRequest struct {
	TeamID    string `json:"team_id"`
	ChannelID string `json:"channel_id"`
	TriggerID string `json:"trigger_id"`
	// Text is what follows /playbook, e.g. "check 0 2".
	Text string `json:"text"`
}

// Identity is the Mattermost user a plugin request is made for.
type Identity struct {
	UserID  string
	TeamIDs []string
	Admin   bool // a Mattermost system admin
}

// Actor is who the identity acts as: the user, limited to their teams
// unless a system admin, as a Mattermost token's user (TokenAuth) is.
func (id Identity) Actor() bot.Actor {
	return bot.Actor{UserID: id.UserID, TeamIDs: id.TeamIDs, Admin: id.Admin}
}

// Claims reports whether r says it comes from the plugin: it carries the
// identity header or a signature. Such a request is authenticated by
// Verifier.Verify alone, whatever else it carries.
func Claims(r *http.Request) bool {
	return r.Header.Get(HeaderUserID) != "" || r.Header.Get(standardwebhooks.HeaderWebhookSignature) != ""
}

// Sign sets r's identity headers and signs r, whose body is body (read
// already; Sign sets r.Body to it again), with secret at now.
func Sign(r *http.Request, body []byte, secret string, id Identity, now time.Time) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("the plugin secret must be at least %d characters", MinSecretLen)
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err != nil {
		return err
	}
	r.Header.Set(HeaderUserID, id.UserID)
	r.Header.Set(HeaderTeamIDs, strings.Join(id.TeamIDs, ","))
	r.Header.Set(HeaderAdmin, strconv.FormatBool(id.Admin))
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return err
	}
	msgID := "msg_" + hex.EncodeToString(n)
	sig, err := wh.Sign(msgID, now, payload(r, body))
	if err != nil {
		return err
	}
	r.Header.Set(standardwebhooks.HeaderWebhookID, msgID)
	r.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	r.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}

// payload is what is signed of r: its method, path and query as sent, the
// identity headers, and the SHA-256 of its body.
func payload(r *http.Request, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(strings.Join([]string{
		r.Method, r.URL.RequestURI(),
		r.Header.Get(HeaderUserID), r.Header.Get(HeaderTeamIDs), r.Header.Get(HeaderAdmin),
		hex.EncodeToString(sum[:]),
	}, "\n"))
}

// Seen records a message ID for ttl and reports whether it is new, on
// every replica of the bot (bot.Service.FirstSeen).
type Seen func(ctx context.Context, key string, ttl time.Duration) (bool, error)

// Verifier checks the plugin's requests, on the bot's side: the one place
// the bot believes a Mattermost user ID it did not check with Mattermost.
type Verifier struct {
	wh   *standardwebhooks.Webhook
	seen Seen
}

// replayWindow is how long a message ID is remembered: longer than the
// 5 minutes either side of now a timestamp may be off by.
const replayWindow = 11 * time.Minute

// NewVerifier returns a Verifier of requests signed with secret, which
// refuses a message ID seen already.
func NewVerifier(secret string, seen Seen) (*Verifier, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("the Mattermost plugin secret must be at least %d characters (e.g. openssl rand -hex 32)", MinSecretLen)
	}
	if seen == nil {
		return nil, errors.New("mmplugin: a verifier needs a Seen")
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err != nil {
		return nil, err
	}
	return &Verifier{wh: wh, seen: seen}, nil
}

// The refusals of Verify, each saying its cause to the admin who reads it
// (the plugin shows it to system admins and logs it): what to check.
var (
	errUnsigned = bot.Errorf(bot.EUnauthenticated, "this request claims to come from the Mattermost plugin, but it is not signed: only the plugin may send its identity headers")
	errBadSig   = bot.Errorf(bot.EUnauthenticated, "this request claims to come from the Mattermost plugin, but its signature does not verify: check that the plugin's Shared secret is the bot's PLAYBOOKS_MATTERMOST_PLUGIN_SECRET")
	errClock    = bot.Errorf(bot.EUnauthenticated, "this request from the Mattermost plugin was signed more than 5 minutes from the bot's time: check the clocks of the Mattermost server and of the bot")
	errReplay   = bot.Errorf(bot.EUnauthenticated, "this request from the Mattermost plugin was already received once (its message ID is not new): a replay, refused; the plugin signs each request anew")
	errNoUser   = bot.Errorf(bot.EUnauthenticated, "this request from the Mattermost plugin names no user")
)

// sigError is the refusal of a signature the standard-webhooks library
// refused with err.
func sigError(err error) error {
	switch {
	case errors.Is(err, standardwebhooks.ErrRequiredHeaders):
		return fmt.Errorf("%w: %w", errUnsigned, err)
	case errors.Is(err, standardwebhooks.ErrMessageTooOld), errors.Is(err, standardwebhooks.ErrMessageTooNew):
		return fmt.Errorf("%w: %w", errClock, err)
	}
	return fmt.Errorf("%w: %w", errBadSig, err)
}

// Verify returns the identity r's signature vouches for, and leaves r's
// body readable again. EUnauthenticated when the signature is missing,
// wrong, more than 5 minutes off, or replayed, or the identity is
// incomplete, each with a message of its own; the library's cause is
// returned wrapped, for the log.
func (v *Verifier) Verify(r *http.Request) (Identity, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return Identity{}, fmt.Errorf("read plugin request: %w", err)
	}
	if len(body) > MaxBody {
		return Identity{}, bot.Errorf(bot.EInvalid, "the request body is over %d bytes", MaxBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := v.wh.Verify(payload(r, body), r.Header); err != nil {
		return Identity{}, sigError(err)
	}
	id := Identity{UserID: r.Header.Get(HeaderUserID), Admin: r.Header.Get(HeaderAdmin) == "true"}
	for t := range strings.SplitSeq(r.Header.Get(HeaderTeamIDs), ",") {
		if t = strings.TrimSpace(t); t != "" {
			id.TeamIDs = append(id.TeamIDs, t)
		}
	}
	if id.UserID == "" {
		return Identity{}, errNoUser
	}
	fresh, err := v.seen(r.Context(), "mmplugin:"+r.Header.Get(standardwebhooks.HeaderWebhookID), replayWindow)
	if err != nil {
		return Identity{}, fmt.Errorf("check plugin request for a replay: %w", err)
	}
	if !fresh {
		return Identity{}, fmt.Errorf("%w: message ID %q seen before", errReplay, r.Header.Get(standardwebhooks.HeaderWebhookID))
	}
	return id, nil
}

// Manifest is the plugin's plugin.json, as the bundle carries it.
//
//go:embed plugin.json
var Manifest []byte
