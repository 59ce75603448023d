package mattermost

import (
	"errors"
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
)

// action serves a click on a checklist post's item button: the item is
// toggled as the clicking user, and the service rewrites the post; or on
// a reminder post's button (reminder.go): "Update status" opens the status
// update dialog for the clicking user, a snooze puts the reminder off and
// the answer rewrites the post without its buttons. A context whose
// signature is missing, forged or expired (or made with a secret the bot
// no longer has), or that names a run of another channel, changes nothing
// and is logged as a warning. Every answer has status 200, since
// Mattermost drops the body of any other: {}, {"update"} after a snooze,
// or {"ephemeral_text"} saying what went wrong and what to do.
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
		noteRequest(r.Context(), "refused", "")
		text := staleButton
		if h.refreshStalePost(r, req) {
			text = staleButtonRefreshed
		}
		h.refuseAction(w, r, req, text)
		return
	}
	noteRequest(r.Context(), st.Action, st.RunID)
	a := actor(req.UserId, req.TeamId)
	resp, err := h.disp.Click(r.Context(), commands.Click{
		Platform: Platform, Actor: a, ChannelID: req.ChannelId, Button: st,
	})
	if errors.Is(err, bot.ErrOtherChannel) {
		noteRequest(r.Context(), "refused", "")
		h.refuseAction(w, r, req, "This button does not belong to this channel; nothing was changed.")
		return
	}
	if err == nil {
		switch {
		case resp.Dialog != nil:
			err = h.openStatusDialog(r.Context(), req, *resp.Dialog)
		case st.Action == bot.ButtonSnooze:
			writeUpdate(w, h.snoozed(r.Context(), req, resp.Run, st))
			return
		}
	}
	if err != nil {
		msg := h.userMessage(r, err, "user_id", req.UserId, "run_id", st.RunID)
		chatkit.WriteJSON(w, http.StatusOK, ephemeralAnswer(msg))
		return
	}
	chatkit.WriteJSON(w, http.StatusOK, struct{}{})
}

// staleButton is what a user who clicked a button the bot cannot verify
// is told: most often the button was posted before PLAYBOOKS_SECRET
// changed (and PLAYBOOKS_SECRET_PREVIOUS no longer covers it).
const staleButton = "This button no longer works: it expired, or the bot's signing secret changed since it was posted. " +
	"Nothing was changed. Use `/playbook check <checklist> <item>` or `/playbook update` in the run's channel instead; " +
	"the checklist post gets new buttons at the run's next change."

// staleButtonRefreshed is what a user is told who clicked a button the bot
// cannot verify on a checklist post it has just rendered anew.
const staleButtonRefreshed = "This button no longer worked: it expired, or the bot's signing secret changed since it was posted. " +
	"Nothing was changed. The checklist post now has new buttons: click again."

// refreshStalePost gives a run's checklist post new buttons when a click
// on it could not be verified because none of its buttons can be any more
// (they expired, or were signed with a secret the bot no longer has), and
// reports whether it did. Mattermost strips every button's integration
// from a post read back, even for its author, so the buttons themselves
// cannot be checked: the post's signedProp, signed with them, tells
// whether they still verify, and the new ones are rendered from the stored
// run. The post is read from Mattermost as the bot, so nothing in the
// unauthenticated click is trusted but the IDs it names: the post must be
// the bot's, in the click's channel, and the checklist post of the run its
// ChecklistProp names (RefreshChecklistPost checks the last against the
// stored run). A click forged on a post whose buttons still verify
// rewrites nothing, so forged clicks can at most make the bot rewrite a
// stale checklist post once, as a real click would. The answer to the
// click never carries the post.
func (h *Handler) refreshStalePost(r *http.Request, req model.PostActionIntegrationRequest) bool {
	ctx := r.Context()
	if !model.IsValidId(req.PostId) || !model.IsValidId(req.ChannelId) {
		return false
	}
	post, _, err := h.client.api.GetPost(ctx, req.PostId, "")
	if err != nil {
		return false
	}
	self, err := h.client.self(ctx)
	runID, _ := post.GetProp(ChecklistProp).(string)
	if err != nil || post.UserId != self || post.ChannelId != req.ChannelId || !bot.OwnID(runID) {
		return false
	}
	if signed, _ := post.GetProp(signedProp).(string); verifySigned(h.signer, signed, runID) {
		return false // its buttons verify: this click was not made from one of them
	}
	refreshed, err := h.svc.RefreshChecklistPost(ctx, runID, req.PostId)
	if err != nil {
		h.log.ErrorContext(ctx, "refresh a checklist post with stale buttons", "run_id", runID, "post_id", req.PostId, "error", err)
		return false
	}
	if refreshed {
		noteRequest(ctx, "", runID)
		h.log.InfoContext(ctx, "checklist post with stale buttons rendered anew", "run_id", runID, "post_id", req.PostId)
	}
	return refreshed
}

// refuseAction answers a click whose context cannot be trusted with status
// 200 and text for the user (Mattermost shows only a 200's body), and logs
// it as a warning.
func (h *Handler) refuseAction(w http.ResponseWriter, r *http.Request, req model.PostActionIntegrationRequest, text string) {
	h.log.WarnContext(r.Context(), "button click with an invalid context refused",
		"user_id", req.UserId, "channel_id", req.ChannelId, "post_id", req.PostId, "remote_addr", r.RemoteAddr)
	chatkit.WriteJSON(w, http.StatusOK, ephemeralAnswer(text))
}
