package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/commands"
)

// commandReply is the answer to a slash command Slack shows: to the user
// only ("ephemeral") or to the channel ("in_channel").
type commandReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// working is the acknowledgement of a slash command whose result is not
// ready within AckAfter; the result follows through response_url.
var working = commandReply{ResponseType: "ephemeral", Text: "Working on it…"}

// command serves a /playbook slash command (its signature already
// verified). It answers with status 200: an ephemeral or in-channel reply,
// or an empty body after opening a modal. Should the command (the replay
// check, the use case, opening its modal) not be done within AckAfter of
// its arrival, the user gets "Working on it…" at once and the result is
// posted to the command's response_url when it is ready (a modal is still
// opened if its trigger ID has not expired). A replay does nothing: 401
// when known in time, nothing said later. While the database is
// unavailable the user is told to try again shortly.
func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	sc, err := slackgo.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	if sc.UserID == "" || sc.TeamID == "" || sc.ChannelID == "" {
		chatkit.WriteJSON(w, http.StatusOK, commandReply{ResponseType: "ephemeral",
			Text: "This request lacks user_id, team_id or channel_id; it did not come from Slack."})
		return
	}
	if !ValidID(sc.UserID) || !ValidID(sc.TeamID) || !ValidID(sc.ChannelID) {
		chatkit.WriteJSON(w, http.StatusOK, commandReply{ResponseType: "ephemeral",
			Text: "This request's user_id, team_id or channel_id is not a Slack ID; it did not come from Slack."})
		return
	}
	reply := func(rep commandReply) outcome {
		o := outcome{answer: ok200(nil)}
		if rep.Text != "" {
			o.answer = ok200(rep)
			o.report = "response_url"
			o.late = func(ctx context.Context) {
				if err := h.client.respond(ctx, sc.ResponseURL, rep); err != nil {
					h.log.ErrorContext(ctx, "post slow slash command result", "user_id", sc.UserID,
						"channel_id", sc.ChannelID, "error", err)
				}
			}
		}
		return o
	}
	h.respond(w, r, deferred{
		early: ok200(working),
		work: func(ctx context.Context) outcome {
			fresh, err := h.firstSeen(ctx, r)
			switch {
			case err != nil: // no proof it is not a replay: nothing is done
				h.log.WarnContext(ctx, "slack request not served", "path", r.URL.Path, "error", err)
				return reply(commandReply{ResponseType: "ephemeral", Text: bot.ErrorMessage(err)})
			case !fresh:
				return h.replayed(ctx, r)
			}
			return reply(h.runCommand(ctx, sc))
		},
		failed: func(context.Context) outcome {
			return reply(commandReply{ResponseType: "ephemeral", Text: "internal error"})
		},
	})
}

// runCommand dispatches a slash command and opens the modal it answers
// with; it returns the reply, with no text when there is nothing to say.
func (h *Handler) runCommand(ctx context.Context, sc slackgo.SlashCommand) commandReply {
	resp := h.disp.Dispatch(ctx, commands.Request{
		Platform: Platform, Actor: actor(sc.UserID, sc.TeamID), TeamID: sc.TeamID, ChannelID: sc.ChannelID,
		Text: strings.TrimSpace(sc.Text),
	})
	if resp.Dialog != nil {
		d := *resp.Dialog
		if err := h.client.OpenModal(ctx, sc.TriggerID, sc.UserID, sc.ChannelID, d); err != nil {
			msg := h.userMessage(ctx, CommandPath, err, "user_id", sc.UserID, "channel_id", sc.ChannelID, "callback_id", d.CallbackID)
			return commandReply{ResponseType: "ephemeral", Text: "The dialog could not be opened: " + msg}
		}
	}
	typ := "ephemeral"
	if resp.InChannel {
		typ = "in_channel"
	}
	return commandReply{ResponseType: typ, Text: toMrkdwn(resp.Text)}
}

// respond posts a slash command's late reply to its response_url.
func (c *Client) respond(ctx context.Context, url string, reply commandReply) error {
	if url == "" {
		return fmt.Errorf("slack: no response_url to post to")
	}
	body, _ := json.Marshal(reply) // two strings always encode
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack: response_url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("slack: response_url: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("slack: response_url answered %s", resp.Status)
	}
	return nil
}
