package slack

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// Block IDs of the reminder message, each with a suffix (renderID): of
// its text, a rendering's; of its controls, the signed snooze token.
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
// actions block with its controls, signed for any user (any member of the
// channel may use them). The Update button's value is its signed token. A
// select option's value must be short (75 characters per @slack/types),
// far shorter than a token: a Snooze option's value is its delay in
// seconds, and the token of the snooze (the run) is the actions block's
// ID, which Slack sends back with the choice; a delay is accepted only if
// it is one of the options (verifyControl).
func (c *Client) reminderBlocks(r bot.Run, message string) []slackgo.Block {
	sign := func(b dialogs.ReminderButton) string {
		return c.signer.Sign(dialogs.ButtonAudience, b.String(), dialogs.ButtonTTL)
	}
	update := slackgo.NewButtonBlockElement(UpdateStatusActionID,
		sign(dialogs.ReminderButton{Action: bot.ButtonUpdateStatus, RunID: r.ID}), plain("Update status"))
	update.Style = slackgo.StylePrimary
	opts := make([]*slackgo.OptionBlockObject, 0, len(bot.SnoozeOptions))
	for _, d := range bot.SnoozeOptions {
		opts = append(opts, slackgo.NewOptionBlockObject(strconv.FormatInt(int64(d/time.Second), 10), plain(longDuration(d)), nil))
	}
	snooze := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, plain("Snooze…"), SnoozeActionID, opts...)
	return []slackgo.Block{
		slackgo.NewSectionBlock(mrkdwn(chatkit.TruncateRunes(toMrkdwn(message), maxSectionText)), nil, nil,
			slackgo.SectionBlockOptionBlockID(renderID(reminderTextBlockID, chatkit.RandomSuffix()))),
		slackgo.NewActionBlock(renderID(reminderActionsBlockID, sign(dialogs.ReminderButton{Action: bot.ButtonSnooze, RunID: r.ID})),
			update, snooze),
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

// verifyControl returns what a control asks, which must be action: a
// checklist item's button or a reminder's "Update status" button (their
// value is their signed token), or one of a reminder's Snooze options
// (their value is the delay in seconds, one of bot.SnoozeOptions, and the
// token is in the ID of the block, after its name; a reminder posted
// before had the token as the option's value). EUnauthenticated when the
// token is missing, forged or expired, was rendered for another control,
// or the delay is not one offered.
func (h *Handler) verifyControl(act *slackgo.BlockAction, action string) (dialogs.Button, error) {
	if action != bot.ButtonSnooze {
		return verifyButton(h.signer, act.Value, action)
	}
	value := act.SelectedOption.Value
	token, ok := strings.CutPrefix(act.BlockID, reminderActionsBlockID+".")
	if !ok || strings.Contains(value, ".") { // posted before: the option's value is the token
		return verifyButton(h.signer, value, action)
	}
	b, err := verifyButton(h.signer, token, action)
	if err != nil {
		return b, err
	}
	secs, err := strconv.ParseInt(value, 10, 64)
	if err != nil || !slices.Contains(bot.SnoozeOptions, time.Duration(secs)*time.Second) {
		return dialogs.Button{}, bot.Errorf(bot.EUnauthenticated, "this control is not valid")
	}
	b.Seconds = secs
	return b, nil
}

// snoozed rewrites the reminder message of run, just snoozed by d, to say
// so, without its controls. The snooze is made: a message that cannot be
// rewritten is only logged.
func (h *Handler) snoozed(ctx context.Context, ic slackgo.InteractionCallback, run bot.Run, d time.Duration) {
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
	if err := h.client.reminderSnoozed(ctx, ic.Channel.ID, ts, text, ic.User.ID, d); err != nil {
		h.log.ErrorContext(ctx, "rewrite snoozed reminder", "run_id", run.ID,
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
			slackgo.SectionBlockOptionBlockID(renderID(reminderTextBlockID, chatkit.RandomSuffix())))))
	if err != nil {
		return apiError(err, "chat.update", "reminder "+ts)
	}
	return nil
}
