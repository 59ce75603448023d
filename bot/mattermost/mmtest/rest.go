package mmtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"
)

// routes registers the REST API v4 calls the bot makes, and the response
// URLs of slash commands. Anything else is a 404, as on a real server.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request, me string)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /api/v4"+path, s.authed(h))
	}
	api("GET /users/me", s.getMe)
	api("GET /users/{id}", s.getUser)
	api("GET /users/{a}/{b}", s.getUserSub) // /users/username/{name} and /users/{id}/teams
	api("GET /teams/{id}", s.getTeam)
	api("GET /teams/name/{name}", s.getTeamByName)
	api("POST /channels", s.createChannel)
	api("GET /channels/{id}", s.getChannel)
	api("GET /channels/{id}/stats", s.getChannelStats)
	api("POST /channels/{id}/members", s.addMember)
	api("GET /channels/{id}/members/{user_id}", s.getMember)
	api("POST /posts", s.faulty(s.createPost))
	api("GET /posts/{id}", s.getPost)
	api("PUT /posts/{id}/patch", s.faulty(s.patchPost))
	api("POST /posts/ephemeral", s.createEphemeral)
	api("POST /actions/dialogs/open", s.openDialog)
	api("POST /actions/dialogs/lookup", s.lookupDialog)
	api("POST /commands/execute", s.executeCommand)
	api("POST /users/{id}/tokens", s.createToken)
	api("POST /bots", s.createBot)
	api("POST /bots/{id}/enable", s.enableBot)
	api("POST /teams/{id}/members", s.addTeamMember)
	api("GET /commands", s.listCommands)
	api("POST /commands", s.createCommand)
	api("PUT /commands/{id}", s.updateCommand)
	api("DELETE /commands/{id}", s.deleteCommand)
	api("POST /channels/direct", s.createDirectChannel)
	api("GET /users/{id}/tokens", s.listTokens)
	api("POST /users/tokens/revoke", s.revokeToken)
	api("GET /roles/name/{name}", s.getRoleByName)
	api("POST /roles/names", s.getRolesByNames)
	api("GET /plugins", s.getPlugins)
	mux.HandleFunc("GET /api/v4/system/ping", s.ping)
	mux.HandleFunc("GET /api/v4/config/client", s.clientConfig)
	mux.HandleFunc("POST /hooks/commands/{id}", s.commandHook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		appError(w, http.StatusNotFound, "api.context.404.app_error", "Sorry, we could not find the page.")
	})
	return s.versioned(mux)
}

// authed authenticates a REST call by its access token ("Authorization:
// Bearer <token>", or the "Token" scheme) and records it.
func (s *Server) authed(h func(w http.ResponseWriter, r *http.Request, me string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get(model.HeaderAuth), " ")
		s.mu.Lock()
		me := ""
		if strings.EqualFold(scheme, model.HeaderBearer) || strings.EqualFold(scheme, model.HeaderToken) {
			me = s.tokens[strings.TrimSpace(token)]
		}
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, UserID: me})
		s.mu.Unlock()
		if me == "" {
			appError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
			return
		}
		h(w, r, me)
	}
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.users[me])
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, me string) {
	id := r.PathValue("id")
	if !model.IsValidId(id) {
		appError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing user_id parameter in request URL.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		missingUser(w)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// getUserSub serves GET /users/username/{name}, GET /users/{id}/teams and
// GET /users/{id}/image, which net/http cannot tell apart by pattern.
func (s *Server) getUserSub(w http.ResponseWriter, r *http.Request, me string) {
	switch a, b := r.PathValue("a"), r.PathValue("b"); {
	case a == "username":
		s.getUserByName(w, b)
	case b == "teams":
		s.getUserTeams(w, a, me)
	case b == "image":
		s.userImage(w, a)
	default:
		appError(w, http.StatusNotFound, "api.context.404.app_error", "Sorry, we could not find the page.")
	}
}

func (s *Server) getUserByName(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Username == name {
			writeJSON(w, http.StatusOK, u)
			return
		}
	}
	missingUser(w)
}

func (s *Server) getUserTeams(w http.ResponseWriter, id, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != me && !s.isAdmin(me) {
		forbidden(w)
		return
	}
	teams := []*model.Team{}
	for tid, members := range s.teamMembers {
		if members[id] {
			teams = append(teams, s.teams[tid])
		}
	}
	writeJSON(w, http.StatusOK, teams)
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeTeam(w, s.teams[r.PathValue("id")], me)
}

func (s *Server) getTeamByName(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var team *model.Team
	for _, t := range s.teams {
		if t.Name == r.PathValue("name") {
			team = t
		}
	}
	s.writeTeam(w, team, me)
}

func (s *Server) writeTeam(w http.ResponseWriter, t *model.Team, me string) {
	switch {
	case t == nil:
		appError(w, http.StatusNotFound, "app.team.get.find.app_error", "Unable to find the existing team.")
	case !s.teamMembers[t.Id][me] && !s.isAdmin(me):
		forbidden(w)
	default:
		writeJSON(w, http.StatusOK, t)
	}
}

// createChannel creates an open or private channel whose creator is its
// first member. Names are lower-case letters, digits and dashes, 2 to 64
// characters, unique in the team: a taken name gets the 400 that
// Mattermost answers, with ID store.sql_channel.save_channel.exists.app_error.
func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, me string) {
	var ch model.Channel
	if err := json.NewDecoder(r.Body).Decode(&ch); err != nil {
		invalidParam(w, "channel")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.teams[ch.TeamId] == nil:
		invalidParam(w, "channel.team_id")
		return
	case !s.teamMembers[ch.TeamId][me]:
		forbidden(w)
		return
	case ch.Type != model.ChannelTypeOpen && ch.Type != model.ChannelTypePrivate:
		appError(w, http.StatusBadRequest, "model.channel.is_valid.type.app_error", "Invalid type.")
		return
	case len(ch.Name) < 2 || len(ch.Name) > model.ChannelNameMaxLength || !model.IsValidChannelIdentifier(ch.Name) || strings.Contains(ch.Name, "_"):
		appError(w, http.StatusBadRequest, "model.channel.is_valid.2_or_more.app_error", "Name must be 2 or more lowercase alphanumeric characters.")
		return
	case ch.DisplayName == "" || utf8.RuneCountInString(ch.DisplayName) > model.ChannelDisplayNameMaxRunes:
		appError(w, http.StatusBadRequest, "model.channel.is_valid.display_name.app_error", "Invalid display name.")
		return
	}
	for _, other := range s.channels {
		if other.TeamId == ch.TeamId && other.Name == ch.Name {
			appError(w, http.StatusBadRequest, "store.sql_channel.save_channel.exists.app_error",
				"A channel with that name already exists on the same team.")
			return
		}
	}
	now := s.millis()
	created := &model.Channel{Id: model.NewId(), TeamId: ch.TeamId, Name: ch.Name, DisplayName: ch.DisplayName,
		Type: ch.Type, Purpose: ch.Purpose, Header: ch.Header, CreatorId: me, CreateAt: now, UpdateAt: now}
	s.channels[created.Id] = created
	s.channelOrder = append(s.channelOrder, created.Id)
	s.members[created.Id] = map[string]bool{me: true}
	writeJSON(w, http.StatusCreated, created)
}

// channel returns a channel the user may read, or answers 404 or 403.
func (s *Server) channel(w http.ResponseWriter, id, me string) (*model.Channel, bool) {
	ch, ok := s.channels[id]
	if !ok {
		appError(w, http.StatusNotFound, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
		return nil, false
	}
	if !s.canRead(me, ch) {
		forbidden(w)
		return nil, false
	}
	return ch, true
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channel(w, r.PathValue("id"), me); ok {
		writeJSON(w, http.StatusOK, ch)
	}
}

func (s *Server) getChannelStats(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channel(w, r.PathValue("id"), me)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, model.ChannelStats{ChannelId: ch.Id, MemberCount: int64(len(s.members[ch.Id]))})
}

// getMember answers whether a user is in a channel: the membership, or 404
// as Mattermost does for a non-member.
func (s *Server) getMember(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channel(w, r.PathValue("id"), me)
	if !ok {
		return
	}
	user := r.PathValue("user_id")
	if !s.members[ch.Id][user] {
		appError(w, http.StatusNotFound, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.")
		return
	}
	writeJSON(w, http.StatusOK, model.ChannelMember{ChannelId: ch.Id, UserId: user, Roles: "channel_user"})
}

// addMember adds a user of the channel's team to it; adding a member again
// changes nothing. Only members may add to a private channel.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, me string) {
	var body struct {
		UserID string `json:"user_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !model.IsValidId(body.UserID) {
		invalidParam(w, "user_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channel(w, r.PathValue("id"), me)
	if !ok {
		return
	}
	if ch.Type == model.ChannelTypePrivate && !s.members[ch.Id][me] {
		forbidden(w)
		return
	}
	if _, ok := s.users[body.UserID]; !ok {
		missingUser(w)
		return
	}
	if !s.teamMembers[ch.TeamId][body.UserID] {
		appError(w, http.StatusForbidden, "api.channel.add_members.user_denied", "The user is not a member of the channel's team.")
		return
	}
	s.members[ch.Id][body.UserID] = true
	writeJSON(w, http.StatusCreated, model.ChannelMember{ChannelId: ch.Id, UserId: body.UserID,
		Roles: "channel_user", NotifyProps: model.GetDefaultChannelNotifyProps()})
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// appError answers with a Mattermost error body.
func appError(w http.ResponseWriter, status int, id, message string) {
	writeJSON(w, status, map[string]any{
		"id": id, "message": message, "detailed_error": "", "request_id": model.NewId(), "status_code": status,
	})
}

func forbidden(w http.ResponseWriter) {
	appError(w, http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
}

func missingUser(w http.ResponseWriter) {
	appError(w, http.StatusNotFound, "app.user.missing_account.const", "Unable to find the user.")
}

func invalidParam(w http.ResponseWriter, name string) {
	appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing "+name+" in request body.")
}

// RemoveChannelMember takes a user out of a channel, as leaving it or
// being removed from it does.
func (s *Server) RemoveChannelMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members[channelID], userID)
}
