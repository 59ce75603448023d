// Package slacktest is a fake Slack for tests of the Slack adapter: an
// HTTP server implementing the Web API methods the adapter calls, with the
// state they change (users, channels, messages, modals), and the other
// direction too: it sends slash commands, modal submissions, button clicks
// and options requests to the bot signed as Slack signs them.
//
// It holds the bot to Slack's rules (see /work/shared/slack-wire.md):
//   - an answer to a request Slack sends the bot that is not complete
//     within AckDeadline is dropped (the Response says TimedOut), and the
//     test fails when it ends unless it called AllowLate;
//   - Web API methods are rate-limited per tier (Limit, DefaultLimits),
//     answering HTTP 429 with Retry-After, on the double's clock;
//   - messages and modals over the Block Kit limits are refused
//     (invalid_blocks, invalid_arguments), and so are answers to
//     submissions and options requests Slack would not accept;
//   - everything the bot shows users is recorded (Said).
package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is a workspace member.
type User struct {
	ID          string
	Name        string
	DisplayName string
	Deleted     bool
	// Admin and Owner are the workspace roles users.info reports
	// (is_admin, is_owner).
	Admin, Owner bool
}

// Channel is a conversation of the workspace.
type Channel struct {
	ID      string
	Name    string
	Private bool
	Members []string // sorted
}

// Message is a message as last posted or updated, with its history.
type Message struct {
	Channel  string
	TS       string
	User     string
	Text     string
	Blocks   json.RawMessage
	Versions int // 1 when never updated
	// ReusedBlockIDs are the block IDs an update sent that an earlier
	// version of the message had already (Slack advises a new block_id
	// for each iteration of an updated message), sorted, once each.
	ReusedBlockIDs []string

	blockIDs map[string]bool // of every version so far
}

// Ephemeral is a message shown to one user.
type Ephemeral struct {
	Channel, User, Text string
}

// OpenedView is a modal opened by views.open.
type OpenedView struct {
	ID, Hash, UserID, TriggerID string
	// View is the view as the bot sent it.
	View map[string]any
	// Raw is its JSON.
	Raw json.RawMessage
}

// Reply is a message posted to a slash command's response_url.
type Reply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// Server is a fake Slack workspace. Its methods are safe for concurrent use.
type Server struct {
	// URL is the Web API base URL, ending in "/", for slack-go's
	// OptionAPIURL.
	URL string
	// Team is the workspace's ID.
	Team string
	// BotToken is the token the bot must send; BotUserID its user.
	BotToken, BotUserID string

	srv    *httptest.Server
	now    func() time.Time
	secret string
	botURL string

	mu         sync.Mutex
	seq        int
	users      map[string]*User
	channels   map[string]*Channel
	messages   map[string]*Message // channel + "/" + ts
	ephemerals []Ephemeral
	triggers   map[string]trigger
	triggerTo  map[string]string        // trigger ID → user
	views      []OpenedView             // as opened
	viewByID   map[string]*View         // as they are now
	submitting map[string]chan struct{} // view ID → closed once the answer to its submission is applied
	calls      []string
	limited    []string
	limits     *limiter
	replies    []Reply
	said       []Said
	delay      map[string]time.Duration
	delayAll   time.Duration
	late       []Late
	allowLate  bool
}

type trigger struct {
	expires time.Time
	used    bool
}

// TriggerTTL is how long a trigger ID may open a modal, as on Slack.
const TriggerTTL = 3 * time.Second

// New starts a fake Slack for t, with one workspace and the bot user.
// Requests to the bot are signed with secret and sent to botURL (set
// later with SetBot).
func New(t testing.TB, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{
		Team: "T0TEAM0001", BotToken: "xoxb-test-token", BotUserID: "U0BOT00001",
		now: now, users: map[string]*User{}, channels: map[string]*Channel{},
		messages: map[string]*Message{}, triggers: map[string]trigger{}, triggerTo: map[string]string{},
		viewByID: map[string]*View{}, submitting: map[string]chan struct{}{}, limits: newLimiter(), delay: map[string]time.Duration{},
	}
	s.users[s.BotUserID] = &User{ID: s.BotUserID, Name: "playbooks"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", s.api)
	mux.HandleFunc("POST /response/{id}", s.response)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	t.Cleanup(func() { s.checkLate(t) })
	s.URL = s.srv.URL + "/api/"
	return s
}

// SetBot sets where requests to the bot go and the signing secret.
func (s *Server) SetBot(botURL, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.botURL, s.secret = strings.TrimRight(botURL, "/"), secret
}

// Delay makes a Web API method answer only after d.
func (s *Server) Delay(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay[method] = d
}

// DelayAll makes every Web API method answer only after d (a method's own
// Delay, when longer, wins).
func (s *Server) DelayAll(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delayAll = d
}

// nextID returns a new ID with a prefix, like Slack's.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s0%08d", prefix, s.seq)
}

// AddUser adds a member of the workspace.
func (s *Server) AddUser(name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.nextID("U"), Name: name, DisplayName: strings.ToUpper(name[:1]) + name[1:]}
	s.users[u.ID] = u
	return *u
}

// AddAdmin adds a workspace admin (is_admin).
func (s *Server) AddAdmin(name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.nextID("U"), Name: name, DisplayName: strings.ToUpper(name[:1]) + name[1:], Admin: true}
	s.users[u.ID] = u
	return *u
}

// AddChannel adds a public channel with members.
func (s *Server) AddChannel(name string, members ...string) Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Channel{ID: s.nextID("C"), Name: name}
	for _, m := range members {
		c.Members = addMember(c.Members, m)
	}
	s.channels[c.ID] = c
	return *c
}

func addMember(ms []string, id string) []string {
	if i, found := slices.BinarySearch(ms, id); !found {
		ms = slices.Insert(ms, i, id)
	}
	return ms
}

// Channel returns a channel.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	cp := *c
	cp.Members = slices.Clone(c.Members)
	return cp, true
}

// ChannelByName returns a channel by name.
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	var id string
	for _, c := range s.channels {
		if c.Name == name {
			id = c.ID
		}
	}
	s.mu.Unlock()
	return s.Channel(id)
}

// Message returns a message.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+ts]
	if !ok {
		return Message{}, false
	}
	return m.copy(), true
}

// copy returns m without what it shares with the double's state.
func (m *Message) copy() Message {
	cp := *m
	cp.ReusedBlockIDs, cp.blockIDs = slices.Clone(m.ReusedBlockIDs), nil
	return cp
}

// Messages returns the messages of a channel, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel {
			out = append(out, m.copy())
		}
	}
	slices.SortFunc(out, func(a, b Message) int { return strings.Compare(a.TS, b.TS) })
	return out
}

// Ephemerals returns the ephemeral messages shown so far.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Views returns the modals opened so far.
func (s *Server) Views() []OpenedView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.views)
}

// Calls returns the Web API methods called so far, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Replies returns what was posted to response_urls.
func (s *Server) Replies() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.replies)
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	var rep Reply
	if err := json.NewDecoder(r.Body).Decode(&rep); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.replies = append(s.replies, rep)
	s.say("response_url", "", "", rep.Text)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// DeactivateUser marks a user deleted, as Slack does with deactivated
// accounts.
func (s *Server) DeactivateUser(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		u.Deleted = true
	}
}

// DeleteMessage deletes a message.
func (s *Server) DeleteMessage(channel, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.messages, channel+"/"+ts)
}
