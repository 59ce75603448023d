package mmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// DialogSubmission returns the request Mattermost sends when the user of d
// submits it with values: every element starts at its default (bools as
// booleans) and values override them. Like Mattermost's web client, it
// refuses to submit when a required element has no value, or when a select
// or radio has a value the user could not have picked: one not among its
// options (a select whose data source 10.12 does not know has none), or not
// a valid ID for a users or channels select. The value of a dynamic select
// (11.0) can only be one a lookup offered, which only the server knows:
// use Server.SubmitDialog for such a dialog.
func DialogSubmission(d OpenedDialog, values map[string]any) (model.SubmitDialogRequest, error) {
	return dialogSubmission(d, values, nil)
}

// dialogSubmission is DialogSubmission, with dynamic saying whether the
// value of a dynamic select could be picked (nil: none could).
func dialogSubmission(d OpenedDialog, values map[string]any, dynamic func(model.DialogElement, any) error) (model.SubmitDialogRequest, error) {
	sub := map[string]any{}
	for _, e := range d.Dialog.Elements {
		switch {
		case e.Type == "bool":
			sub[e.Name] = e.Default == "true"
		case e.Default != "":
			sub[e.Name] = e.Default
		}
	}
	for k, v := range values {
		sub[k] = v
	}
	for _, e := range d.Dialog.Elements {
		v, ok := sub[e.Name]
		if !ok || v == nil || v == "" {
			if !e.Optional && e.Type != "bool" {
				return model.SubmitDialogRequest{}, fmt.Errorf("mmtest: %s is required: Mattermost does not submit dialog %s without it", e.Name, d.Dialog.CallbackId)
			}
			continue
		}
		var err error
		switch {
		case e.Type == "select" && e.DataSource == "dynamic" && e.DataSourceURL != "" && dynamic == nil:
			err = fmt.Errorf("%s: the value of a dynamic select comes from a lookup: submit with Server.SubmitDialog", e.Name)
		case e.Type == "select" && e.DataSource == "dynamic" && e.DataSourceURL != "":
			err = dynamic(e, v)
		default:
			err = pickable(e, v)
		}
		if err != nil {
			return model.SubmitDialogRequest{}, fmt.Errorf("mmtest: dialog %s: %w", d.Dialog.CallbackId, err)
		}
	}
	return model.SubmitDialogRequest{
		Type: "dialog_submission", CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: d.UserID, ChannelId: d.ChannelID, TeamId: d.TeamID, Submission: sub,
	}, nil
}

// pickable reports why the web client could not submit v as the value of
// a select or radio element e; nil for other elements.
func pickable(e model.DialogElement, v any) error {
	if e.Type != "select" && e.Type != "radio" {
		return nil
	}
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: a %s's value is a string, got %T", e.Name, e.Type, v)
	}
	if e.Type == "select" && (e.DataSource == model.PostActionDataSourceUsers || e.DataSource == model.PostActionDataSourceChannels) {
		if !model.IsValidId(str) {
			return fmt.Errorf("%s: %q is not the ID of one of the %s the list offers", e.Name, str, e.DataSource)
		}
		return nil
	}
	if len(e.Options) == 0 {
		return fmt.Errorf("%s: the list is empty, so nothing can be picked (data source %q)", e.Name, e.DataSource)
	}
	for _, o := range e.Options {
		if o != nil && o.Value == str {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not one of the %d options the list offers", e.Name, str, len(e.Options))
}

// SubmitDialog submits d with values to its URL, as Mattermost does: JSON,
// with no authentication (but see postJSON). The values are checked as
// DialogSubmission does; a dynamic select's must be one a Lookup offered. The answer must have status
// 200, else it is a *StatusError with no body; {"errors"} or {"error"} in
// it would keep the dialog open.
func (s *Server) SubmitDialog(ctx context.Context, d OpenedDialog, values map[string]any) (*model.SubmitDialogResponse, error) {
	req, err := dialogSubmission(d, values, func(e model.DialogElement, v any) error { return s.dynamicValue(d, e, v) })
	if err != nil {
		return nil, err
	}
	return s.SendDialogSubmission(ctx, d.URL, req)
}

// CancelDialog cancels d. Mattermost tells the integration only when the
// dialog asked (notify_on_cancel): otherwise nothing is sent and the
// answer is nil.
func (s *Server) CancelDialog(ctx context.Context, d OpenedDialog) (*model.SubmitDialogResponse, error) {
	if !d.Dialog.NotifyOnCancel {
		return nil, nil
	}
	return s.SendDialogSubmission(ctx, d.URL, model.SubmitDialogRequest{
		Type: "dialog_submission", CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: d.UserID, ChannelId: d.ChannelID, TeamId: d.TeamID, Cancelled: true,
	})
}

// SendDialogSubmission posts a dialog submission to url as is, as the
// user it names submitting it.
func (s *Server) SendDialogSubmission(ctx context.Context, url string, req model.SubmitDialogRequest) (*model.SubmitDialogResponse, error) {
	var resp model.SubmitDialogResponse
	if err := s.postJSON(ctx, req.UserId, url, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ActionRequest returns the URL and request Mattermost sends when userID
// clicks the action of a post: the post's and channel's IDs and names, the
// user's, a new trigger ID, the action's type and the integration's
// context. Users who may not read the channel cannot click.
func (s *Server) ActionRequest(userID, postID, actionID string) (string, model.PostActionIntegrationRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.posts[postID]
	if !ok {
		return "", model.PostActionIntegrationRequest{}, fmt.Errorf("mmtest: no post %s", postID)
	}
	p := decodePost(b)
	ch, u := s.channels[p.ChannelId], s.users[userID]
	if u == nil || !s.canRead(userID, ch) {
		return "", model.PostActionIntegrationRequest{}, fmt.Errorf("mmtest: user %s may not read channel %s", userID, p.ChannelId)
	}
	action := p.GetAction(actionID)
	if action == nil || action.Integration == nil {
		return "", model.PostActionIntegrationRequest{}, fmt.Errorf("mmtest: post %s has no action %s", postID, actionID)
	}
	team := s.teams[ch.TeamId]
	return action.Integration.URL, model.PostActionIntegrationRequest{
		UserId: userID, UserName: u.Username, ChannelId: ch.Id, ChannelName: ch.Name,
		TeamId: team.Id, TeamName: team.Name, PostId: postID, TriggerId: s.issueTrigger(userID, ch.Id),
		Type: action.Type, DataSource: action.DataSource, Context: action.Integration.Context,
	}, nil
}

// Click clicks a post's button as userID and applies the answer as
// Mattermost does: "update" rewrites the post, "ephemeral_text" is shown
// to the user, its Slack links made Markdown links unless the answer sets
// skip_slack_parsing (DoPostActionWithCookie). A status other than 200 is
// a *StatusError with no body.
func (s *Server) Click(ctx context.Context, userID, postID, actionID string) (*model.PostActionIntegrationResponse, error) {
	url, req, err := s.ActionRequest(userID, postID, actionID)
	if err != nil {
		return nil, err
	}
	resp, err := s.SendAction(ctx, url, req)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if resp.Update != nil {
		s.applyActionUpdate(postID, resp.Update)
	}
	if resp.EphemeralText != "" {
		msg := resp.EphemeralText
		if !resp.SkipSlackParsing {
			msg = model.ParseSlackLinksToMarkdown(msg)
		}
		s.ephemerals = append(s.ephemerals, Ephemeral{UserID: userID, ChannelID: req.ChannelId,
			Message: msg, Source: "action"})
	}
	return resp, nil
}

// SendAction posts an action request to url as is, as the user it names
// clicking.
func (s *Server) SendAction(ctx context.Context, url string, req model.PostActionIntegrationRequest) (*model.PostActionIntegrationResponse, error) {
	var resp model.PostActionIntegrationResponse
	if err := s.postJSON(ctx, req.UserId, url, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// postJSON posts v as JSON to url for userID, as Mattermost 10.12's
// DoActionRequest calls integrations: with no authentication, except that
// a URL it takes for a plugin's route (isPluginRoute) gets "Authorization:
// Bearer <the user's session token>". The request is recorded (Sent). A 200
// answer is decoded into out (an empty one is {}); any other status is a
// *StatusError without the body, which Mattermost drops.
func (s *Server) postJSON(ctx context.Context, userID, url string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if s.isPluginRoute(url) {
		if tok := s.SessionToken(userID); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	s.record(req)
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("mmtest: post to %s: %w", url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		s.t.Logf("mmtest: %s answered status %d; the body is dropped and the user sees a generic integration error: %s",
			url, res.StatusCode, bytes.TrimSpace(b))
		return &StatusError{Status: res.StatusCode}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("mmtest: undecodable answer from %s: %w: %s", url, err, b)
	}
	return nil
}

// StatusError is a response of the bot (or of this server's REST API) with
// a status other than 200. For a dialog submission or a button click Body
// is empty: Mattermost drops the body of such an answer, and the user sees
// only a generic integration error.
type StatusError struct {
	Status int
	Body   string
}

// Error says the status and the body, or what the user sees when the body
// was dropped.
func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("status %d: the user sees only Mattermost's generic integration error", e.Status)
	}
	return fmt.Sprintf("status %d: %s", e.Status, strings.TrimSpace(e.Body))
}
