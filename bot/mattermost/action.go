package mattermost

import (
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
)

// action serves a click on a checklist post's item button: the item is
// toggled as the clicking user, and the service rewrites the post; or on
// a reminder post's button (reminder.go): "Update status" opens the status
// update dialog for the clicking user, a snooze puts the reminder off and
// the answer rewrites the post without its buttons. A context whose
// signature is missing, forged or expired, or that names a run of another
// channel, gets 401 and changes nothing. Anything else gets status 200:
// {}, {"update"} after a snooze, or {"ephemeral_text"} saying what went
// wrong.
func (h *Handler) action(w http.ResponseWriter, r *http.Request) {
	var req model.PostActionIntegrationRequest
	if err := decodeJSON(w, r, &req); err != nil {
		http.Error(w, "malformed action request", http.StatusBadRequest)
		return
	}
	if req.UserId == "" || req.TeamId == "" {
		http.Error(w, "an action request needs user_id and team_id", http.StatusBadRequest)
		return
	}
	st, err := verifyButton(h.signer, req.Context)
	if err != nil {
		h.refuseAction(w, r, req, err)
		return
	}
	a := actor(req.UserId, req.TeamId)
	run, err := h.svc.Run(r.Context(), a, st.RunID)
	if err == nil && run.ChannelID != req.ChannelId {
		h.refuseAction(w, r, req, bot.Errorf(bot.EUnauthenticated, "this button does not belong to this channel"))
		return
	}
	if err == nil {
		switch st.Action {
		case "":
			_, err = h.svc.ToggleItemByID(r.Context(), a, run.ID, st.ItemID)
		case actionUpdateStatus:
			err = h.openStatusDialog(r.Context(), req, run)
		case actionSnooze:
			var u postUpdate
			if u, err = h.snooze(r.Context(), a, req, run, st); err == nil {
				writeUpdate(w, u)
				return
			}
		default:
			err = bot.Errorf(bot.EInvalid, "this button is not one this bot knows")
		}
	}
	if err != nil {
		msg := h.userMessage(r, err, "user_id", req.UserId, "run_id", st.RunID)
		writeJSON(w, http.StatusOK, model.PostActionIntegrationResponse{EphemeralText: msg})
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// refuseAction answers 401 to a click whose context cannot be trusted.
func (h *Handler) refuseAction(w http.ResponseWriter, r *http.Request, req model.PostActionIntegrationRequest, err error) {
	h.log.WarnContext(r.Context(), "button click with an invalid context refused",
		"user_id", req.UserId, "channel_id", req.ChannelId, "post_id", req.PostId, "remote_addr", r.RemoteAddr)
	writeJSON(w, http.StatusUnauthorized, model.PostActionIntegrationResponse{EphemeralText: bot.ErrorMessage(err)})
}
