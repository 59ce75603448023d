package slack

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// viewErrors is the answer that keeps a modal open with errors under its
// blocks.
type viewErrors struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

// payload decodes the "payload" form field of an interaction or options
// request; ok is false (and 400 answered) when it does not decode.
func payload(w http.ResponseWriter, r *http.Request) (slackgo.InteractionCallback, bool) {
	var ic slackgo.InteractionCallback
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return ic, false
	}
	if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &ic); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return ic, false
	}
	return ic, true
}

// interaction serves an interaction (its signature already verified):
// modal submissions and checklist button clicks. Other types are
// acknowledged and ignored.
func (h *Handler) interaction(w http.ResponseWriter, r *http.Request) {
	ic, ok := payload(w, r)
	if !ok {
		return
	}
	switch ic.Type {
	case slackgo.InteractionTypeViewSubmission:
		h.viewSubmission(w, r, ic)
	case slackgo.InteractionTypeBlockActions:
		h.blockActions(w, r, ic)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// viewSubmission serves a submitted modal. The modal's signed metadata
// decides whether it is trusted: missing, forged, expired, or issued for
// another user or modal gets 401 and changes nothing. A submission of a
// view already handled (same view ID and hash: Slack retried, or the user
// clicked twice) is acknowledged and not handled again. Field problems
// keep the modal open with errors under their blocks; success closes it,
// and the result is then shown to the user.
func (h *Handler) viewSubmission(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback) {
	userID, teamID := ic.User.ID, ic.Team.ID
	if teamID == "" {
		teamID = ic.View.TeamID
	}
	ms, err := verifyModal(h.signer, userID, ic.View.CallbackID, ic.View.PrivateMetadata)
	if err != nil {
		h.log.WarnContext(r.Context(), "modal submission with invalid metadata refused",
			"user_id", userID, "callback_id", ic.View.CallbackID, "remote_addr", r.RemoteAddr)
		http.Error(w, bot.ErrorMessage(err), http.StatusUnauthorized)
		return
	}
	key := "slack:view:" + ic.View.ID + ":" + ic.View.Hash
	if fresh, err := h.svc.FirstSeen(r.Context(), key, 2*modalTTL); err != nil {
		// Without the check the submission is handled anyway: a duplicate
		// is less harmful than a lost submission.
		h.log.ErrorContext(r.Context(), "check duplicate submission", "view_id", ic.View.ID, "error", err)
	} else if !fresh {
		w.WriteHeader(http.StatusOK)
		return
	}
	resp, errs := h.disp.Submit(r.Context(), commands.Submission{
		Platform: Platform, Actor: actor(userID, teamID), CallbackID: ms.CallbackID, State: ms.State,
		TeamID: teamID, ChannelID: ms.ChannelID, Values: viewValues(ic.View.State),
	})
	if len(errs) > 0 {
		if err := h.svc.ForgetSeen(r.Context(), key); err != nil { // the user may correct and resubmit the same view
			h.log.ErrorContext(r.Context(), "forget submission", "view_id", ic.View.ID, "error", err)
		}
		out, ok := blockErrors(errs, ic.View)
		if !ok { // a modal with no inputs (a confirmation) cannot show errors
			h.tell(r, ms.ChannelID, userID, strings.Join(slices.Sorted(maps.Values(errs)), " "))
			w.WriteHeader(http.StatusOK)
			return
		}
		chatkit.WriteJSON(w, http.StatusOK, viewErrors{ResponseAction: "errors", Errors: out})
		return
	}
	if resp.Dialog != nil {
		// A submission's answer could push another view, but no dialog
		// answers a submission with another today.
		h.log.WarnContext(r.Context(), "modal submission answered with another dialog; not opened",
			"callback_id", ms.CallbackID, "next_callback_id", resp.Dialog.CallbackID)
	}
	if resp.Text != "" && ms.ChannelID != "" {
		var err error
		if resp.InChannel {
			_, err = h.client.Post(r.Context(), ms.ChannelID, resp.Text)
		} else {
			err = h.client.Ephemeral(r.Context(), ms.ChannelID, userID, resp.Text)
		}
		if err != nil { // the change is made: report it done, log the lost message
			h.log.ErrorContext(r.Context(), "post modal result", "user_id", userID,
				"channel_id", ms.ChannelID, "callback_id", ms.CallbackID, "error", err)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// blockErrors maps field errors to the modal's input blocks: an error about
// a field the modal has goes under its block, any other (and the general
// one, under "") under the first input block, since Slack shows errors
// only under input blocks. ok is false when the modal has no input block
// to show them under.
func blockErrors(errs dialogs.FieldErrors, v slackgo.View) (_ map[string]string, ok bool) {
	inputs := map[string]bool{}
	first := ""
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slackgo.InputBlock); ok {
			inputs[in.BlockID] = true
			if first == "" {
				first = in.BlockID
			}
		}
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	var general []string
	for _, k := range keys {
		if inputs[k] {
			out[k] = errs[k]
		} else {
			general = append(general, errs[k])
		}
	}
	if len(general) > 0 {
		if first == "" {
			return nil, false
		}
		out[first] = strings.TrimSpace(strings.Join(append(general, out[first]), " "))
	}
	return out, true
}

// blockActions serves a click on a checklist message's button (or on a
// reminder's controls, served by reminderAction): the item
// is toggled as the clicking user, and the service rewrites the message. A
// value whose signature is missing, forged or expired, or that names a run
// of another channel, gets 401 and changes nothing. What else goes wrong
// is shown to the user as an ephemeral message; the answer is 200.
func (h *Handler) blockActions(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback) {
	var act *slackgo.BlockAction
	for _, a := range ic.ActionCallback.BlockActions {
		if a != nil && (a.ActionID == UpdateStatusActionID || a.ActionID == SnoozeActionID) {
			h.reminderAction(w, r, ic, a) // a reminder's control (reminder.go)
			return
		}
		if a != nil && a.ActionID == ToggleActionID {
			act = a
			break
		}
	}
	if act == nil {
		w.WriteHeader(http.StatusOK) // not ours to handle
		return
	}
	userID, teamID, channelID := ic.User.ID, ic.Team.ID, ic.Channel.ID
	b, err := verifyButton(h.signer, act.Value, bot.ButtonToggleItem)
	if err != nil {
		h.refuseAction(w, r, ic, err)
		return
	}
	if userID == "" || teamID == "" {
		h.tell(r, channelID, userID, "This click lacks the user or the workspace; it did not come from Slack.")
		w.WriteHeader(http.StatusOK)
		return
	}
	h.click(w, r, ic, b)
}

// click dispatches a verified click as the clicking user: a button of
// another channel's run gets 401 and changes nothing; a reminder's "Update
// status" opens the status update modal (the same modal, and submission,
// as /playbook update); a snooze rewrites the reminder without its
// controls. What else goes wrong is shown to the user as an ephemeral
// message; the answer is 200.
func (h *Handler) click(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback, b dialogs.Button) {
	userID, teamID, channelID := ic.User.ID, ic.Team.ID, ic.Channel.ID
	a := actor(userID, teamID)
	resp, err := h.disp.Click(r.Context(), commands.Click{Platform: Platform, Actor: a, ChannelID: channelID, Button: b})
	if errors.Is(err, bot.ErrOtherChannel) {
		h.refuseAction(w, r, ic, err)
		return
	}
	if err == nil {
		switch {
		case resp.Dialog != nil:
			err = h.client.OpenModal(r.Context(), ic.TriggerID, userID, channelID, *resp.Dialog)
		case b.Action == bot.ButtonSnooze:
			h.snoozed(r, ic, a, resp.Run, time.Duration(b.Seconds)*time.Second)
		}
	}
	if err != nil {
		h.tell(r, channelID, userID, h.userMessage(r.Context(), r.URL.Path, err, "user_id", userID, "run_id", b.RunID))
	}
	w.WriteHeader(http.StatusOK)
}

// tell shows msg to a user in a channel, when Slack said which; a failure
// is only logged.
func (h *Handler) tell(r *http.Request, channelID, userID, msg string) {
	if channelID == "" || userID == "" {
		return
	}
	if err := h.client.Ephemeral(r.Context(), channelID, userID, msg); err != nil {
		h.log.ErrorContext(r.Context(), "tell user", "user_id", userID, "channel_id", channelID, "error", err)
	}
}

// refuseAction answers 401 to a click whose value cannot be trusted.
func (h *Handler) refuseAction(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback, err error) {
	h.log.WarnContext(r.Context(), "button click with an invalid value refused",
		"user_id", ic.User.ID, "channel_id", ic.Channel.ID, "remote_addr", r.RemoteAddr)
	http.Error(w, bot.ErrorMessage(err), http.StatusUnauthorized)
}
