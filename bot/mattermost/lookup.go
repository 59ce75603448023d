package mattermost

import (
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
)

// lookup serves a dynamic select of an open dialog. Mattermost posts a
// dialog_lookup request: the dialog's callback ID and signed state, the
// user, and in the submission the element ("selected_field") and what the
// user typed ("query"). A state that does not verify gets 401; otherwise
// the answer is {"items":[{"text","value"}]}, empty when nothing matches.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) {
	var req model.SubmitDialogRequest
	if err := decodeJSON(w, r, &req); err != nil {
		http.Error(w, "malformed lookup request", http.StatusBadRequest)
		return
	}
	if req.Type != "dialog_lookup" {
		http.Error(w, "not a dialog lookup: type "+req.Type, http.StatusBadRequest)
		return
	}
	state, err := verifyDialogState(h.signer, req.UserId, req.CallbackId, req.State)
	if err != nil {
		h.log.WarnContext(r.Context(), "dialog lookup with an invalid state refused",
			"user_id", req.UserId, "callback_id", req.CallbackId, "remote_addr", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": bot.ErrorMessage(err)})
		return
	}
	element, _ := req.Submission["selected_field"].(string)
	query, _ := req.Submission["query"].(string)
	opts := h.disp.Lookup(r.Context(), actor(req.UserId, req.TeamId), req.ChannelId, req.CallbackId, state, element, query)
	items := make([]model.DialogSelectOption, len(opts))
	for i, o := range opts {
		items[i] = model.DialogSelectOption{Text: o.Text, Value: o.Value}
	}
	writeJSON(w, http.StatusOK, model.LookupDialogResponse{Items: items})
}
