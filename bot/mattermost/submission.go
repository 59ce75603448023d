package mattermost

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// dialogSubmission serves a submitted dialog. Mattermost authenticates
// nothing here, so the signed state decides, and it is good for one
// submission: a state that is missing, forged, expired, issued for another
// user, dialog or channel, or already used (a replay, a double click, a
// client's retry) is refused and changes nothing. Mattermost shows only
// the body of a 200 answer, so every answer has status 200:
// {"error":"..."} for a refusal, which keeps the dialog open with the
// message; {"errors":{...}} (and "error" for what no field is at fault for)
// when the values need fixing, after which the same dialog may be
// submitted again; {} when it is done, which closes it, and the result is
// then posted. A cancelled dialog gets {} and does nothing.
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
		chatkit.WriteJSON(w, http.StatusOK, struct{}{})
		return
	}
	ctx := r.Context()
	state, err := verifyDialogState(h.signer, req.UserId, req.ChannelId, req.CallbackId, req.State)
	if err != nil {
		h.refuseDialog(w, r, req, err)
		return
	}
	key := seenKey(req.State)
	fresh, err := h.svc.FirstSeen(ctx, key, seenTTL)
	if err != nil {
		h.log.ErrorContext(ctx, "record dialog submission", "user_id", req.UserId, "callback_id", req.CallbackId, "error", err)
		chatkit.WriteJSON(w, http.StatusOK, model.SubmitDialogResponse{
			Error: "internal error: the submission could not be recorded, so nothing was changed. Submit again."})
		return
	}
	if !fresh {
		h.refuseDialog(w, r, req, errDialogUsed)
		return
	}
	noteDialogState(ctx, state)
	resp, errs := h.disp.Submit(ctx, commands.Submission{
		Platform: Platform, Actor: actor(req.UserId, req.TeamId), CallbackID: req.CallbackId, State: state,
		TeamID: req.TeamId, ChannelID: req.ChannelId, Values: submissionValues(req.Submission),
	})
	if len(errs) > 0 {
		// Nothing was done: the user may fix the values and submit the
		// same dialog again.
		if err := h.svc.ForgetSeen(ctx, key); err != nil {
			h.log.ErrorContext(ctx, "forget dialog submission", "user_id", req.UserId, "callback_id", req.CallbackId, "error", err)
		}
		chatkit.WriteJSON(w, http.StatusOK, dialogErrors(errs, req.Submission))
		return
	}
	if resp.Dialog != nil {
		// A submission carries no trigger ID, and only a trigger opens a dialog.
		h.log.WarnContext(ctx, "dialog submission answered with another dialog; not opened",
			"callback_id", req.CallbackId, "next_callback_id", resp.Dialog.CallbackID)
	}
	if resp.Text != "" {
		var err error
		if resp.InChannel {
			_, err = h.client.Post(ctx, req.ChannelId, resp.Text)
		} else {
			err = h.client.Ephemeral(ctx, req.ChannelId, req.UserId, resp.Text)
		}
		if err != nil { // the change is made: report it done, log the lost message
			h.log.ErrorContext(ctx, "post dialog result", "user_id", req.UserId,
				"channel_id", req.ChannelId, "callback_id", req.CallbackId, "error", err)
		}
	}
	chatkit.WriteJSON(w, http.StatusOK, struct{}{})
}

// refuseDialog answers a submission that must change nothing with status
// 200 and the reason in "error", the only answer Mattermost shows, and logs
// it as a warning.
func (h *Handler) refuseDialog(w http.ResponseWriter, r *http.Request, req model.SubmitDialogRequest, err error) {
	h.log.WarnContext(r.Context(), "dialog submission refused", "reason", bot.ErrorMessage(err),
		"user_id", req.UserId, "channel_id", req.ChannelId, "callback_id", req.CallbackId, "remote_addr", r.RemoteAddr)
	chatkit.WriteJSON(w, http.StatusOK, model.SubmitDialogResponse{Error: bot.ErrorMessage(err)})
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
