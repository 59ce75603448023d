// Package mmtest is a Mattermost server for tests: an httptest server that
// speaks the parts of the REST API v4 the bot uses, with the statuses,
// error IDs and validation of a real server (see
// /work/shared/mattermost-wire.md), and records everything the bot did.
// It also plays the platform toward the bot: it sends slash commands, dialog
// submissions and button clicks exactly as a Mattermost 10.12 server forms
// them, records every request it sends (Sent), and, like DoActionRequest,
// adds the user's session token to those whose URL is a plugin route on
// the site's hostname (SessionLeaks). Like StripActionIntegrations, every
// answer that carries a post has its buttons' integrations (URL and
// context) stripped, whoever asks; the stored post keeps them for clicks.
//
// It keeps no system messages (joins, header changes) and knows only the
// permissions the bot's calls need: channel membership, team membership,
// post authorship, and system permissions such as create_post_ephemeral
// through the default system roles (GrantRole changes them).
package mmtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// TriggerTTL is how long a trigger ID is valid: the server's outgoing
// request timeout.
const TriggerTTL = 30 * time.Second

// PermissionEphemeral is the permission POST /posts/ephemeral needs; only
// system admins have it unless granted.
const PermissionEphemeral = "create_post_ephemeral"

// Server is a Mattermost server. Its methods are safe for concurrent use.
type Server struct {
	// URL is the site URL, e.g. http://127.0.0.1:PORT.
	URL string

	srv  *httptest.Server
	http *http.Client
	now  func() time.Time
	t    testing.TB
	// version is the Mattermost version played (WithVersion).
	version string

	// postFault, when set, is asked before each post write (POST /posts,
	// PUT /posts/{id}/patch) is handled; see SetPostFault.
	postFault atomic.Pointer[func(*http.Request) Fault]

	mu           sync.Mutex
	users        map[string]*model.User
	tokens       map[string]string // access token → user ID
	sessions     map[string]string // user ID → session token of their web client
	perms        map[string]map[string]bool
	accessTokens []*model.UserAccessToken // personal access tokens, with their secrets, in issue order
	roles        map[string]*model.Role   // by name: the default roles, as changed by GrantRole
	plugins      pluginState              // see plugins.go
	teams        map[string]*model.Team
	teamMembers  map[string]map[string]bool
	channels     map[string]*model.Channel
	channelOrder []string
	members      map[string]map[string]bool
	posts        map[string][]byte // post ID → JSON of its current version
	postOrder    []string
	history      map[string][][]byte
	ephemerals   []Ephemeral
	dialogs      []OpenedDialog
	executed     []ExecutedCommand
	triggers     map[string]trigger
	commands     []*model.Command
	bots         map[string]*model.Bot
	responseURLs map[string]trigger
	requests     []Request
	sent         []SentRequest
	warnings     []string
	offered      map[string]map[string]bool // values lookups offered, by offeredKey
}

// Fault is what SetPostFault's function makes of one post write: the
// write waits Delay, then is handled as usual, or, when Status is not 0,
// answered with that status (an app error) without being applied, as a
// server that is overloaded or down answers.
type Fault struct {
	Delay  time.Duration
	Status int
	// RetryAfter is the wait a 429 asks for, in whole seconds (1 when 0):
	// Mattermost's rate limiter (RateLimitSettings, the throttled library)
	// answers 429 with Retry-After and X-RateLimit-* headers and a plain
	// "limit exceeded" body.
	RetryAfter time.Duration
}

// SetPostFault makes f decide, for each post write (POST /posts, PUT
// /posts/{id}/patch) received from now on, whether it is delayed or
// refused; nil restores normal service. A delayed write is applied when
// its delay ends, as a slow server applies it: a later write may land
// first. f is called concurrently.
func (s *Server) SetPostFault(f func(r *http.Request) Fault) {
	if f == nil {
		s.postFault.Store(nil)
		return
	}
	s.postFault.Store(&f)
}

// faulty wraps a post write handler with the fault SetPostFault set.
func (s *Server) faulty(h func(w http.ResponseWriter, r *http.Request, me string)) func(w http.ResponseWriter, r *http.Request, me string) {
	return func(w http.ResponseWriter, r *http.Request, me string) {
		if f := s.postFault.Load(); f != nil {
			fault := (*f)(r)
			if fault.Delay > 0 {
				select {
				case <-time.After(fault.Delay):
				case <-r.Context().Done():
					return
				}
			}
			if fault.Status == http.StatusTooManyRequests {
				secs := strconv.Itoa(max(int(fault.RetryAfter/time.Second), 1))
				w.Header().Set("X-RateLimit-Limit", "10")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", secs)
				w.Header().Set("Retry-After", secs)
				http.Error(w, "limit exceeded", http.StatusTooManyRequests)
				return
			}
			if fault.Status != 0 {
				appError(w, fault.Status, "api.context.fault.app_error", "The server is not available.")
				return
			}
		}
		h(w, r, me)
	}
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the server read the time from now, for trigger expiry
// and timestamps.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New starts a Server, closed when t ends.
func New(t testing.TB, opts ...Option) *Server {
	s := &Server{
		now: time.Now, t: t, users: map[string]*model.User{}, tokens: map[string]string{}, sessions: map[string]string{},
		perms: map[string]map[string]bool{}, teams: map[string]*model.Team{},
		teamMembers: map[string]map[string]bool{}, channels: map[string]*model.Channel{},
		members: map[string]map[string]bool{}, posts: map[string][]byte{},
		history: map[string][][]byte{}, bots: map[string]*model.Bot{}, triggers: map[string]trigger{}, responseURLs: map[string]trigger{},
		roles: defaultRoles(), version: Version1012, offered: map[string]map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	s.http = &http.Client{Timeout: 30 * time.Second} // Mattermost's outgoing timeout
	t.Cleanup(s.srv.Close)
	return s
}

// Ephemeral is a message shown to one user only: an ephemeral post of the
// bot, or an ephemeral reply to a command or a button click.
type Ephemeral struct {
	UserID    string
	ChannelID string
	Message   string
	// Source is "api" (POST /posts/ephemeral), "command" or "action".
	Source string
	// Props are the post's props, for a command's answer: Mattermost adds
	// from_webhook and override_icon_url.
	Props model.StringInterface
}

// OpenedDialog is a dialog the bot opened, for the user and in the channel
// of the trigger ID it used.
type OpenedDialog struct {
	model.OpenDialogRequest
	UserID    string
	ChannelID string
	TeamID    string
	OpenedBy  string // the user whose token opened it
}

// ExecutedCommand is a slash command run through POST /commands/execute.
type ExecutedCommand struct {
	UserID    string // whose token ran it
	ChannelID string
	Command   string
	TriggerID string
}

// Request is one REST call received.
type Request struct {
	Method string
	Path   string
	UserID string // "" when unauthenticated
}

// SentRequest is one request this server sent to an integration (a slash
// command, a dialog submission, a button click), as it left.
type SentRequest struct {
	Method string
	URL    string
	Header http.Header
}

// trigger is an issued trigger ID (or response URL): who, where, when,
// and for a response URL the command it answers.
type trigger struct {
	userID, channelID, teamID string
	issued                    time.Time
	commandID                 string
}

// AddTeam creates a team.
func (s *Server) AddTeam(name string) *model.Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &model.Team{Id: model.NewId(), Name: name, DisplayName: name, Type: model.TeamOpen, CreateAt: s.millis()}
	s.teams[t.Id] = t
	s.teamMembers[t.Id] = map[string]bool{}
	return clone(t)
}

// AddUser creates a user who belongs to teamIDs.
func (s *Server) AddUser(username string, teamIDs ...string) *model.User {
	return s.addUser(username, false, model.SystemUserRoleId, teamIDs)
}

// AddAdmin creates a system admin who belongs to teamIDs.
func (s *Server) AddAdmin(username string, teamIDs ...string) *model.User {
	return s.addUser(username, false, model.SystemUserRoleId+" "+model.SystemAdminRoleId, teamIDs)
}

// AddBot creates a bot account that belongs to teamIDs and returns it with
// a personal access token.
func (s *Server) AddBot(username string, teamIDs ...string) (*model.User, string) {
	u := s.addUser(username, true, model.SystemUserRoleId, teamIDs)
	return u, s.AddToken(u.Id)
}

func (s *Server) addUser(username string, isBot bool, roles string, teamIDs []string) *model.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &model.User{Id: model.NewId(), Username: username, Email: username + "@example.com",
		IsBot: isBot, Roles: roles, CreateAt: s.millis()}
	s.users[u.Id] = u
	if !isBot { // a person is logged in to the web client, with a session
		tok := model.NewId()
		s.sessions[u.Id] = tok
		s.tokens[tok] = u.Id
	}
	for _, t := range teamIDs {
		if s.teamMembers[t] == nil {
			panic("mmtest: no team " + t)
		}
		s.teamMembers[t][u.Id] = true
	}
	return clone(u)
}

// AddToken issues a personal access token for a user.
func (s *Server) AddToken(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueToken(userID, "added by the test").Token
}

// SessionToken returns the token of a user's web client session, which
// authenticates REST calls as that user. Mattermost sends it to an
// integration only by mistake (see SessionLeaks).
func (s *Server) SessionToken(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[userID]
}

// Sent returns the requests sent to integrations so far, oldest first.
func (s *Server) Sent() []SentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SentRequest, len(s.sent))
	for i, r := range s.sent {
		out[i] = SentRequest{Method: r.Method, URL: r.URL, Header: r.Header.Clone()}
	}
	return out
}

// SessionLeaks returns the requests sent to integrations that carried a
// user's session token in any header: what a bot must never receive.
func (s *Server) SessionLeaks() []SentRequest {
	s.mu.Lock()
	tokens := make([]string, 0, len(s.sessions))
	for _, tok := range s.sessions {
		tokens = append(tokens, tok)
	}
	s.mu.Unlock()
	var out []SentRequest
	for _, r := range s.Sent() {
		if carriesAny(r.Header, tokens) {
			out = append(out, r)
		}
	}
	return out
}

// carriesAny reports whether a header value contains one of tokens.
func carriesAny(h http.Header, tokens []string) bool {
	for _, values := range h {
		for _, v := range values {
			for _, tok := range tokens {
				if strings.Contains(v, tok) {
					return true
				}
			}
		}
	}
	return false
}

// record remembers a request about to be sent to an integration.
func (s *Server) record(req *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, SentRequest{Method: req.Method, URL: req.URL.String(), Header: req.Header.Clone()})
}

// isPluginRoute reports whether Mattermost 10.12's DoActionRequest takes
// rawURL for a plugin's route, and so adds the user's session token: its
// path starts with /plugins and its hostname is the site URL's (whatever
// the ports).
func (s *Server) isPluginRoute(rawURL string) bool {
	u, err := url.Parse(rawURL)
	site, err2 := url.Parse(s.URL)
	if err != nil || err2 != nil {
		return false
	}
	return strings.HasPrefix(u.Path, "/plugins") && u.Hostname() == site.Hostname()
}

// Grant gives one user a permission, such as PermissionEphemeral, as a
// custom role would. Team Edition has no such thing (GrantRole is what an
// admin there can do), and the roles API does not show it.
func (s *Server) Grant(userID, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perms[userID] == nil {
		s.perms[userID] = map[string]bool{}
	}
	s.perms[userID][permission] = true
}

// Revoke takes a permission back from a user.
func (s *Server) Revoke(userID, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.perms[userID], permission)
}

// AddChannel creates a channel of a team ("O" open or "P" private) with
// the given members.
func (s *Server) AddChannel(teamID, name string, typ model.ChannelType, memberIDs ...string) *model.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := &model.Channel{Id: model.NewId(), TeamId: teamID, Name: name, DisplayName: name, Type: typ,
		CreateAt: s.millis(), UpdateAt: s.millis()}
	s.channels[ch.Id] = ch
	s.channelOrder = append(s.channelOrder, ch.Id)
	s.members[ch.Id] = map[string]bool{}
	for _, id := range memberIDs {
		s.members[ch.Id][id] = true
	}
	return clone(ch)
}

// AddChannelMember makes a user a member of a channel.
func (s *Server) AddChannelMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[channelID][userID] = true
}

// RegisterCommand registers a custom slash command of a team, as an admin
// does in Integrations, and returns its token.
func (s *Server) RegisterCommand(teamID, trigger, url string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &model.Command{Id: model.NewId(), Token: model.NewId(), TeamId: teamID, Trigger: trigger, URL: url,
		Method: model.CommandMethodPost, CreateAt: s.millis(), UpdateAt: s.millis()}
	s.commands = append(s.commands, c)
	return c.Token
}

// Commands returns the custom slash commands of a team, deleted ones
// included.
func (s *Server) Commands(teamID string) []*model.Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.Command
	for _, c := range s.commands {
		if c.TeamId == teamID {
			out = append(out, clone(c))
		}
	}
	return out
}

// User returns a user.
func (s *Server) User(id string) (*model.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	return clone(u), ok
}

// Channel returns a channel.
func (s *Server) Channel(id string) (*model.Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	return clone(ch), ok
}

// Channels returns the channels of a team in the order they were created.
func (s *Server) Channels(teamID string) []*model.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.Channel
	for _, id := range s.channelOrder {
		if ch := s.channels[id]; ch.TeamId == teamID {
			out = append(out, clone(ch))
		}
	}
	return out
}

// Members returns the user IDs of a channel's members, sorted.
func (s *Server) Members(channelID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.members[channelID] {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Posts returns the posts of a channel, oldest first, as they are now.
func (s *Server) Posts(channelID string) []*model.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.Post
	for _, id := range s.postOrder {
		if b, ok := s.posts[id]; !ok {
			continue // deleted
		} else if p := decodePost(b); p.ChannelId == channelID {
			out = append(out, p)
		}
	}
	return out
}

// Post returns a post as it is now.
func (s *Server) Post(id string) (*model.Post, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.posts[id]
	if !ok {
		return nil, false
	}
	return decodePost(b), true
}

// DeletePost deletes a post, as its author or an admin can in the app:
// it is gone from the channel, and reading or patching it is a 404.
func (s *Server) DeletePost(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.posts, id)
}

// PostJSON returns a post as Mattermost stores it, in JSON.
func (s *Server) PostJSON(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts[id])
}

// PostHistory returns every version of a post: as created, then after
// each patch.
func (s *Server) PostHistory(id string) []*model.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*model.Post, len(s.history[id]))
	for i, b := range s.history[id] {
		out[i] = decodePost(b)
	}
	return out
}

// Ephemerals returns the ephemeral messages shown so far.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Dialogs returns the dialogs opened so far.
func (s *Server) Dialogs() []OpenedDialog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dialogs)
}

// LastDialog returns the dialog opened last.
func (s *Server) LastDialog() (OpenedDialog, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dialogs) == 0 {
		return OpenedDialog{}, false
	}
	return s.dialogs[len(s.dialogs)-1], true
}

// Executed returns the slash commands run through the REST API.
func (s *Server) Executed() []ExecutedCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.executed)
}

// Requests returns the REST calls received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// CountRequests counts the REST calls with this method whose path starts
// with prefix.
func (s *Server) CountRequests(method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// IssueTrigger issues a trigger ID for a user in a channel, as a slash
// command or a click does.
func (s *Server) IssueTrigger(userID, channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTrigger(userID, channelID)
}

func (s *Server) issueTrigger(userID, channelID string) string {
	id := model.NewId() + model.NewId()
	teamID := ""
	if ch, ok := s.channels[channelID]; ok {
		teamID = ch.TeamId
	}
	s.triggers[id] = trigger{userID: userID, channelID: channelID, teamID: teamID, issued: s.now()}
	return id
}

// millis is the current time in Mattermost's milliseconds.
func (s *Server) millis() int64 { return s.now().UnixMilli() }

// can reports whether a user has a permission: through one of their
// system roles, a Grant, or as a system admin.
func (s *Server) can(userID, permission string) bool {
	if s.perms[userID][permission] || s.isAdmin(userID) {
		return true
	}
	if u, ok := s.users[userID]; ok {
		for _, name := range strings.Fields(u.Roles) {
			if r := s.roles[name]; r != nil && slices.Contains(r.Permissions, permission) {
				return true
			}
		}
	}
	return false
}

// canRead reports whether a user may read (and post in) a channel: a
// member, or for an open channel a member of its team.
func (s *Server) canRead(userID string, ch *model.Channel) bool {
	if s.members[ch.Id][userID] || s.isAdmin(userID) {
		return true
	}
	return ch.Type == model.ChannelTypeOpen && s.teamMembers[ch.TeamId][userID]
}

// clone returns a deep copy of v through JSON, so that callers cannot
// change the server's state.
func clone[T any](v *T) *T {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func decodePost(b []byte) *model.Post {
	var p model.Post
	if err := json.Unmarshal(b, &p); err != nil {
		panic(err)
	}
	return &p
}
