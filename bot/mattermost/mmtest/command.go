package mmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// responseURLTTL is how long a command's response_url accepts replies.
const responseURLTTL = 30 * time.Minute

// builtin reports whether trigger is a built-in command this server
// knows; /echo posts its text as the user, the others do nothing visible.
func builtin(trigger string) bool {
	switch trigger {
	case "echo", "shrug", "away", "online", "dnd", "offline":
		return true
	}
	return false
}

// Slash is a slash command typed by a user.
type Slash struct {
	UserID    string
	ChannelID string
	Text      string // after the trigger, e.g. "check 0 1"
	Trigger   string // "playbook" when empty
	Token     string // sent instead of the registered command's token when set
}

// SlashCommand sends a slash command to the command's URL exactly as
// Mattermost does: a form with channel_id, channel_name, command,
// response_url, team_domain, team_id, text, token, trigger_id, user_id
// and user_name, the token also in "Authorization: Token", and
// User-Agent Mattermost-Bot/1.1. An answer with a status other than 200 is
// a *StatusError. The answer is applied: an in_channel reply becomes a
// post of the user, an ephemeral one an Ephemeral.
func (s *Server) SlashCommand(ctx context.Context, c Slash) (*model.CommandResponse, error) {
	if c.Trigger == "" {
		c.Trigger = "playbook"
	}
	s.mu.Lock()
	ch, chOK := s.channels[c.ChannelID]
	_, userOK := s.users[c.UserID]
	cmd, cmdOK := s.command(ch, c.Trigger)
	switch {
	case !chOK || !userOK:
		s.mu.Unlock()
		return nil, fmt.Errorf("mmtest: no channel %s or no user %s", c.ChannelID, c.UserID)
	case !s.canRead(c.UserID, ch):
		s.mu.Unlock()
		return nil, fmt.Errorf("mmtest: user %s may not use channel %s", c.UserID, c.ChannelID)
	case !cmdOK:
		s.mu.Unlock()
		return nil, fmt.Errorf("mmtest: no command /%s in the team of channel %s", c.Trigger, c.ChannelID)
	}
	triggerID := s.issueTrigger(c.UserID, c.ChannelID)
	s.mu.Unlock()
	if c.Token != "" {
		cmd.Token = c.Token
	}
	resp, err := s.sendSlash(ctx, cmd, c.UserID, c.ChannelID, c.Text, triggerID)
	if err != nil {
		return nil, err
	}
	s.applyCommandResponse(cmd, resp, c.UserID, c.ChannelID)
	return resp, nil
}

// command returns (a copy of) the registered command of ch's team with
// this trigger. Callers hold s.mu.
func (s *Server) command(ch *model.Channel, trigger string) (model.Command, bool) {
	for _, c := range s.commands {
		if ch != nil && c.TeamId == ch.TeamId && c.Trigger == trigger && c.DeleteAt == 0 {
			return *c, true
		}
	}
	return model.Command{}, false
}

// sendSlash posts the command form to cmd.URL and decodes the answer.
func (s *Server) sendSlash(ctx context.Context, cmd model.Command, userID, channelID, text, triggerID string) (*model.CommandResponse, error) {
	s.mu.Lock()
	ch, u, team := s.channels[channelID], s.users[userID], s.teams[s.channels[channelID].TeamId]
	hook := model.NewId()
	s.responseURLs[hook] = trigger{userID: userID, channelID: channelID, teamID: ch.TeamId, issued: s.now(), commandID: cmd.Id}
	form := url.Values{
		"channel_id":   {ch.Id},
		"channel_name": {ch.Name},
		"command":      {"/" + cmd.Trigger},
		"response_url": {s.URL + "/hooks/commands/" + hook},
		"team_domain":  {team.Name},
		"team_id":      {team.Id},
		"text":         {text},
		"token":        {cmd.Token},
		"trigger_id":   {triggerID},
		"user_id":      {u.Id},
		"user_name":    {u.Username},
	}
	s.mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cmd.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Token "+cmd.Token)
	req.Header.Set("User-Agent", "Mattermost-Bot/1.1")
	s.record(req)
	res, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mmtest: send /%s: %w", cmd.Trigger, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, &StatusError{Status: res.StatusCode, Body: string(body)}
	}
	resp, err := model.CommandResponseFromHTTPBody(res.Header.Get("Content-Type"), bytes.NewReader(body))
	if err != nil || resp == nil {
		return nil, fmt.Errorf("mmtest: undecodable answer to /%s: %v: %s", cmd.Trigger, err, body)
	}
	return resp, nil
}

// executeCommand runs a slash command as the caller in a channel they may
// post in: a registered command is sent to its URL, a built-in one runs
// here, anything else is a 404. The answer carries the trigger ID issued.
func (s *Server) executeCommand(w http.ResponseWriter, r *http.Request, me string) {
	var args model.CommandArgs
	if err := json.NewDecoder(r.Body).Decode(&args); err != nil {
		invalidParam(w, "command_args")
		return
	}
	if !strings.HasPrefix(args.Command, "/") || len(args.Command) < 2 {
		appError(w, http.StatusBadRequest, "api.command.execute_command.start.app_error", "No command trigger found.")
		return
	}
	trigger, text, _ := strings.Cut(strings.TrimPrefix(args.Command, "/"), " ")
	s.mu.Lock()
	ch, ok := s.channel(w, args.ChannelId, me)
	if !ok {
		s.mu.Unlock()
		return
	}
	if ch.Type == model.ChannelTypePrivate && !s.members[ch.Id][me] {
		s.mu.Unlock()
		forbidden(w)
		return
	}
	triggerID := s.issueTrigger(me, ch.Id)
	s.executed = append(s.executed, ExecutedCommand{UserID: me, ChannelID: ch.Id, Command: args.Command, TriggerID: triggerID})
	cmd, registered := s.command(ch, trigger)
	channelID := ch.Id
	s.mu.Unlock()

	var resp *model.CommandResponse
	switch {
	case registered:
		var err error
		if resp, err = s.sendSlash(r.Context(), cmd, me, channelID, strings.TrimSpace(text), triggerID); err != nil {
			var se *StatusError
			if !errors.As(err, &se) {
				se = &StatusError{Body: err.Error()}
			}
			appError(w, http.StatusInternalServerError, "api.command.execute_command.failed.app_error", "Command with a trigger of '/"+trigger+"' failed: "+se.Error())
			return
		}
	case builtin(trigger):
		resp = &model.CommandResponse{}
		if trigger == "echo" {
			resp = &model.CommandResponse{ResponseType: model.CommandResponseTypeInChannel, Text: text}
		}
	default:
		appError(w, http.StatusNotFound, "api.command.execute_command.not_found.app_error", "Command with a trigger of '/"+trigger+"' not found.")
		return
	}
	if !registered { // a built-in command's answer, as Mattermost's own providers give it
		cmd = model.Command{Trigger: trigger}
	}
	s.applyCommandResponse(cmd, resp, me, channelID)
	resp.TriggerId = triggerID
	writeJSON(w, http.StatusOK, resp)
}

// commandHook accepts a later reply to a slash command at its
// response_url, with no authentication.
func (s *Server) commandHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t, ok := s.responseURLs[r.PathValue("id")]
	expired := ok && s.now().Sub(t.issued) > responseURLTTL
	s.mu.Unlock()
	if !ok || expired {
		appError(w, http.StatusNotFound, "web.command_webhook.invalid.app_error", "Invalid webhook.")
		return
	}
	var resp model.CommandResponse
	if err := json.NewDecoder(r.Body).Decode(&resp); err != nil {
		appError(w, http.StatusBadRequest, "web.command_webhook.parse.app_error", "Unable to parse incoming data.")
		return
	}
	s.mu.Lock()
	var cmd model.Command
	for _, c := range s.commands {
		if c.Id == t.commandID {
			cmd = *c
		}
	}
	s.mu.Unlock()
	s.applyCommandResponse(cmd, &resp, t.userID, t.channelID)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}
