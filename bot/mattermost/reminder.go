package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// ReminderProp marks a status update reminder post; its value is the run's
// ID.
const ReminderProp = "playbooks_reminder_run_id"

// PostReminder posts message as the bot in the run's channel, with an
// "Update status" button, which opens the status update dialog for the
// user who clicks it, and a "Snooze" button per bot.SnoozeOptions, which
// puts the reminder off. Each button's context is signed like a checklist
// button's: for any channel member, naming the run and the action. It
// returns the post's ID.
func (c *Client) PostReminder(ctx context.Context, r bot.Run, message string) (string, error) {
	created, resp, err := c.api.CreatePost(ctx, c.ReminderPost(r, message))
	if err != nil {
		return "", apiError(resp, err, "reminder post in channel "+r.ChannelID)
	}
	return created.Id, nil
}

// ReminderPost renders the reminder post of run r: message, and an
// attachment with the update and snooze buttons.
func (c *Client) ReminderPost(r bot.Run, message string) *model.Post {
	actions := []*model.PostAction{
		c.reminderButton("updatestatus", "Update status", "primary", dialogs.ReminderButton{RunID: r.ID, Action: bot.ButtonUpdateStatus}),
	}
	for _, d := range bot.SnoozeOptions {
		label := snoozeLabel(d)
		actions = append(actions, c.reminderButton("snooze"+label, "Snooze "+label, "default",
			dialogs.ReminderButton{RunID: r.ID, Action: bot.ButtonSnooze, Seconds: int64(d / time.Second)}))
	}
	p := &model.Post{ChannelId: r.ChannelID, Message: message}
	p.SetProps(model.StringInterface{
		model.PostPropsAttachments: []*model.MessageAttachment{{
			Fallback: "Post a status update with /playbook update",
			Actions:  actions,
		}},
		ReminderProp:           r.ID,
		model.PostPropsFromBot: "true", // kept by a snooze's rewrite, which replaces the props
	})
	return p
}

// reminderButton is a reminder post's button doing st. Its ID is letters
// and digits only, as Mattermost requires.
func (c *Client) reminderButton(id, name, style string, st dialogs.ReminderButton) *model.PostAction {
	return &model.PostAction{
		Id:    id,
		Type:  model.PostActionTypeButton,
		Name:  name,
		Style: style,
		Integration: &model.PostActionIntegration{
			URL:     c.publicURL + ActionsPath,
			Context: map[string]any{buttonContextKey: c.signer.Sign(dialogs.ButtonAudience, st.String(), dialogs.ButtonTTL)},
		},
	}
}

// snoozeLabel writes a snooze delay as people do: 15m, 1h.
func snoozeLabel(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// getPost returns a post, read as the bot.
func (c *Client) getPost(ctx context.Context, postID string) (*model.Post, error) {
	p, resp, err := c.api.GetPost(ctx, postID, "")
	if err != nil {
		return nil, apiError(resp, err, "post "+postID)
	}
	return p, nil
}

// openStatusDialog opens the status update dialog d for the user who
// clicked a reminder's "Update status" button, with the click's trigger
// ID: the same dialog, submitted the same way, as /playbook update's.
func (h *Handler) openStatusDialog(ctx context.Context, req model.PostActionIntegrationRequest, d dialogs.Dialog) error {
	if err := h.client.OpenDialog(ctx, DialogTrigger{UserID: req.UserId, ChannelID: req.ChannelId, TriggerID: req.TriggerId}, d); err != nil {
		return fmt.Errorf("open the status update dialog: %w", err)
	}
	return nil
}

// postUpdate is the "update" of an action's answer: Mattermost rewrites the
// post with this message and props.
type postUpdate struct {
	Message string         `json:"message"`
	Props   map[string]any `json:"props"`
}

// snoozed returns the reminder post of run, just snoozed by the delay of a
// reminder's snooze button, rewritten to say so, without its buttons, so
// that nobody snoozes it twice. The update carries the post's other props
// (from_bot, ReminderProp): Mattermost 10.12 replaces a post's props with
// the update's, keeping only from_webhook and the override props.
func (h *Handler) snoozed(ctx context.Context, req model.PostActionIntegrationRequest, run bot.Run, st dialogs.Button) postUpdate {
	d := time.Duration(st.Seconds) * time.Second
	props := map[string]any{model.PostPropsFromBot: "true", ReminderProp: run.ID}
	var msg string
	if p, err := h.client.getPost(ctx, req.PostId); err == nil {
		msg = p.Message
		for k, v := range p.GetProps() {
			if k != model.PostPropsAttachments {
				props[k] = v
			}
		}
	} else { // the snooze is made: say so without the original text
		h.log.ErrorContext(ctx, "read the reminder post to rewrite it", "post_id", req.PostId, "run_id", run.ID, "error", err)
		msg = "Status update reminder of " + run.Name
	}
	by := req.UserName
	if by == "" {
		by = req.UserId
		if u, err := h.client.User(ctx, req.UserId); err == nil {
			by = u.Username
		}
	}
	msg = strings.TrimRight(msg, "\n") + fmt.Sprintf(" — snoozed for %s by @%s", snoozeLabel(d), by)
	return postUpdate{Message: msg, Props: props}
}

// writeUpdate answers a click with the rewrite of its post.
func writeUpdate(w http.ResponseWriter, u postUpdate) {
	chatkit.WriteJSON(w, http.StatusOK, struct {
		Update postUpdate `json:"update"`
	}{u})
}
