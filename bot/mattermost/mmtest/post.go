package mmtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"
)

// createPost creates a post of the caller in a channel they may post in.
// Attachments are validated (a real server only logs invalid ones, which
// then render wrongly) and their actions get IDs.
func (s *Server) createPost(w http.ResponseWriter, r *http.Request, me string) {
	var p model.Post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		invalidParam(w, "post")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channel(w, p.ChannelId, me)
	if !ok {
		return
	}
	if ch.Type == model.ChannelTypePrivate && !s.members[ch.Id][me] {
		forbidden(w)
		return
	}
	now := s.millis()
	p.Id, p.UserId, p.CreateAt, p.UpdateAt, p.EditAt, p.DeleteAt = model.NewId(), me, now, now, 0, 0
	if !validPost(w, &p) {
		return
	}
	if u := s.users[me]; u != nil && u.IsBot {
		p.AddProp(model.PostPropsFromBot, "true") // as app.CreatePost marks a bot's posts
	}
	s.storePost(&p)
	ch.TotalMsgCount++
	ch.LastPostAt = now
	writeJSON(w, http.StatusCreated, asRead(&p))
}

// asRead returns a copy of p as Mattermost lets anyone read a post, the
// bot's own token included: with every action's integration (its URL and
// context) stripped (model.Post.StripActionIntegrations, applied by every
// API answer that carries a post: GET, the answers to POST and PATCH,
// lists, websocket events). The stored post keeps them, for clicks.
func asRead(p *model.Post) *model.Post {
	out := decodePost(mustJSON(p)) // a deep copy: the stored post keeps its integrations
	out.StripActionIntegrations()
	return out
}

// mustJSON encodes v, which must encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// validPost checks a post as a real server does, answering 400 if not.
func validPost(w http.ResponseWriter, p *model.Post) bool {
	if utf8.RuneCountInString(p.Message) > model.PostMessageMaxRunesV2 {
		appError(w, http.StatusBadRequest, "model.post.is_valid.message_length.app_error", "Message is too long.")
		return false
	}
	if p.Message == "" && len(p.Attachments()) == 0 {
		invalidParam(w, "post.message")
		return false
	}
	for _, a := range p.Attachments() {
		if err := a.IsValid(); err != nil {
			appError(w, http.StatusBadRequest, "model.post.is_valid.props.app_error", "Invalid attachment: "+err.Error())
			return false
		}
		for _, act := range a.Actions {
			if act.Id != "" && !actionID.MatchString(act.Id) {
				// Clicks are routed by /posts/{id}/actions/{action_id:[A-Za-z0-9]+}.
				appError(w, http.StatusBadRequest, "model.post.is_valid.props.app_error", "Action IDs must be letters and digits: "+act.Id)
				return false
			}
		}
	}
	if err := p.IsValid(model.PostMessageMaxRunesV2); err != nil {
		appError(w, err.StatusCode, err.Id, err.Message)
		return false
	}
	p.GenerateActionIds()
	return true
}

// storePost records the current version of a post. Callers hold s.mu.
func (s *Server) storePost(p *model.Post) {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	if _, ok := s.posts[p.Id]; !ok {
		s.postOrder = append(s.postOrder, p.Id)
	}
	s.posts[p.Id] = b
	s.history[p.Id] = append(s.history[p.Id], b)
}

func (s *Server) getPost(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.posts[r.PathValue("id")]
	if !ok {
		postNotFound(w)
		return
	}
	p := decodePost(b)
	if _, ok := s.channel(w, p.ChannelId, me); ok {
		writeJSON(w, http.StatusOK, asRead(p))
	}
}

// patchPost changes the fields of a post the patch has; props replace the
// post's props whole, from_bot included: Mattermost 10.12's UpdatePost
// keeps none of the old props. Only the author (or an admin) may. The post
// is marked edited as markEdited says.
func (s *Server) patchPost(w http.ResponseWriter, r *http.Request, me string) {
	var patch model.PostPatch
	if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
		invalidParam(w, "post")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.posts[r.PathValue("id")]
	if !ok {
		postNotFound(w)
		return
	}
	p := decodePost(b)
	if p.UserId != me && !s.isAdmin(me) {
		forbidden(w)
		return
	}
	old := decodePost(b)
	if patch.Message != nil {
		p.Message = *patch.Message
	}
	if patch.Props != nil {
		p.SetProps(*patch.Props)
	}
	if patch.IsPinned != nil {
		p.IsPinned = *patch.IsPinned
	}
	s.markEdited(old, p)
	p.UpdateAt = s.millis()
	if !validPost(w, p) {
		return
	}
	s.storePost(p)
	writeJSON(w, http.StatusOK, asRead(p))
}

// markEdited sets next.EditAt as Mattermost's UpdatePost (app/post.go, the
// path of PATCH /posts/{id}/patch, PUT /posts/{id} and of an action's
// "update") does when old becomes next: now when the message changed, or
// the file IDs, or the attachments (model.Post.AttachmentsEqual compares
// every field of every attachment and of its actions, their integration
// URL and context included); otherwise next keeps old's EditAt. Any
// EditAt > 0 shows the post as "Edited" in the web client. Props other
// than attachments may change freely.
func (s *Server) markEdited(old, next *model.Post) {
	next.EditAt = old.EditAt
	if next.Message != old.Message || !old.FileIds.Equals(next.FileIds) || !old.AttachmentsEqual(next) {
		next.EditAt = s.millis()
	}
}

// actionRetainedProps are the props Mattermost 10.12 carries over from a
// post into the "update" of an action's answer (model.PostActionRetainPropKeys
// there: from_bot is not among them; later versions added it).
var actionRetainedProps = []string{model.PostPropsFromWebhook, model.PostPropsOverrideUsername, model.PostPropsOverrideIconURL}

// applyActionUpdate rewrites post postID with the "update" of an action's
// answer as Mattermost 10.12's DoPostActionWithCookie does: an update with
// no props keeps the post's props; otherwise its props replace them, except
// actionRetainedProps, which keep the post's values (or are dropped when it
// had none), so a from_bot the update does not repeat is lost. The post
// keeps IsPinned and HasReactions, and is marked edited as by UpdatePost.
// Callers hold s.mu.
func (s *Server) applyActionUpdate(postID string, u *model.Post) {
	old := decodePost(s.posts[postID])
	p := decodePost(s.posts[postID])
	p.Message = u.Message
	if props := u.GetProps(); props != nil {
		next := model.StringInterface{}
		for k, v := range props {
			next[k] = v
		}
		for _, k := range actionRetainedProps {
			if v, ok := old.GetProps()[k]; ok {
				next[k] = v
			} else {
				delete(next, k)
			}
		}
		p.SetProps(next)
	}
	s.markEdited(old, p)
	p.UpdateAt = s.millis()
	s.storePost(p)
}

// createEphemeral shows a post to one user; it needs
// PermissionEphemeral, which only system admins have unless granted.
func (s *Server) createEphemeral(w http.ResponseWriter, r *http.Request, me string) {
	var body model.PostEphemeral
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Post == nil || !model.IsValidId(body.UserID) {
		invalidParam(w, "ephemeral_post")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.can(me, PermissionEphemeral) {
		forbidden(w)
		return
	}
	if _, ok := s.channels[body.Post.ChannelId]; !ok {
		invalidParam(w, "post.channel_id")
		return
	}
	s.ephemerals = append(s.ephemerals, Ephemeral{UserID: body.UserID, ChannelID: body.Post.ChannelId,
		Message: body.Post.Message, Source: "api"})
	p := body.Post
	p.Id, p.UserId, p.CreateAt, p.Type = model.NewId(), me, s.millis(), model.PostTypeEphemeral
	writeJSON(w, http.StatusCreated, asRead(p))
}

// createDirectChannel answers POST /channels/direct ([user_id, user_id]) as
// Mattermost does: the direct message channel of the two users, created
// when it does not exist yet, with status 201 either way. The caller must
// be one of the two (or a system admin) and have create_direct_channel,
// which every user has.
func (s *Server) createDirectChannel(w http.ResponseWriter, r *http.Request, me string) {
	var ids []string
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
		appError(w, http.StatusBadRequest, model.PayloadParseError, "Unable to parse the payload.")
		return
	}
	ids = slices.Compact(ids)
	if len(ids) == 1 && ids[0] == me { // a user's channel with themself
		ids = append(ids, me)
	}
	if len(ids) != 2 {
		invalidParam(w, "user_ids")
		return
	}
	for _, id := range ids {
		if !model.IsValidId(id) {
			invalidParam(w, "user_id")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.can(me, model.PermissionCreateDirectChannel.Id) ||
		(ids[0] != me && ids[1] != me && !s.isAdmin(me)) {
		forbidden(w)
		return
	}
	for _, id := range ids {
		if s.users[id] == nil {
			appError(w, http.StatusBadRequest, "api.channel.create_direct_channel.invalid_user.app_error", "Invalid user ID for direct channel creation.")
			return
		}
	}
	name := model.GetDMNameFromIds(ids[0], ids[1])
	for _, id := range s.channelOrder {
		if ch := s.channels[id]; ch.Type == model.ChannelTypeDirect && ch.Name == name {
			writeJSON(w, http.StatusCreated, ch)
			return
		}
	}
	now := s.millis()
	ch := &model.Channel{Id: model.NewId(), Name: name, Type: model.ChannelTypeDirect, CreateAt: now, UpdateAt: now}
	s.channels[ch.Id] = ch
	s.channelOrder = append(s.channelOrder, ch.Id)
	s.members[ch.Id] = map[string]bool{ids[0]: true, ids[1]: true}
	writeJSON(w, http.StatusCreated, ch)
}

// DirectPosts returns the posts of the direct message channel of two
// users, oldest first; none when they have no such channel.
func (s *Server) DirectPosts(userID, otherUserID string) []*model.Post {
	s.mu.Lock()
	name := model.GetDMNameFromIds(userID, otherUserID)
	channelID := ""
	for _, ch := range s.channels {
		if ch.Type == model.ChannelTypeDirect && ch.Name == name {
			channelID = ch.Id
		}
	}
	s.mu.Unlock()
	if channelID == "" {
		return nil
	}
	return s.Posts(channelID)
}

// openDialog opens a dialog for the user of a trigger ID. The trigger is
// the credential: unknown or older than TriggerTTL gets 400, as does a
// dialog that fails Mattermost's own validation. On 10.12 a select whose
// data source it does not know (such as "dynamic", from 11.0) is logged as
// a warning and reaches the user as 10.12 sends it: with no options and no
// URL, an empty list. On 11.0 a dynamic select needs a valid
// data_source_url and no static options, and reaches the user as sent:
// its options are looked up (Lookup).
func (s *Server) openDialog(w http.ResponseWriter, r *http.Request, me string) {
	var req model.OpenDialogRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		invalidParam(w, "dialog")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.triggers[req.TriggerId]
	switch {
	case !ok:
		appError(w, http.StatusBadRequest, "interactive_message.decode_trigger_id.base64_decode_failed", "Failed to decode base64 for trigger ID for interactive dialog.")
		return
	case s.now().Sub(t.issued) > TriggerTTL:
		appError(w, http.StatusBadRequest, "interactive_message.decode_trigger_id.expired", "Trigger ID for interactive dialog is expired. Maximum time is 30s.")
		return
	}
	unknown := map[string]string{}
	if !s.dynamicSelects() {
		unknown = as1012(&req.Dialog)
	}
	for _, e := range req.Dialog.Elements {
		if ds, ok := unknown[e.Name]; ok {
			s.warn("dialog %s: element %q: invalid data source %q, allowed are 'users' or 'channels' (Mattermost 10.12 logs this and sends the select with no options)",
				req.Dialog.CallbackId, e.Name, ds)
		}
	}
	if err := req.IsValid(); err != nil {
		appError(w, http.StatusBadRequest, "api.dialog.open.invalid_request", "Invalid dialog: "+err.Error())
		return
	}
	for i, e := range req.Dialog.Elements {
		if ds, ok := unknown[e.Name]; ok {
			req.Dialog.Elements[i].DataSource = ds
		}
	}
	s.dialogs = append(s.dialogs, OpenedDialog{OpenDialogRequest: req, UserID: t.userID,
		ChannelID: t.channelID, TeamID: t.teamID, OpenedBy: me})
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
}

// as1012 makes d what Mattermost 10.12 keeps of it: its DialogElement has
// no data_source_url, and a select whose data source is neither users nor
// channels loses its options. It returns those selects' data sources by
// element name, and clears them for validation (the caller restores them).
func as1012(d *model.Dialog) map[string]string {
	unknown := map[string]string{}
	for i := range d.Elements {
		e := &d.Elements[i]
		e.DataSourceURL = ""
		if e.Type == "select" && e.DataSource != "" &&
			e.DataSource != model.PostActionDataSourceUsers && e.DataSource != model.PostActionDataSourceChannels {
			unknown[e.Name] = e.DataSource
			e.DataSource, e.Options = "", nil
		}
	}
	return unknown
}

func postNotFound(w http.ResponseWriter) {
	appError(w, http.StatusNotFound, "app.post.get.app_error", "Unable to get the post.")
}

// isAdmin reports whether a user is a system admin.
func (s *Server) isAdmin(userID string) bool {
	u, ok := s.users[userID]
	return ok && strings.Contains(u.Roles, model.SystemAdminRoleId)
}

// actionID is the shape of the action IDs Mattermost routes clicks by.
var actionID = regexp.MustCompile(`^[A-Za-z0-9]+$`)
