package mattermost

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/chatkit"
)

// lookupTimeout bounds the work of one lookup: Mattermost waits for the
// bot as long as for any integration (ServiceSettings.
// OutgoingIntegrationRequestsTimeout, 30 s by default), and the user waits
// for the list as they type. A lookup that takes longer answers what it
// has: nothing.
const lookupTimeout = 10 * time.Second

// lookupTokenParam is the query parameter of LookupURL that carries its
// signed token.
const lookupTokenParam = "token"

// LookupURL returns the data_source_url of dynamic select element of
// dialog callbackID opened with trigger t: LookupPath under the public URL
// (never a /plugins/... path, see DialogURL), with a token signed for the
// user, binding the dialog's callback ID, its channel and the element,
// valid as long as the dialog (15 minutes). Mattermost sends lookups with
// no authentication, so the token is what a lookup is checked against.
func (c *Client) LookupURL(t DialogTrigger, callbackID, element string) string {
	token := c.signer.Sign(t.UserID, lookupState(callbackID, t.ChannelID, element), dialogTTL)
	return c.publicURL + LookupPath + "?" + url.Values{lookupTokenParam: {token}}.Encode()
}

// lookupState is what a lookup token binds.
func lookupState(callbackID, channelID, element string) string {
	return "lookup\n" + callbackID + "\n" + channelID + "\n" + element
}

// lookup serves a dynamic select of an open dialog (Mattermost 11+). As
// the user types, Mattermost POSTs to the select's data_source_url
// (LookupURL) {"type":"dialog_lookup","callback_id","state","user_id",
// "channel_id","team_id","submission":{...,"query","selected_field"}},
// with no authentication: user_id is the user whose session asked. The
// URL's token must verify for that user, that dialog, that channel and
// that element, and the state must be the dialog's, signed for the user
// (a lookup does not use it up); otherwise the answer is an empty list and
// a warning is logged. The answer is {"items":[{"text","value"}]}: what
// commands.Dispatcher.Lookup finds for the query (open items first), as
// for Slack's external selects, within lookupTimeout; always status 200,
// since Mattermost shows the user a generic error for any other.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) {
	var req model.SubmitDialogRequest
	if err := decodeJSON(w, r, &req); err != nil {
		http.Error(w, "malformed lookup", http.StatusBadRequest)
		return
	}
	element, _ := req.Submission["selected_field"].(string)
	query, _ := req.Submission["query"].(string)
	state, ok := h.verifyLookup(r, req, element)
	if !ok {
		h.log.WarnContext(r.Context(), "dialog lookup refused", "user_id", req.UserId, "channel_id", req.ChannelId,
			"callback_id", req.CallbackId, "element", element, "remote_addr", r.RemoteAddr)
		chatkit.WriteJSON(w, http.StatusOK, model.LookupDialogResponse{Items: []model.DialogSelectOption{}})
		return
	}
	noteDialogState(r.Context(), state)
	ctx, cancel := context.WithTimeout(r.Context(), lookupTimeout)
	defer cancel()
	opts := h.disp.Lookup(ctx, actor(req.UserId, req.TeamId), req.ChannelId, req.CallbackId, state, element, strings.TrimSpace(query))
	out := model.LookupDialogResponse{Items: make([]model.DialogSelectOption, len(opts))}
	for i, o := range opts {
		out.Items[i] = model.DialogSelectOption{Text: o.Text, Value: o.Value}
	}
	chatkit.WriteJSON(w, http.StatusOK, out)
}

// verifyLookup checks a lookup against its URL's token and its dialog
// state, and returns the state the dialog was opened with.
func (h *Handler) verifyLookup(r *http.Request, req model.SubmitDialogRequest, element string) (string, bool) {
	if req.Type != "" && req.Type != "dialog_lookup" {
		return "", false
	}
	if !ValidID(req.UserId) || !ValidID(req.ChannelId) || !ValidID(req.TeamId) || element == "" {
		return "", false
	}
	bound, err := h.signer.Verify(req.UserId, r.URL.Query().Get(lookupTokenParam))
	if err != nil || bound != lookupState(req.CallbackId, req.ChannelId, element) {
		return "", false
	}
	state, err := verifyDialogState(h.signer, req.UserId, req.ChannelId, req.CallbackId, req.State)
	if err != nil {
		return "", false
	}
	return state, true
}
