package mattermost

import (
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// pluginCommand serves a /playbook command the companion plugin forwards
// (mmplugin.CommandPath): the same command, run by execute, as the slash
// command's request, for the user the plugin's signature vouches for.
func (h *Handler) pluginCommand(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pluginIdentity(w, r)
	if !ok {
		return
	}
	var req mmplugin.CommandRequest
	if err := decodeJSON(w, r, &req); err != nil {
		mmplugin.WriteError(w, http.StatusBadRequest, "malformed command request", err.Error())
		return
	}
	writeAnswer(w, h.execute(r, id.UserID, req.TeamID, req.ChannelID, req.TriggerID, req.Text))
}

// pluginList serves a dynamic autocomplete list (mmplugin.ListPath + the
// list's name) for the user the plugin's signature vouches for, typing the
// command (mmplugin.ListCommandParam) in the channel and team its query
// names: a JSON array of
// model.AutocompleteListItem, empty where the channel has no run the user
// may see.
func (h *Handler) pluginList(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pluginIdentity(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	channelID, teamID := q.Get("channel_id"), q.Get("team_id")
	if !ValidID(channelID) || !ValidID(teamID) {
		mmplugin.WriteError(w, http.StatusBadRequest, "channel_id and team_id must be Mattermost IDs", "")
		return
	}
	got, err := h.disp.Suggest(r.Context(), actor(id.UserID, teamID), channelID, q.Get(mmplugin.ListCommandParam), r.PathValue("list"))
	if bot.ErrorCode(err) == bot.EInvalid {
		mmplugin.WriteError(w, http.StatusNotFound, bot.ErrorMessage(err), "")
		return
	}
	if err != nil {
		msg := h.userMessage(r, err, "user_id", id.UserID, "channel_id", channelID)
		mmplugin.WriteError(w, http.StatusInternalServerError, msg, "")
		return
	}
	items := make([]model.AutocompleteListItem, len(got))
	for i, s := range got {
		items[i] = model.AutocompleteListItem{Item: s.Item, Hint: s.Hint, HelpText: s.Help}
	}
	chatkit.WriteJSON(w, http.StatusOK, items)
}

// pluginIdentity verifies that r comes from the companion plugin and
// returns the identity it vouches for; else it answers 401 and reports
// false. Plugin mode is off (every such request refused) unless the
// handler has a Verifier (PLAYBOOKS_MATTERMOST_PLUGIN_SECRET).
func (h *Handler) pluginIdentity(w http.ResponseWriter, r *http.Request) (mmplugin.Identity, bool) {
	if h.plugin == nil {
		mmplugin.WriteError(w, http.StatusUnauthorized, "plugin requests are not accepted",
			"this bot has no PLAYBOOKS_MATTERMOST_PLUGIN_SECRET (see docs/mattermost.md, Plugin mode)")
		return mmplugin.Identity{}, false
	}
	id, err := h.plugin.Verify(r)
	if err != nil {
		code := http.StatusInternalServerError
		switch bot.ErrorCode(err) {
		case bot.EUnauthenticated:
			code = http.StatusUnauthorized
		case bot.EInvalid:
			code = http.StatusBadRequest
		case bot.EUnavailable: // the replay check needs the database
			code = http.StatusServiceUnavailable
		}
		h.log.WarnContext(r.Context(), "plugin request refused", "path", r.URL.Path, "remote_addr", r.RemoteAddr, "error", err)
		mmplugin.WriteError(w, code, bot.ErrorMessage(err), "")
		return mmplugin.Identity{}, false
	}
	return id, true
}
