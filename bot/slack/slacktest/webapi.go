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
	"unicode/utf8"
)

// api serves one Web API method, answering like Slack: status 200 with
// {"ok":true,...} or {"ok":false,"error":"..."}, or 429 with Retry-After
// when the method's rate limit is exceeded.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
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
	s.mu.Lock()
	s.calls = append(s.calls, method)
	d := max(s.delay[method], s.delayAll)
	retryAfter, ok := s.limits.admit(method, str(args, "channel"), s.now())
	if !ok {
		s.limited = append(s.limited, method)
	}
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
		return
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
	if method == "views.update" {
		s.awaitAnswer(str(args, "view_id"))
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
		"views.update":          s.viewsUpdate,
		"views.push":            s.viewsPush,
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

// blocksArg returns the blocks argument (a JSON string, or an array in a
// JSON body) as JSON, and the text, checked against Slack's limits:
// invalid_blocks, with what is wrong in response_metadata.messages.
func blocksArg(args map[string]any) (json.RawMessage, map[string]any, string) {
	var blocks []any
	switch b := args["blocks"].(type) {
	case nil:
	case string:
		if b != "" {
			if err := json.Unmarshal([]byte(b), &blocks); err != nil {
				return nil, nil, "invalid_blocks_format"
			}
		}
	case []any:
		blocks = b
	default:
		return nil, nil, "invalid_blocks_format"
	}
	if p := checkMessage(str(args, "text"), blocks); len(p) > 0 {
		out, code := invalid("invalid_blocks", p)
		if utf8.RuneCountInString(str(args, "text")) > MaxMessageText {
			code = "msg_too_long"
		}
		return nil, out, code
	}
	if blocks == nil {
		return nil, nil, ""
	}
	raw, _ := json.Marshal(blocks)
	return raw, nil, ""
}

// blockIDs returns the block IDs of blocks (JSON).
func blockIDs(blocks json.RawMessage) []string {
	var bs []struct {
		BlockID string `json:"block_id"`
	}
	json.Unmarshal(blocks, &bs)
	var ids []string
	for _, b := range bs {
		if b.BlockID != "" {
			ids = append(ids, b.BlockID)
		}
	}
	return ids
}

func (s *Server) chatPostMessage(args map[string]any) (map[string]any, string) {
	c, errCode := s.postable(str(args, "channel"))
	if errCode != "" {
		return nil, errCode
	}
	blocks, out, errCode := blocksArg(args)
	if errCode != "" {
		return out, errCode
	}
	if str(args, "text") == "" && blocks == nil {
		return nil, "no_text"
	}
	s.seq++
	ts := fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq)
	m := &Message{Channel: c.ID, TS: ts, User: s.BotUserID, Text: str(args, "text"), Blocks: blocks, Versions: 1,
		blockIDs: map[string]bool{}}
	for _, id := range blockIDs(blocks) {
		m.blockIDs[id] = true
	}
	s.messages[c.ID+"/"+ts] = m
	s.sayMessage("chat.postMessage", c.ID, "", m.Text, blocks)
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
	blocks, out, errCode := blocksArg(args)
	if errCode != "" {
		return out, errCode
	}
	m.Text, m.Blocks = str(args, "text"), blocks
	m.Versions++
	for _, id := range blockIDs(blocks) {
		if m.blockIDs[id] && !slices.Contains(m.ReusedBlockIDs, id) {
			m.ReusedBlockIDs = append(m.ReusedBlockIDs, id)
			slices.Sort(m.ReusedBlockIDs)
		}
		m.blockIDs[id] = true
	}
	s.sayMessage("chat.update", m.Channel, "", m.Text, blocks)
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
	blocks, out, errCode := blocksArg(args)
	if errCode != "" {
		return out, errCode
	}
	if str(args, "text") == "" && blocks == nil {
		return nil, "no_text"
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{Channel: c.ID, User: user, Text: str(args, "text")})
	s.sayMessage("chat.postEphemeral", c.ID, user, str(args, "text"), blocks)
	s.seq++
	return map[string]any{"message_ts": fmt.Sprintf("%d.%06d", s.now().Unix(), s.seq)}, ""
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

// AddMember puts a user in a channel, as joining it or being invited by
// someone in Slack does.
func (s *Server) AddMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[channelID]; ok {
		c.Members = addMember(c.Members, userID)
	}
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
