package mattermost

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// dialogSubmission serves a submitted dialog. Mattermost authenticates
// nothing here, so the signed state decides: a state that is missing,
// forged, expired, or was issued for another user or dialog gets 401 and
// changes nothing. A cancelled dialog gets {} and does nothing. Otherwise
// the answer has status 200: {"errors":{...}} (and "error" for what no
// field is at fault for) keeps the dialog open; {} closes it, and the
// result is then posted to the user.
func (h *Handler) dialogSubmission(w http.ResponseWriter, r *http.Request) {
	var req model.SubmitDialogRequest
	if err := decodeJSON(w, r, &req); err != nil {
		http.Error(w, "malformed dialog submission", http.StatusBadRequest)
		return
	}
	if req.Type != "" && req.Type != "dialog_submission" {
		http.Error(w, "not a dialog submission: type "+req.Type, http.StatusBadRequest)
		return
	}
	if req.Cancelled {
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	state, err := verifyDialogState(h.signer, req.UserId, req.CallbackId, req.State)
	if err != nil {
		h.log.WarnContext(r.Context(), "dialog submission with an invalid state refused",
			"user_id", req.UserId, "callback_id", req.CallbackId, "remote_addr", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, model.SubmitDialogResponse{Error: bot.ErrorMessage(err)})
		return
	}
	noteDialogState(r.Context(), state)
	resp, errs := h.disp.Submit(r.Context(), commands.Submission{
		Platform: Platform, Actor: actor(req.UserId, req.TeamId), CallbackID: req.CallbackId, State: state,
		TeamID: req.TeamId, ChannelID: req.ChannelId, Values: submissionValues(req.Submission),
	})
	if len(errs) > 0 {
		writeJSON(w, http.StatusOK, dialogErrors(errs, req.Submission))
		return
	}
	if resp.Dialog != nil {
		// A submission carries no trigger ID, and only a trigger opens a dialog.
		h.log.WarnContext(r.Context(), "dialog submission answered with another dialog; not opened",
			"callback_id", req.CallbackId, "next_callback_id", resp.Dialog.CallbackID)
	}
	if resp.Text != "" {
		var err error
		if resp.InChannel {
			_, err = h.client.Post(r.Context(), req.ChannelId, resp.Text)
		} else {
			err = h.client.Ephemeral(r.Context(), req.ChannelId, req.UserId, resp.Text)
		}
		if err != nil { // the change is made: report it done, log the lost message
			h.log.ErrorContext(r.Context(), "post dialog result", "user_id", req.UserId,
				"channel_id", req.ChannelId, "callback_id", req.CallbackId, "error", err)
		}
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// dialogErrors renders field errors for Mattermost, which shows an error
// only under an element the dialog has: errors about anything else join
// the general error.
func dialogErrors(errs dialogs.FieldErrors, submission map[string]any) model.SubmitDialogResponse {
	out := model.SubmitDialogResponse{Errors: map[string]string{}}
	var general []string
	for _, k := range sortedKeys(errs) {
		if _, ok := submission[k]; ok && k != "" {
			out.Errors[k] = errs[k]
		} else {
			general = append(general, errs[k])
		}
	}
	out.Error = strings.Join(general, " ")
	if len(out.Errors) == 0 {
		out.Errors = nil
	}
	return out
}

// submissionValues turns a submission's JSON values into the strings
// commands.Submission carries: bools as "true"/"false", numbers in their
// shortest form; empty (null) values are left out.
func submissionValues(sub map[string]any) map[string]string {
	out := make(map[string]string, len(sub))
	for k, v := range sub {
		switch v := v.(type) {
		case nil:
		case string:
			out[k] = v
		case bool:
			out[k] = strconv.FormatBool(v)
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			b, _ := json.Marshal(v) // decoded from JSON: always encodes
			out[k] = string(b)
		}
	}
	return out
}

// sortedKeys returns the keys of m in order, "" first.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
