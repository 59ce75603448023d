package slacktest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// AckDeadline is how long Slack waits for the bot's HTTP answer to a
// slash command, an interaction or an options request: an answer not
// complete within 3 seconds of sending is dropped, and the user sees a
// timeout, whatever the bot did meanwhile.
//
// The double's clock starts as Slack's does, when the request is sent:
// once the double has its connection to the bot. Before that, in a test,
// the double's own goroutines wait to sign and to dial in the same process
// and on the same CPUs as the bot, a wait Slack's servers do not have (a
// burst of 64 clicks under load spent up to 1.5 s there, the bot's
// handler 2 s at most). Everything from then on counts: the bot's
// process reading the request, its work, its answer.
const AckDeadline = 3 * time.Second

// dialBound bounds a request's wait for a connection to the bot, which
// the deadline does not count.
const dialBound = time.Minute

// ErrTimedOut is the error of a request whose answer came after
// AckDeadline.
var ErrTimedOut = errors.New("slacktest: the bot did not answer within Slack's 3 seconds; Slack dropped the answer")

// Response is the bot's answer to a request, as Slack got it. When the
// answer was not complete within AckDeadline, TimedOut is set and Status
// and Body are empty: Slack dropped it.
type Response struct {
	Status   int
	Body     []byte
	TimedOut bool
	// Elapsed is how long the bot took to answer.
	Elapsed time.Duration
}

// Late is a request whose answer Slack dropped for coming after
// AckDeadline.
type Late struct {
	Path    string
	Elapsed time.Duration
}

// LateAnswers returns the requests whose answers came after AckDeadline.
func (s *Server) LateAnswers() []Late {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.late)
}

// AllowLate lets the test end with late answers (a test of the deadline
// itself); by default a test with any fails when it ends.
func (s *Server) AllowLate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowLate = true
}

// checkLate fails t when an answer came after AckDeadline.
func (s *Server) checkLate(t testing.TB) {
	s.mu.Lock()
	late, allowed := slices.Clone(s.late), s.allowLate
	s.mu.Unlock()
	if len(late) > 0 && !allowed {
		t.Errorf("slacktest: %d answers of the bot came after Slack's %s deadline and were dropped: %+v", len(late), AckDeadline, late)
	}
}

// JSON decodes the body into v.
func (r Response) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Sign returns the headers Slack sends with body at time ts:
// X-Slack-Request-Timestamp and X-Slack-Signature, v0= and the hex
// HMAC-SHA256 with secret of "v0:<ts>:<body>".
func Sign(secret string, ts time.Time, body string) http.Header {
	t := strconv.FormatInt(ts.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:%s", t, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", t)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return h
}

// Post sends a form-encoded body to the bot's path with the given headers,
// and waits for the answer as Slack does: at most AckDeadline, after which
// it hangs up and returns a TimedOut Response with an ErrTimedOut error.
// A slash command's answer with text is recorded as said.
func (s *Server) Post(ctx context.Context, path string, header http.Header, body string) (Response, error) {
	s.mu.Lock()
	base := s.botURL
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, dialBound)
	defer cancel()
	// sent is when the request went out; AckDeadline after it, Slack
	// hangs up (cancel, noted in hungUp).
	var (
		sendMu sync.Mutex
		sent   time.Time
		hangUp *time.Timer
		hungUp atomic.Bool
	)
	defer func() {
		sendMu.Lock()
		defer sendMu.Unlock()
		if hangUp != nil {
			hangUp.Stop()
		}
	}()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			sendMu.Lock()
			defer sendMu.Unlock()
			if sent.IsZero() {
				sent = time.Now()
				hangUp = time.AfterFunc(AckDeadline, func() {
					hungUp.Store(true)
					cancel()
				})
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header = header.Clone()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	var b []byte
	if err == nil {
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	sendMu.Lock()
	if !sent.IsZero() {
		start = sent
	}
	sendMu.Unlock()
	elapsed := time.Since(start)
	if elapsed > AckDeadline || hungUp.Load() {
		s.mu.Lock()
		s.late = append(s.late, Late{Path: path, Elapsed: elapsed})
		s.mu.Unlock()
		return Response{TimedOut: true, Elapsed: elapsed}, fmt.Errorf("%w: %s after %s", ErrTimedOut, path, elapsed.Round(time.Millisecond))
	}
	if err != nil {
		return Response{Elapsed: elapsed}, err
	}
	out := Response{Status: resp.StatusCode, Body: b, Elapsed: elapsed}
	if strings.HasSuffix(path, "/command") && out.Status == http.StatusOK && len(b) > 0 {
		var rep Reply
		if json.Unmarshal(b, &rep) == nil {
			s.mu.Lock()
			s.say("command reply", "", "", rep.Text)
			s.mu.Unlock()
		}
	}
	return out, nil
}

// Send sends form to the bot's path signed as Slack signs, now.
func (s *Server) Send(ctx context.Context, path string, form url.Values) (Response, error) {
	body := form.Encode()
	s.mu.Lock()
	secret := s.secret
	s.mu.Unlock()
	return s.Post(ctx, path, Sign(secret, s.now(), body), body)
}

// Slash describes a slash command typed by a user.
type Slash struct {
	UserID, ChannelID, Text string
}

// SlashForm returns the form of /playbook text, with a new trigger ID valid
// for TriggerTTL and a response_url on this server.
func (s *Server) SlashForm(c Slash) url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	trig := s.nextID("") + ".trigger"
	s.triggers[trig] = trigger{expires: s.now().Add(TriggerTTL)}
	s.triggerTo[trig] = c.UserID
	name := ""
	if u, ok := s.users[c.UserID]; ok {
		name = u.Name
	}
	return url.Values{
		"token": {"verification-token-unused"}, "team_id": {s.Team}, "team_domain": {"acme"},
		"channel_id": {c.ChannelID}, "channel_name": {"channel"}, "user_id": {c.UserID}, "user_name": {name},
		"command": {"/playbook"}, "text": {c.Text}, "api_app_id": {"A0APP00001"},
		"response_url": {strings.TrimSuffix(s.URL, "api/") + "response/" + trig},
		"trigger_id":   {trig},
	}
}

// SlashCommand sends /playbook text to the bot, to its /slack/command.
func (s *Server) SlashCommand(ctx context.Context, c Slash) (Response, error) {
	return s.Send(ctx, "/slack/command", s.SlashForm(c))
}

// payloadForm wraps an interaction payload as Slack sends it.
func payloadForm(p any) url.Values {
	b, _ := json.Marshal(p)
	return url.Values{"payload": {string(b)}}
}

// SubmitPayload returns the view_submission payload of v submitted by its
// user with values (block ID → string value; for a checkbox "true" or
// "false").
func (s *Server) SubmitPayload(v OpenedView, values map[string]string) map[string]any {
	state := map[string]any{}
	blocks, _ := v.View["blocks"].([]any)
	for _, b := range blocks {
		block, _ := b.(map[string]any)
		el, _ := block["element"].(map[string]any)
		if block["type"] != "input" || el == nil {
			continue
		}
		id, _ := block["block_id"].(string)
		action, _ := el["action_id"].(string)
		typ, _ := el["type"].(string)
		val, ok := values[id]
		a := map[string]any{"type": typ}
		switch typ {
		case "static_select", "external_select", "radio_buttons":
			if ok && val != "" {
				a["selected_option"] = map[string]any{"value": val, "text": map[string]any{"type": "plain_text", "text": val}}
			} else {
				a["selected_option"] = nil
			}
		case "checkboxes":
			opts := []any{}
			if val == "true" {
				opts = append(opts, map[string]any{"value": "true", "text": map[string]any{"type": "plain_text", "text": "x"}})
			}
			a["selected_options"] = opts
		default:
			if ok {
				a["value"] = val
			} else {
				a["value"] = nil
			}
		}
		state[id] = map[string]any{action: a}
	}
	view := map[string]any{}
	for k, val := range v.View {
		view[k] = val
	}
	view["id"], view["hash"], view["team_id"] = v.ID, v.Hash, s.Team
	view["state"] = map[string]any{"values": state}
	return map[string]any{
		"type": "view_submission", "team": map[string]any{"id": s.Team, "domain": "acme"},
		"user": map[string]any{"id": v.UserID, "team_id": s.Team}, "api_app_id": "A0APP00001",
		"view": view,
	}
}

// Submit submits v with values, to the bot's /slack/interactivity, and
// applies the answer to the view as Slack does (see View): it fails when
// Slack would refuse the answer (errors under blocks that are not inputs,
// a view over the limits).
//
// Slack applies the answer as it receives it, before anything the bot
// sends after it: a views.update of the view made meanwhile waits until
// the answer is applied.
func (s *Server) Submit(ctx context.Context, v OpenedView, values map[string]string) (Response, error) {
	applied := make(chan struct{})
	s.mu.Lock()
	s.submitting[v.ID] = applied
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.submitting[v.ID] == applied {
			delete(s.submitting, v.ID)
		}
		s.mu.Unlock()
		close(applied)
	}()
	resp, err := s.Send(ctx, "/slack/interactivity", payloadForm(s.SubmitPayload(v, values)))
	if err != nil {
		return resp, err
	}
	return resp, s.viewAnswer(v.ID, resp)
}

// awaitAnswer waits until the answer to a submission of view id in
// progress, if any, is applied.
func (s *Server) awaitAnswer(id string) {
	s.mu.Lock()
	ch := s.submitting[id]
	s.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// blockNamed reports whether a block's ID is name, or name followed by
// "." and a suffix: a bot may give the blocks of each rendering of a
// message IDs of their own (Slack advises it) after a stable name.
func blockNamed(b map[string]any, name string) bool {
	id, _ := b["block_id"].(string)
	return id == name || strings.HasPrefix(id, name+".")
}

// ClickPayload returns the block_actions payload of userID clicking the
// button of block blockID (see blockNamed) in message ts of channel.
func (s *Server) ClickPayload(userID, channel, ts, blockID string) (map[string]any, error) {
	m, ok := s.Message(channel, ts)
	if !ok {
		return nil, fmt.Errorf("no message %s in %s", ts, channel)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if !blockNamed(b, blockID) {
			continue
		}
		acc, _ := b["accessory"].(map[string]any)
		if acc == nil {
			return nil, fmt.Errorf("block %s has no button", blockID)
		}
		acc = map[string]any{"type": acc["type"], "action_id": acc["action_id"], "value": acc["value"],
			"block_id": b["block_id"], "text": acc["text"], "action_ts": "1.1"}
		trig := s.newTrigger(userID)
		return map[string]any{
			"type": "block_actions", "team": map[string]any{"id": s.Team}, "user": map[string]any{"id": userID},
			"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "message_ts": ts, "channel_id": channel},
			"message": map[string]any{"ts": ts, "text": m.Text}, "trigger_id": trig, "actions": []any{acc},
		}, nil
	}
	return nil, fmt.Errorf("no block %s in message %s", blockID, ts)
}

// Click sends userID's click on the button of block blockID of a message.
func (s *Server) Click(ctx context.Context, userID, channel, ts, blockID string) (Response, error) {
	p, err := s.ClickPayload(userID, channel, ts, blockID)
	if err != nil {
		return Response{}, err
	}
	return s.Send(ctx, "/slack/interactivity", payloadForm(p))
}

// newTrigger returns a new trigger ID of userID, valid for TriggerTTL.
func (s *Server) newTrigger(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	trig := s.nextID("") + ".trigger"
	s.triggers[trig] = trigger{expires: s.now().Add(TriggerTTL)}
	s.triggerTo[trig] = userID
	return trig
}

// ActionPayload returns the block_actions payload of userID using the
// element actionID of the actions block blockID (see blockNamed) in message
// ts of channel:
// clicking it, for a button, or choosing the option whose text or value is
// choice, for a static select.
func (s *Server) ActionPayload(userID, channel, ts, blockID, actionID, choice string) (map[string]any, error) {
	m, ok := s.Message(channel, ts)
	if !ok {
		return nil, fmt.Errorf("no message %s in %s", ts, channel)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if !blockNamed(b, blockID) {
			continue
		}
		els, _ := b["elements"].([]any)
		for _, e := range els {
			el, _ := e.(map[string]any)
			if el == nil || el["action_id"] != actionID {
				continue
			}
			act := map[string]any{"type": el["type"], "action_id": actionID, "block_id": b["block_id"], "action_ts": "1.1"}
			switch el["type"] {
			case "button":
				act["value"], act["text"] = el["value"], el["text"]
			case "static_select":
				opts, _ := el["options"].([]any)
				for _, o := range opts {
					opt, _ := o.(map[string]any)
					text, _ := opt["text"].(map[string]any)
					if opt != nil && (opt["value"] == choice || text != nil && text["text"] == choice) {
						act["selected_option"] = opt
					}
				}
				if act["selected_option"] == nil {
					return nil, fmt.Errorf("select %s has no option %q", actionID, choice)
				}
			default:
				return nil, fmt.Errorf("element %s is a %v, not a button or a static select", actionID, el["type"])
			}
			return map[string]any{
				"type": "block_actions", "team": map[string]any{"id": s.Team}, "user": map[string]any{"id": userID},
				"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "message_ts": ts, "channel_id": channel},
				"message": map[string]any{"ts": ts, "text": m.Text}, "trigger_id": s.newTrigger(userID), "actions": []any{act},
			}, nil
		}
		return nil, fmt.Errorf("block %s has no element %s", blockID, actionID)
	}
	return nil, fmt.Errorf("no block %s in message %s", blockID, ts)
}

// Act sends userID's use of the element actionID of block blockID of a
// message (see ActionPayload).
func (s *Server) Act(ctx context.Context, userID, channel, ts, blockID, actionID, choice string) (Response, error) {
	p, err := s.ActionPayload(userID, channel, ts, blockID, actionID, choice)
	if err != nil {
		return Response{}, err
	}
	return s.Send(ctx, "/slack/interactivity", payloadForm(p))
}

// SuggestPayload returns the block_suggestion payload of v's user typing
// query into the external select actionID.
func (s *Server) SuggestPayload(v OpenedView, actionID, query string) map[string]any {
	view := map[string]any{}
	for k, val := range v.View {
		view[k] = val
	}
	view["id"], view["hash"], view["team_id"] = v.ID, v.Hash, s.Team
	return map[string]any{
		"type": "block_suggestion", "team": map[string]any{"id": s.Team}, "user": map[string]any{"id": v.UserID},
		"action_id": actionID, "block_id": actionID, "value": query, "view": view,
	}
}

// Suggest asks the bot's /slack/options for the options of actionID; it
// fails when Slack would not show the answer (not 200, not JSON, over the
// option limits).
func (s *Server) Suggest(ctx context.Context, v OpenedView, actionID, query string) (Response, error) {
	resp, err := s.Send(ctx, "/slack/options", payloadForm(s.SuggestPayload(v, actionID, query)))
	if err != nil || resp.Status != http.StatusOK {
		return resp, err
	}
	var a struct {
		Options []any `json:"options"`
	}
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		return resp, fmt.Errorf("slacktest: the options answer is not JSON: %s", resp.Body)
	}
	if p := checkOptions(a.Options); len(p) > 0 {
		return resp, fmt.Errorf("slacktest: Slack refuses the options answer: %v", p)
	}
	return resp, nil
}

// SendPayload sends any interaction payload, signed, to path.
func (s *Server) SendPayload(ctx context.Context, path string, p any) (Response, error) {
	return s.Send(ctx, path, payloadForm(p))
}
