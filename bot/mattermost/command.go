package mattermost

import (
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
)

// command serves a /playbook slash command. Mattermost posts it as a form
// with the command's token in "Authorization: Token <token>" (and in the
// token field); a request with no valid token gets 401 and nothing runs.
// Any other answer has status 200: a CommandResponse, or {} after opening
// a dialog.
func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if !h.validToken(commandToken(r)) {
		h.log.WarnContext(r.Context(), "slash command with an invalid token refused",
			"user_id", f.Get("user_id"), "team_id", f.Get("team_id"), "remote_addr", r.RemoteAddr)
		http.Error(w, "invalid command token", http.StatusUnauthorized)
		return
	}
	userID, teamID, channelID := f.Get("user_id"), f.Get("team_id"), f.Get("channel_id")
	if userID == "" || teamID == "" || channelID == "" {
		writeCommand(w, commands.Response{Text: "This request lacks user_id, team_id or channel_id; it did not come from Mattermost."})
		return
	}
	if !ValidID(userID) || !ValidID(teamID) || !ValidID(channelID) {
		writeCommand(w, commands.Response{Text: "This request's user_id, team_id or channel_id is not a Mattermost ID; it did not come from Mattermost."})
		return
	}
	resp := h.disp.Dispatch(r.Context(), commands.Request{
		Platform: Platform, Actor: actor(userID, teamID), TeamID: teamID, ChannelID: channelID,
		Text: strings.TrimSpace(f.Get("text")),
	})
	if resp.Dialog != nil {
		d := *resp.Dialog
		err := h.client.OpenDialog(r.Context(), DialogTrigger{UserID: userID, ChannelID: channelID, TriggerID: f.Get("trigger_id")}, d)
		if err != nil {
			msg := h.userMessage(r, err, "user_id", userID, "channel_id", channelID, "callback_id", d.CallbackID)
			writeCommand(w, commands.Response{Text: "The dialog could not be opened: " + msg})
			return
		}
		if resp.Text == "" {
			chatkit.WriteJSON(w, http.StatusOK, struct{}{})
			return
		}
	}
	writeCommand(w, resp)
}

// commandToken returns the token of a slash command request: from the
// Authorization header, else from the token field.
func commandToken(r *http.Request) string {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Token") {
		return strings.TrimSpace(token)
	}
	return r.PostForm.Get("token")
}

// writeCommand answers a slash command with resp's text, ephemeral unless
// resp.InChannel (then it becomes a post of the user who typed it).
func writeCommand(w http.ResponseWriter, resp commands.Response) {
	typ := model.CommandResponseTypeEphemeral
	if resp.InChannel {
		typ = model.CommandResponseTypeInChannel
	}
	chatkit.WriteJSON(w, http.StatusOK, model.CommandResponse{ResponseType: typ, Text: resp.Text})
}
