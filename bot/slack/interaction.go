package slack

import (
	"context"
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
// another user or modal is refused with a message in the modal (status
// 200: Slack shows nothing of other answers) and changes nothing. A
// submission of a view already handled (same view ID and hash: the user
// clicked twice) is acknowledged and not handled again. Field problems
// keep the modal open with errors under their blocks; success closes it,
// and the result is then shown to the user.
//
// Should the work (the replay check, the use case: a run's channel,
// invitations and checklist) not be done within AckAfter of the arrival,
// the modal is turned at once into a "Working on it…" view, and updated
// when the work ends (views.update): with the result, or with the form
// again, as filled in, and what is wrong above it. When that view is gone
// (the user closed it), the result is shown as an ephemeral message.
func (h *Handler) viewSubmission(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback) {
	userID, teamID := ic.User.ID, ic.Team.ID
	if teamID == "" {
		teamID = ic.View.TeamID
	}
	ms, err := verifyModal(h.signer, userID, ic.View.CallbackID, ic.View.PrivateMetadata)
	if err != nil {
		h.log.WarnContext(r.Context(), "modal submission with invalid metadata refused",
			"user_id", userID, "callback_id", ic.View.CallbackID, "remote_addr", r.RemoteAddr)
		refuseInModal(ic.View, bot.ErrorMessage(err)).write(w)
		return
	}
	sub := commands.Submission{
		Platform: Platform, Actor: actor(userID, teamID), CallbackID: ms.CallbackID, State: ms.State,
		TeamID: teamID, ChannelID: ms.ChannelID, Values: viewValues(ic.View.State),
	}
	h.respond(w, r, deferred{
		early: ok200(viewUpdate{ResponseAction: "update", View: workingView(ic.View, ms.CallbackID)}),
		work: func(ctx context.Context) outcome {
			fresh, err := h.firstSeen(ctx, r)
			switch {
			case err != nil: // no proof it is not a replay: nothing is done
				h.log.WarnContext(ctx, "slack request not served", "path", r.URL.Path, "error", err)
				return h.submissionErrors(ic, ms, dialogs.FieldErrors{"": bot.ErrorMessage(err)})
			case !fresh:
				return h.replayed(ctx, r)
			}
			return h.submit(ctx, ic, ms, sub)
		},
		failed: func(context.Context) outcome {
			return h.submissionErrors(ic, ms, dialogs.FieldErrors{"": "internal error"})
		},
	})
}

// submit handles a submission once (a view and hash already handled is
// acknowledged and left alone) and says what becomes of it.
func (h *Handler) submit(ctx context.Context, ic slackgo.InteractionCallback, ms modalState, sub commands.Submission) outcome {
	key := "slack:view:" + ic.View.ID + ":" + ic.View.Hash
	if fresh, err := h.svc.FirstSeen(ctx, key, 2*modalTTL); err != nil {
		// Without the check the submission is handled anyway: a duplicate
		// is less harmful than a lost submission.
		h.log.ErrorContext(ctx, "check duplicate submission", "view_id", ic.View.ID, "error", err)
	} else if !fresh {
		return outcome{answer: ok200(nil)}
	}
	resp, errs := h.disp.Submit(ctx, sub)
	if len(errs) > 0 {
		if err := h.svc.ForgetSeen(ctx, key); err != nil { // the user may correct and resubmit the same view
			h.log.ErrorContext(ctx, "forget submission", "view_id", ic.View.ID, "error", err)
		}
		return h.submissionErrors(ic, ms, errs)
	}
	if resp.Dialog != nil {
		// A submission's answer could push another view, but no dialog
		// answers a submission with another today.
		h.log.WarnContext(ctx, "modal submission answered with another dialog; not opened",
			"callback_id", ms.CallbackID, "next_callback_id", resp.Dialog.CallbackID)
	}
	return h.submitted(ic, ms, resp)
}

// submissionErrors is the outcome of a submission refused with errs: in
// time, the errors under the modal's input blocks (or, for a modal without
// inputs, the modal again with the errors above); late, the form again as
// it was filled in, with the errors above, through views.update.
func (h *Handler) submissionErrors(ic slackgo.InteractionCallback, ms modalState, errs dialogs.FieldErrors) outcome {
	userID := ic.User.ID
	o := outcome{report: "views.update"}
	if out, ok := blockErrors(errs, ic.View); ok {
		o.answer = answer{status: http.StatusOK, body: viewErrors{ResponseAction: "errors", Errors: out}}
	} else {
		o.answer = ok200(viewUpdate{ResponseAction: "update", View: formAgain(ic.View, errs)})
	}
	o.late = func(ctx context.Context) {
		if err := h.client.updateView(ctx, ic.View.ID, formAgain(ic.View, errs)); err != nil {
			h.log.WarnContext(ctx, "show submission errors in the modal; told in the channel instead",
				"user_id", userID, "view_id", ic.View.ID, "error", err)
			h.tell(ctx, ms.ChannelID, userID, strings.Join(slices.Sorted(maps.Values(errs)), " "))
		}
	}
	return o
}

// submitted is the outcome of a submission handled: the modal closes and
// the result is posted (in the channel) or shown to the user (an
// ephemeral message); late, the "Working on it…" modal shows the result
// instead of an ephemeral message, which is posted only if that modal is
// gone.
func (h *Handler) submitted(ic slackgo.InteractionCallback, ms modalState, resp commands.Response) outcome {
	userID := ic.User.ID
	post := func(ctx context.Context) {
		if resp.Text == "" || ms.ChannelID == "" || !resp.InChannel {
			return
		}
		if _, err := h.client.Post(ctx, ms.ChannelID, resp.Text); err != nil { // the change is made: log the lost message
			h.log.ErrorContext(ctx, "post modal result", "user_id", userID,
				"channel_id", ms.ChannelID, "callback_id", ms.CallbackID, "error", err)
		}
	}
	tellResult := func(ctx context.Context) {
		if resp.Text != "" && !resp.InChannel {
			h.tell(ctx, ms.ChannelID, userID, resp.Text)
		}
	}
	return outcome{
		answer: ok200(nil),
		inTime: func(ctx context.Context) {
			post(ctx)
			tellResult(ctx)
		},
		late: func(ctx context.Context) {
			post(ctx)
			if err := h.client.updateView(ctx, ic.View.ID, doneView(ic.View, resp.Text)); err != nil {
				h.log.WarnContext(ctx, "show submission result in the modal", "user_id", userID, "view_id", ic.View.ID, "error", err)
				tellResult(ctx)
			}
		},
		report: "views.update",
	}
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
// reminder's controls, served by reminderAction): the item is toggled as
// the clicking user, and the service rewrites the message. Slack gets 200
// as soon as the click is read and verified, the work going on beside the
// request (a click's answer says nothing more, whatever happens); what
// goes wrong is shown to the user as an ephemeral message: a value
// whose signature is missing, forged or expired, or that names a run of
// another channel, changes nothing and is refused so. A replay does
// nothing.
func (h *Handler) blockActions(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback) {
	var act *slackgo.BlockAction
	for _, a := range ic.ActionCallback.BlockActions {
		if a != nil && (a.ActionID == ToggleActionID || a.ActionID == UpdateStatusActionID || a.ActionID == SnoozeActionID) {
			act = a
			break
		}
	}
	if act == nil {
		w.WriteHeader(http.StatusOK) // not ours to handle
		return
	}
	h.respond(w, r, deferred{
		early:  ok200(nil),
		atOnce: true,
		work: func(ctx context.Context) outcome {
			fresh, err := h.firstSeen(ctx, r)
			switch {
			case err != nil: // no proof it is not a replay: nothing is done
				h.log.WarnContext(ctx, "slack request not served", "path", r.URL.Path, "error", err)
				h.tell(ctx, ic.Channel.ID, ic.User.ID, bot.ErrorMessage(err))
				return outcome{answer: ok200(nil)}
			case !fresh:
				return h.replayed(ctx, r)
			}
			h.action(ctx, r, ic, act)
			return outcome{answer: ok200(nil)}
		},
		failed: func(ctx context.Context) outcome {
			h.tell(ctx, ic.Channel.ID, ic.User.ID, "internal error")
			return outcome{answer: ok200(nil)}
		},
	})
}

// action serves a verified, fresh click on one of the bot's controls.
func (h *Handler) action(ctx context.Context, r *http.Request, ic slackgo.InteractionCallback, act *slackgo.BlockAction) {
	action := bot.ButtonToggleItem
	switch act.ActionID {
	case UpdateStatusActionID:
		action = bot.ButtonUpdateStatus
	case SnoozeActionID:
		action = bot.ButtonSnooze
	}
	b, err := h.verifyControl(act, action)
	if err != nil {
		h.refuseAction(ctx, r, ic, err)
		return
	}
	if ic.User.ID == "" || ic.Team.ID == "" {
		h.tell(ctx, ic.Channel.ID, ic.User.ID, "This click lacks the user or the workspace; it did not come from Slack.")
		return
	}
	h.click(ctx, r, ic, b)
}

// click dispatches a verified click as the clicking user: a button of
// another channel's run changes nothing and is refused; a reminder's
// "Update status" opens the status update modal (the same modal, and
// submission, as /playbook update); a snooze rewrites the reminder without
// its controls. What else goes wrong is shown to the user as an ephemeral
// message.
func (h *Handler) click(ctx context.Context, r *http.Request, ic slackgo.InteractionCallback, b dialogs.Button) {
	userID, teamID, channelID := ic.User.ID, ic.Team.ID, ic.Channel.ID
	a := actor(userID, teamID)
	resp, err := h.disp.Click(ctx, commands.Click{Platform: Platform, Actor: a, ChannelID: channelID, Button: b})
	if errors.Is(err, bot.ErrOtherChannel) {
		h.refuseAction(ctx, r, ic, err)
		return
	}
	if err == nil {
		switch {
		case resp.Dialog != nil:
			err = h.client.OpenModal(ctx, ic.TriggerID, userID, channelID, *resp.Dialog)
		case b.Action == bot.ButtonSnooze:
			h.snoozed(ctx, ic, resp.Run, time.Duration(b.Seconds)*time.Second)
		}
	}
	if err != nil {
		h.tell(ctx, channelID, userID, h.userMessage(ctx, r.URL.Path, err, "user_id", userID, "run_id", b.RunID))
	}
}

// tell shows msg to a user in a channel, when Slack said which; a failure
// is only logged.
func (h *Handler) tell(ctx context.Context, channelID, userID, msg string) {
	if channelID == "" || userID == "" {
		return
	}
	if err := h.client.Ephemeral(ctx, channelID, userID, msg); err != nil {
		h.log.ErrorContext(ctx, "tell user", "user_id", userID, "channel_id", channelID, "error", err)
	}
}

// refuseAction tells the user that a control could not be trusted (its
// value is forged, expired, or of another channel's run) and logs it;
// nothing is changed.
func (h *Handler) refuseAction(ctx context.Context, r *http.Request, ic slackgo.InteractionCallback, err error) {
	h.log.WarnContext(ctx, "button click with an invalid value refused",
		"user_id", ic.User.ID, "channel_id", ic.Channel.ID, "remote_addr", r.RemoteAddr)
	h.tell(ctx, ic.Channel.ID, ic.User.ID, bot.ErrorMessage(err))
}
