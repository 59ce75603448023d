package mmtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// The calls of `playbooks mattermost setup`, made once with a system
// admin's token: bot account, team membership, access token and the
// /playbook command. Only system admins may make them here (a real server
// also lets team admins manage their team's commands).

// createBot creates a bot account and its user.
func (s *Server) createBot(w http.ResponseWriter, r *http.Request, me string) {
	var b model.Bot
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Username == "" {
		invalidParam(w, "bot")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	for _, u := range s.users {
		if u.Username == b.Username {
			appError(w, http.StatusBadRequest, "app.user.save.username_exists.app_error", "An account with that username already exists.")
			return
		}
	}
	now := s.millis()
	u := &model.User{Id: model.NewId(), Username: b.Username, Email: b.Username + "@localhost", IsBot: true,
		Roles: model.SystemUserRoleId, CreateAt: now}
	s.users[u.Id] = u
	bot := &model.Bot{UserId: u.Id, Username: b.Username, DisplayName: b.DisplayName, Description: b.Description,
		OwnerId: me, CreateAt: now, UpdateAt: now}
	s.bots[u.Id] = bot
	writeJSON(w, http.StatusCreated, bot)
}

// enableBot enables a (possibly disabled) bot.
func (s *Server) enableBot(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	bot, ok := s.bots[r.PathValue("id")]
	if !ok {
		if u, isUser := s.users[r.PathValue("id")]; isUser && u.IsBot { // made with AddBot
			bot = &model.Bot{UserId: u.Id, Username: u.Username, CreateAt: u.CreateAt}
			s.bots[u.Id], ok = bot, true
		}
	}
	if !ok {
		appError(w, http.StatusNotFound, "store.sql_bot.get.missing.app_error", "Bot does not exist.")
		return
	}
	bot.DeleteAt = 0
	writeJSON(w, http.StatusOK, bot)
}

// addTeamMember adds a user to a team; adding a member again changes
// nothing.
func (s *Server) addTeamMember(w http.ResponseWriter, r *http.Request, me string) {
	var m model.TeamMember
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || !model.IsValidId(m.UserId) {
		invalidParam(w, "team_member")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	team := r.PathValue("id")
	switch {
	case s.teams[team] == nil:
		appError(w, http.StatusNotFound, "app.team.get.find.app_error", "Unable to find the existing team.")
		return
	case !s.isAdmin(me):
		forbidden(w)
		return
	case s.users[m.UserId] == nil:
		missingUser(w)
		return
	}
	s.teamMembers[team][m.UserId] = true
	writeJSON(w, http.StatusCreated, model.TeamMember{TeamId: team, UserId: m.UserId, Roles: "team_user", SchemeUser: true})
}

// createToken issues a personal access token for a user; the secret is in
// the answer only.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, me string) {
	var body model.UserAccessToken
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Description == "" {
		appError(w, http.StatusBadRequest, "api.user.create_user_access_token.app_error", "A description is required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user := r.PathValue("id")
	if user != me && !s.isAdmin(me) {
		forbidden(w)
		return
	}
	if s.users[user] == nil {
		missingUser(w)
		return
	}
	writeJSON(w, http.StatusOK, s.issueToken(user, body.Description))
}

// issueToken issues a personal access token and returns it with its
// secret. Callers hold s.mu.
func (s *Server) issueToken(userID, description string) model.UserAccessToken {
	t := &model.UserAccessToken{Id: model.NewId(), Token: model.NewId(), UserId: userID, Description: description, IsActive: true}
	s.tokens[t.Token] = userID
	s.accessTokens = append(s.accessTokens, t)
	return *t
}

// listTokens lists a user's personal access tokens without their secrets,
// a page at a time (?page=0&per_page=60). Only admins may: by default a
// user lacks read_user_access_token.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, me string) {
	page, perPage, ok := paging(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	out := []model.UserAccessToken{}
	for _, t := range s.accessTokens {
		if t.UserId == r.PathValue("id") {
			sanitized := *t
			sanitized.Token = ""
			out = append(out, sanitized)
		}
	}
	from, to := min(page*perPage, len(out)), min((page+1)*perPage, len(out))
	writeJSON(w, http.StatusOK, out[from:to])
}

// revokeToken deletes a personal access token by its ID
// ({"token_id":...}); the token stops working at once. Only admins may.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, me string) {
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["token_id"] == "" {
		invalidParam(w, "token_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	i := slices.IndexFunc(s.accessTokens, func(t *model.UserAccessToken) bool { return t.Id == body["token_id"] })
	if i < 0 {
		appError(w, http.StatusNotFound, "app.user_access_token.get_by_user.app_error", "Unable to get user access tokens by user.")
		return
	}
	delete(s.tokens, s.accessTokens[i].Token)
	s.accessTokens = slices.Delete(s.accessTokens, i, i+1)
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

// Tokens returns the personal access tokens of a user, with their
// secrets, in the order they were issued.
func (s *Server) Tokens(userID string) []model.UserAccessToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []model.UserAccessToken
	for _, t := range s.accessTokens {
		if t.UserId == userID {
			out = append(out, *t)
		}
	}
	return out
}

// paging reads ?page and ?per_page as Mattermost does: page from 0,
// per_page 60 by default and at most 200.
func paging(w http.ResponseWriter, r *http.Request) (page, perPage int, ok bool) {
	page, perPage = 0, 60
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			appError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing page parameter in request URL.")
			return 0, 0, false
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			appError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing per_page parameter in request URL.")
			return 0, 0, false
		}
		perPage = min(n, 200)
	}
	return page, perPage, true
}

// defaultRoles returns the system roles of a new server, with the default
// permissions of the Mattermost model this server is built with.
func defaultRoles() map[string]*model.Role {
	roles := model.MakeDefaultRoles()
	for _, r := range roles {
		r.Id = model.NewId()
	}
	return roles
}

// GrantRole adds a permission to a role, as an admin does in the System
// Console (PUT /roles/{id}/patch): granting create_post_ephemeral to
// system_user grants it to every user, bots included.
func (s *Server) GrantRole(roleName, permission string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[roleName]
	if r == nil {
		panic("mmtest: no role " + roleName)
	}
	if !slices.Contains(r.Permissions, permission) {
		r.Permissions = append(r.Permissions, permission)
	}
}

// getRoleByName answers GET /roles/name/{name}; any user may read roles.
func (s *Server) getRoleByName(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	role := s.roles[r.PathValue("name")]
	if role == nil {
		appError(w, http.StatusNotFound, "app.role.get_by_name.app_error", "Unable to get role.")
		return
	}
	writeJSON(w, http.StatusOK, role)
}

// getRolesByNames answers POST /roles/names with the roles of the given
// names that exist.
func (s *Server) getRolesByNames(w http.ResponseWriter, r *http.Request, me string) {
	var names []string
	if err := json.NewDecoder(r.Body).Decode(&names); err != nil || len(names) == 0 {
		invalidParam(w, "rolenames")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*model.Role{}
	for _, n := range names {
		if !model.IsValidRoleName(n) {
			invalidParam(w, "rolename")
			return
		}
		if role := s.roles[n]; role != nil {
			out = append(out, role)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// listCommands lists a team's custom commands (custom_only is implied:
// this server has no plugin or built-in commands to list).
func (s *Server) listCommands(w http.ResponseWriter, r *http.Request, me string) {
	team := r.URL.Query().Get("team_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	out := []*model.Command{}
	for _, c := range s.commands {
		if c.TeamId == team && c.DeleteAt == 0 {
			out = append(out, c)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// createCommand registers a custom command with a new token.
func (s *Server) createCommand(w http.ResponseWriter, r *http.Request, me string) {
	var c model.Command
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
		invalidParam(w, "command")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	if !s.validCommand(w, &c, "") {
		return
	}
	c.Id, c.Token, c.CreatorId, c.CreateAt, c.UpdateAt, c.DeleteAt = model.NewId(), model.NewId(), me, s.millis(), s.millis(), 0
	c.AutocompleteData = nil // dropped, as the wire doc says
	s.commands = append(s.commands, &c)
	writeJSON(w, http.StatusCreated, &c)
}

// updateCommand changes a custom command; its ID, token, creator and team
// stay.
func (s *Server) updateCommand(w http.ResponseWriter, r *http.Request, me string) {
	var c model.Command
	if err := json.NewDecoder(r.Body).Decode(&c); err != nil || c.Id != r.PathValue("id") {
		invalidParam(w, "command")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	var old *model.Command
	for _, o := range s.commands {
		if o.Id == c.Id && o.DeleteAt == 0 {
			old = o
		}
	}
	if old == nil {
		appError(w, http.StatusNotFound, "app.command.getcommand.app_error", "Unable to get the command.")
		return
	}
	if !s.validCommand(w, &c, old.Id) {
		return
	}
	c.Token, c.CreatorId, c.TeamId, c.CreateAt, c.UpdateAt = old.Token, old.CreatorId, old.TeamId, old.CreateAt, s.millis()
	c.AutocompleteData = nil
	*old = c
	writeJSON(w, http.StatusOK, old)
}

// deleteCommand deletes a custom command as Mattermost 10 does: it is
// marked deleted (DeleteAt), so that it is listed no more, its trigger is
// free again, and deleting it again is a 404, as for an unknown ID.
func (s *Server) deleteCommand(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	i := slices.IndexFunc(s.commands, func(c *model.Command) bool { return c.Id == r.PathValue("id") && c.DeleteAt == 0 })
	if i < 0 {
		appError(w, http.StatusNotFound, "app.command.getcommand.app_error", "Unable to get the command.")
		return
	}
	now := s.millis()
	s.commands[i].DeleteAt, s.commands[i].UpdateAt = now, now
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

// validCommand checks a command's team, trigger, URL and method, and that
// no other command of the team (but the one of ID self) has its trigger.
func (s *Server) validCommand(w http.ResponseWriter, c *model.Command, self string) bool {
	switch {
	case s.teams[c.TeamId] == nil:
		invalidParam(w, "command.team_id")
	case c.Trigger == "" || strings.HasPrefix(c.Trigger, "/") || strings.Contains(c.Trigger, " "):
		appError(w, http.StatusBadRequest, "model.command.is_valid.trigger.app_error", "Invalid trigger.")
	case !model.IsValidHTTPURL(c.URL):
		appError(w, http.StatusBadRequest, "model.command.is_valid.url_http.app_error", "Invalid URL. Must be a valid URL and start with http:// or https://.")
	case c.Method != model.CommandMethodPost && c.Method != model.CommandMethodGet:
		appError(w, http.StatusBadRequest, "model.command.is_valid.method.app_error", "Invalid method.")
	default:
		for _, o := range s.commands {
			if o.TeamId == c.TeamId && o.Trigger == c.Trigger && o.DeleteAt == 0 && o.Id != self {
				appError(w, http.StatusBadRequest, "api.command.duplicate_trigger.app_error", "This trigger word is already in use. Please choose another word.")
				return false
			}
		}
		return true
	}
	return false
}
