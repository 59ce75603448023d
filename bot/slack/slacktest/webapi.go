package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// api serves one Web API method, answering like Slack: status 200 with
// {"ok":true,...} or {"ok":false,"error":"..."}.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	s.mu.Lock()
	s.calls = append(s.calls, method)
	d := s.delay[method]
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	var args map[string]any
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&args); err != nil {
			reply(w, nil, "invalid_json")
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			reply(w, nil, "invalid_form_data")
			return
		}
		args = map[string]any{}
		for k, v := range r.PostForm {
			args[k] = v[0]
		}
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok, ok := args["token"].(string); ok && token == "" {
		token = tok
	}
	if token != s.BotToken {
		reply(w, nil, "invalid_auth")
		return
	}
	h, ok := s.methods()[method]
	if !ok {
		reply(w, nil, "unknown_method")
		return
	}
	s.mu.Lock()
	out, errCode := h(args)
	s.mu.Unlock()
	reply(w, out, errCode)
}

func reply(w http.ResponseWriter, out map[string]any, errCode string) {
	if out == nil {
		out = map[string]any{}
	}
	out["ok"] = errCode == ""
	if errCode != "" {
		out["error"] = errCode
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

type method func(args map[string]any) (map[string]any, string)

func (s *Server) methods() map[string]method {
	return map[string]method{
		"conversations.create":  s.conversationsCreate,
		"conversations.invite":  s.conversationsInvite,
		"conversations.info":    s.conversationsInfo,
		"conversations.members": s.conversationsMembers,
		"chat.postMessage":      s.chatPostMessage,
		"chat.update":           s.chatUpdate,
		"chat.postEphemeral":    s.chatPostEphemeral,
		"views.open":            s.viewsOpen,
		"users.info":            s.usersInfo,
		"users.list":            s.usersList,
		"users.conversations":   s.usersConversations,
		"team.info":             s.teamInfo,
	}
}

func str(args map[string]any, k string) string {
	v, _ := args[k].(string)
	return v
}

var channelNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

func channelJSON(c *Channel) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "is_private": c.Private, "is_channel": !c.Private,
		"is_group": c.Private, "num_members": len(c.Members)}
}

func (s *Server) conversationsCreate(args map[string]any) (map[string]any, string) {
	name := str(args, "name")
	if !channelNameRE.MatchString(name) {
		return nil, "invalid_name_specials"
	}
	for _, c := range s.channels {
		if c.Name == name {
			return nil, "name_taken"
		}
	}
	c := &Channel{ID: s.nextID("C"), Name: name, Private: str(args, "is_private") == "true", Members: []string{s.BotUserID}}
	if c.Private {
		c.ID = "G" + c.ID[1:]
	}
	s.channels[c.ID] = c
	return map[string]any{"channel": channelJSON(c)}, ""
}

func (s *Server) conversationsInvite(args map[string]any) (map[string]any, string) {
	c, ok := s.channels[str(args, "channel")]
	if !ok {
		return nil, "channel_not_found"
	}
	if !slices.Contains(c.Members, s.BotUserID) {
		return nil, "not_in_channel"
	}
	ids := strings.Split(str(args, "users"), ",")
	for _, id := range ids {
		switch u, ok := s.users[id]; {
		case id == s.BotUserID:
			return nil, "cant_invite_self"
		case !ok:
			return nil, "user_not_found"
		case u.Deleted:
			return nil, "user_disabled"
		case slices.Contains(c.Members, id):
			return nil, "already_in_channel"
		}
	}
	for _, id := range ids {
		c.Members = addMember(c.Members, id)
	}
	return map[string]any{"channel": channelJSON(c)}, ""
}

func (s *Server) conversationsInfo(args map[string]any) (map[string]any, string) {
	c, ok := s.channels[str(args, "channel")]
	if !ok || (c.Private && !slices.Contains(c.Members, s.BotUserID)) {
		return nil, "channel_not_found"
	}
	j := channelJSON(c)
	if str(args, "include_num_members") != "true" {
		delete(j, "num_members")
	}
	return map[string]any{"channel": j}, ""
}

// page returns the page of items at cursor (an index) and the next cursor.
func page(items []string, cursor string, limit int) ([]string, string) {
	start, _ := strconv.Atoi(cursor)
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start = min(start, len(items))
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next
}

func (s *Server) conversationsMembers(args map[string]any) (map[string]any, string) {
	c, ok := s.channels[str(args, "channel")]
	if !ok || (c.Private && !slices.Contains(c.Members, s.BotUserID)) {
		return nil, "channel_not_found"
	}
	limit, _ := strconv.Atoi(str(args, "limit"))
	ids, next := page(c.Members, str(args, "cursor"), limit)
	return map[string]any{"members": ids, "response_metadata": map[string]any{"next_cursor": next}}, ""
}

// postable returns the channel the bot may post in.
func (s *Server) postable(id string) (*Channel, string) {
	c, ok := s.channels[id]
	switch {
	case !ok:
		return nil, "channel_not_found"
	case !slices.Contains(c.Members, s.BotUserID):
		return nil, "not_in_channel"
	}
	return c, ""
}

func blocksArg(args map[string]any) (json.RawMessage, string) {
	b := str(args, "blocks")
	if b == "" {
		return nil, ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(b), &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) > 50 {
		return nil, "invalid_blocks"
	}
	return json.RawMessage(b), ""
}

func (s *Server) chatPostMessage(args map[string]any) (map[string]any, string) {
	c, errCode := s.postable(str(args, "channel"))
	if errCode != "" {
		return nil, errCode
	}
	blocks, errCode := blocksArg(args)
	if errCode != "" {
		return nil, errCode
	}
	if str(args, "text") == "" && blocks == nil {
		return nil, "no_text"
	}
	s.seq++
	ts := fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq)
	m := &Message{Channel: c.ID, TS: ts, User: s.BotUserID, Text: str(args, "text"), Blocks: blocks, Versions: 1}
	s.messages[c.ID+"/"+ts] = m
	return map[string]any{"channel": c.ID, "ts": ts, "message": map[string]any{"text": m.Text, "ts": ts}}, ""
}

func (s *Server) chatUpdate(args map[string]any) (map[string]any, string) {
	m, ok := s.messages[str(args, "channel")+"/"+str(args, "ts")]
	if !ok {
		return nil, "message_not_found"
	}
	if m.User != s.BotUserID {
		return nil, "cant_update_message"
	}
	blocks, errCode := blocksArg(args)
	if errCode != "" {
		return nil, errCode
	}
	m.Text, m.Blocks = str(args, "text"), blocks
	m.Versions++
	return map[string]any{"channel": m.Channel, "ts": m.TS, "text": m.Text}, ""
}

func (s *Server) chatPostEphemeral(args map[string]any) (map[string]any, string) {
	c, errCode := s.postable(str(args, "channel"))
	if errCode != "" {
		return nil, errCode
	}
	user := str(args, "user")
	if !slices.Contains(c.Members, user) {
		return nil, "user_not_in_channel"
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{Channel: c.ID, User: user, Text: str(args, "text")})
	s.seq++
	return map[string]any{"message_ts": fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq)}, ""
}

func (s *Server) viewsOpen(args map[string]any) (map[string]any, string) {
	id := str(args, "trigger_id")
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case s.now().After(t.expires):
		return nil, "expired_trigger_id"
	}
	view, _ := args["view"].(map[string]any)
	if view == nil || view["type"] != "modal" {
		return nil, "invalid_arguments"
	}
	if blocks, _ := view["blocks"].([]any); len(blocks) > 100 {
		return nil, "invalid_arguments"
	}
	t.used = true
	s.triggers[id] = t
	raw, _ := json.Marshal(view)
	v := OpenedView{ID: s.nextID("V"), Hash: s.nextID("h"), UserID: s.triggerTo[id], TriggerID: id, View: view, Raw: raw}
	s.views = append(s.views, v)
	out := map[string]any{"id": v.ID, "hash": v.Hash, "team_id": s.Team}
	for k, val := range view {
		out[k] = val
	}
	return map[string]any{"view": out}, ""
}

func userJSON(u *User) map[string]any {
	return map[string]any{"id": u.ID, "name": u.Name, "deleted": u.Deleted, "is_admin": u.Admin, "is_owner": u.Owner,
		"profile": map[string]any{"display_name": u.DisplayName}}
}

func (s *Server) usersInfo(args map[string]any) (map[string]any, string) {
	u, ok := s.users[str(args, "user")]
	if !ok {
		return nil, "user_not_found"
	}
	return map[string]any{"user": userJSON(u)}, ""
}

func (s *Server) usersList(args map[string]any) (map[string]any, string) {
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	limit, _ := strconv.Atoi(str(args, "limit"))
	pg, next := page(ids, str(args, "cursor"), limit)
	members := make([]map[string]any, len(pg))
	for i, id := range pg {
		members[i] = userJSON(s.users[id])
	}
	return map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}}, ""
}

// usersConversations lists the conversations a user is in, as Slack does
// for a bot token: public channels the user is in, and private ones only
// when the bot is in them too; types (comma-separated public_channel,
// private_channel) filters, public_channel when absent. Channels come in
// ID order, paged by cursor.
func (s *Server) usersConversations(args map[string]any) (map[string]any, string) {
	user := str(args, "user")
	if user == "" {
		user = s.BotUserID
	}
	if _, ok := s.users[user]; !ok && user != s.BotUserID {
		return nil, "user_not_found"
	}
	types := strings.Split(str(args, "types"), ",")
	if str(args, "types") == "" {
		types = []string{"public_channel"}
	}
	for _, t := range types {
		if t != "public_channel" && t != "private_channel" && t != "im" && t != "mpim" {
			return nil, "invalid_types"
		}
	}
	var ids []string
	for id, c := range s.channels {
		kind := "public_channel"
		if c.Private {
			kind = "private_channel"
		}
		if !slices.Contains(types, kind) || !slices.Contains(c.Members, user) ||
			(c.Private && !slices.Contains(c.Members, s.BotUserID)) {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	limit, _ := strconv.Atoi(str(args, "limit"))
	pg, next := page(ids, str(args, "cursor"), limit)
	chans := make([]map[string]any, len(pg))
	for i, id := range pg {
		chans[i] = channelJSON(s.channels[id])
		delete(chans[i], "num_members") // users.conversations does not count members
	}
	return map[string]any{"channels": chans, "response_metadata": map[string]any{"next_cursor": next}}, ""
}

func (s *Server) teamInfo(map[string]any) (map[string]any, string) {
	return map[string]any{"team": map[string]any{"id": s.Team, "name": "Acme", "domain": "acme"}}, ""
}

// RemoveMember takes a user, or the bot, out of a channel, as leaving it or
// being removed from it does.
func (s *Server) RemoveMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channelID]; ok {
		c.Members = slices.DeleteFunc(c.Members, func(m string) bool { return m == userID })
	}
}
