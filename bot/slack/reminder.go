package slack

import (
	"context"
	"fmt"
	"net/http"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Action IDs of the status update reminder's controls.
const (
	// UpdateStatusActionID is the reminder's "Update status" button, which
	// opens the status update modal.
	UpdateStatusActionID = "update_status"
	// SnoozeActionID is the reminder's "Snooze…" select, whose options are
	// bot.SnoozeOptions.
	SnoozeActionID = "snooze"
)

// Block IDs of the reminder message.
const (
	reminderTextBlockID    = "reminder"
	reminderActionsBlockID = "reminder-actions"
)

// PostReminder posts message (Markdown, converted to mrkdwn) in the run's
// channel (chat.postMessage), with an "Update status" button that opens
// the status update modal and a "Snooze…" select offering
// bot.SnoozeOptions. It returns the message's ts.
func (c *Client) PostReminder(ctx context.Context, r bot.Run, message string) (string, error) {
	_, ts, err := c.api.PostMessageContext(ctx, r.ChannelID,
		slackgo.MsgOptionText(toMrkdwn(message), false),
		slackgo.MsgOptionBlocks(c.reminderBlocks(r, message)...))
	if err != nil {
		return "", apiError(err, "chat.postMessage", "reminder in channel "+r.ChannelID)
	}
	return ts, nil
}

// reminderBlocks renders a reminder: a section with the message and an
// actions block with its controls, whose values are signed for any user
// (any member of the channel may use them).
func (c *Client) reminderBlocks(r bot.Run, message string) []slackgo.Block {
	sign := func(b dialogs.ReminderButton) string {
		return c.signer.Sign(dialogs.ButtonAudience, b.String(), dialogs.ButtonTTL)
	}
	update := slackgo.NewButtonBlockElement(UpdateStatusActionID,
		sign(dialogs.ReminderButton{Action: bot.ButtonUpdateStatus, RunID: r.ID}), plain("Update status"))
	update.Style = slackgo.StylePrimary
	opts := make([]*slackgo.OptionBlockObject, 0, len(bot.SnoozeOptions))
	for _, d := range bot.SnoozeOptions {
		opts = append(opts, slackgo.NewOptionBlockObject(
			sign(dialogs.ReminderButton{Action: bot.ButtonSnooze, RunID: r.ID, Seconds: int64(d / time.Second)}),
			plain(longDuration(d)), nil))
	}
	snooze := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain("Snooze…"), SnoozeActionID, opts...)
	return []slackgo.Block{
		slackgo.NewSectionBlock(mrkdwn(chatkit.TruncateRunes(toMrkdwn(message), maxSectionText)), nil, nil,
			slackgo.SectionBlockOptionBlockID(reminderTextBlockID)),
		slackgo.NewActionBlock(reminderActionsBlockID, update, snooze),
	}
}

// longDuration names a snooze option: "15 minutes", "1 hour", "4 hours".
func longDuration(d time.Duration) string {
	n, unit := int64(d/time.Minute), "minute"
	if d%time.Hour == 0 {
		n, unit = int64(d/time.Hour), "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// shortDuration writes d as "15m", "1h", "1h30m".
func shortDuration(d time.Duration) string {
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dm", m)
}

// reminderAction serves a click on a reminder's controls: "Update status"
// opens the status update modal for the clicking user (the same modal, and
// submission, as /playbook update); a Snooze choice snoozes the reminder
// as the clicking user and rewrites the reminder without its controls. A
// value whose signature is missing, forged or expired, that was rendered
// for the other control, or that names a run of another channel, gets 401
// and changes nothing. What else goes wrong is shown to the user as an
// ephemeral message; the answer is 200.
func (h *Handler) reminderAction(w http.ResponseWriter, r *http.Request, ic slackgo.InteractionCallback, act *slackgo.BlockAction) {
	value, action := act.Value, bot.ButtonUpdateStatus
	if act.ActionID == SnoozeActionID {
		value, action = act.SelectedOption.Value, bot.ButtonSnooze
	}
	b, err := verifyButton(h.signer, value, action)
	if err != nil {
		h.refuseAction(w, r, ic, err)
		return
	}
	userID, teamID, channelID := ic.User.ID, ic.Team.ID, ic.Channel.ID
	if userID == "" || teamID == "" {
		h.tell(r, channelID, userID, "This click lacks the user or the workspace; it did not come from Slack.")
		w.WriteHeader(http.StatusOK)
		return
	}
	h.click(w, r, ic, b)
}

// snoozed rewrites the reminder message of run, just snoozed by d, to say
// so, without its controls. The snooze is made: a message that cannot be
// rewritten is only logged.
func (h *Handler) snoozed(r *http.Request, ic slackgo.InteractionCallback, a bot.Actor, run bot.Run, d time.Duration) {
	ts := ic.Container.MessageTs
	if ts == "" {
		ts = ic.Message.Timestamp
	}
	if ts == "" {
		return
	}
	text := ic.Message.Text // as posted: mrkdwn, escaped
	if text == "" {
		text = "Status update reminder"
	}
	if err := h.client.reminderSnoozed(r.Context(), ic.Channel.ID, ts, text, a.UserID, d); err != nil {
		h.log.ErrorContext(r.Context(), "rewrite snoozed reminder", "run_id", run.ID,
			"channel_id", ic.Channel.ID, "ts", ts, "error", err)
	}
}

// reminderSnoozed rewrites reminder ts (chat.update), whose text was text
// (mrkdwn), to say that userID snoozed it by d, without its controls.
func (c *Client) reminderSnoozed(ctx context.Context, channelID, ts, text, userID string, d time.Duration) error {
	text = fmt.Sprintf("%s — snoozed for %s by <@%s>", text, shortDuration(d), userID)
	_, _, _, err := c.api.UpdateMessageContext(ctx, channelID, ts,
		slackgo.MsgOptionText(text, false),
		slackgo.MsgOptionBlocks(slackgo.NewSectionBlock(mrkdwn(chatkit.TruncateRunes(text, maxSectionText)), nil, nil,
			slackgo.SectionBlockOptionBlockID(reminderTextBlockID))))
	if err != nil {
		return apiError(err, "chat.update", "reminder "+ts)
	}
	return nil
}
