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
	writeAnswer(w, h.execute(r, f.Get("user_id"), f.Get("team_id"), f.Get("channel_id"), f.Get("trigger_id"), f.Get("text")))
}

// execute runs a /playbook command for the user in a team's channel, as
// the slash command's request (command) or the plugin (pluginCommand)
// gives it: one path for both. It returns Mattermost's answer, with the
// bot's avatar as its icon (Client.iconURL); nil for none (a dialog was
// opened), which is answered {}.
func (h *Handler) execute(r *http.Request, userID, teamID, channelID, triggerID, text string) *model.CommandResponse {
	resp := h.run(r, userID, teamID, channelID, triggerID, text)
	if resp != nil {
		resp.IconURL = h.client.iconURL(r.Context())
	}
	return resp
}

// run is execute, without the icon.
func (h *Handler) run(r *http.Request, userID, teamID, channelID, triggerID, text string) *model.CommandResponse {
	if userID == "" || teamID == "" || channelID == "" {
		return commandResponse(commands.Response{Text: "This request lacks user_id, team_id or channel_id; it did not come from Mattermost."})
	}
	if !ValidID(userID) || !ValidID(teamID) || !ValidID(channelID) {
		return commandResponse(commands.Response{Text: "This request's user_id, team_id or channel_id is not a Mattermost ID; it did not come from Mattermost."})
	}
	resp := h.disp.Dispatch(r.Context(), commands.Request{
		Platform: Platform, Actor: actor(userID, teamID), TeamID: teamID, ChannelID: channelID,
		Text: strings.TrimSpace(text),
	})
	if resp.Dialog != nil {
		d := *resp.Dialog
		err := h.client.OpenDialog(r.Context(), DialogTrigger{UserID: userID, ChannelID: channelID, TriggerID: triggerID}, d)
		if err != nil {
			msg := h.userMessage(r, err, "user_id", userID, "channel_id", channelID, "callback_id", d.CallbackID)
			return commandResponse(commands.Response{Text: "The dialog could not be opened: " + msg})
		}
		if resp.Text == "" {
			return nil
		}
	}
	return commandResponse(resp)
}

// writeAnswer writes execute's answer, with status 200.
func writeAnswer(w http.ResponseWriter, resp *model.CommandResponse) {
	if resp == nil {
		chatkit.WriteJSON(w, http.StatusOK, struct{}{})
		return
	}
	chatkit.WriteJSON(w, http.StatusOK, resp)
}

// commandToken returns the token of a slash command request: from the
// Authorization header, else from the token field.
func commandToken(r *http.Request) string {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Token") {
		return strings.TrimSpace(token)
	}
	return r.PostForm.Get("token")
}

// commandResponse is the answer to a slash command of resp's text,
// ephemeral unless resp.InChannel (then it becomes a post of the user who
// typed it). It sets skip_slack_parsing: the text is Markdown, to be shown
// as written, and Mattermost otherwise converts what looks like Slack
// markup in it, code spans included ("<@user|user-id>" in a usage line
// becomes "[user-id](@user)").
func commandResponse(resp commands.Response) *model.CommandResponse {
	typ := model.CommandResponseTypeEphemeral
	if resp.InChannel {
		typ = model.CommandResponseTypeInChannel
	}
	return &model.CommandResponse{ResponseType: typ, Text: resp.Text, SkipSlackParsing: true}
}

// ephemeralAnswer is the answer to a button click that shows text to the
// clicking user alone, as written (see commandResponse: Mattermost
// converts an ephemeral_text's Slack links unless skip_slack_parsing).
func ephemeralAnswer(text string) model.PostActionIntegrationResponse {
	return model.PostActionIntegrationResponse{EphemeralText: text, SkipSlackParsing: true}
}
