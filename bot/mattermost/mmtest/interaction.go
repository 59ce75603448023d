package mmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"
)

// DialogSubmission returns the request Mattermost sends when the user of d
// submits it with values: every element starts at its default (bools as
// booleans) and values override them. Like Mattermost's client, it refuses
// to submit when a required element has no value.
func DialogSubmission(d OpenedDialog, values map[string]any) (model.SubmitDialogRequest, error) {
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
		if v, ok := sub[e.Name]; !e.Optional && e.Type != "bool" && (!ok || v == nil || v == "") {
			return model.SubmitDialogRequest{}, fmt.Errorf("mmtest: %s is required: Mattermost does not submit dialog %s without it", e.Name, d.Dialog.CallbackId)
		}
	}
	return model.SubmitDialogRequest{
		Type: "dialog_submission", CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: d.UserID, ChannelId: d.ChannelID, TeamId: d.TeamID, Submission: sub,
	}, nil
}

// SubmitDialog submits d with values to its URL, as Mattermost does: JSON,
// with no authentication. The answer must have status 200 (else a
// *StatusError); {"errors"} or {"error"} in it would keep the dialog open.
func (s *Server) SubmitDialog(ctx context.Context, d OpenedDialog, values map[string]any) (*model.SubmitDialogResponse, error) {
	req, err := DialogSubmission(d, values)
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

// SendDialogSubmission posts a dialog submission to url as is.
func (s *Server) SendDialogSubmission(ctx context.Context, url string, req model.SubmitDialogRequest) (*model.SubmitDialogResponse, error) {
	var resp model.SubmitDialogResponse
	if err := s.postJSON(ctx, url, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Lookup asks for the options of a dynamic select of d matching query, as
// Mattermost does while the user types: a dialog_lookup request to the
// element's data_source_url, with the element's name as selected_field.
func (s *Server) Lookup(ctx context.Context, d OpenedDialog, element, query string) (*model.LookupDialogResponse, error) {
	var el *model.DialogElement
	for i, e := range d.Dialog.Elements {
		if e.Name == element {
			el = &d.Dialog.Elements[i]
		}
	}
	if el == nil || el.DataSource != "dynamic" {
		return nil, fmt.Errorf("mmtest: dialog %s has no dynamic select %q", d.Dialog.CallbackId, element)
	}
	req := model.SubmitDialogRequest{
		Type: "dialog_lookup", URL: el.DataSourceURL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: d.UserID, ChannelId: d.ChannelID, TeamId: d.TeamID,
		Submission: map[string]any{"query": query, "selected_field": element},
	}
	var resp model.LookupDialogResponse
	if err := s.postJSON(ctx, el.DataSourceURL, req, &resp); err != nil {
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
// to the user. A status other than 200 is a *StatusError.
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
		s.ephemerals = append(s.ephemerals, Ephemeral{UserID: userID, ChannelID: req.ChannelId,
			Message: resp.EphemeralText, Source: "action"})
	}
	return resp, nil
}

// SendAction posts an action request to url as is.
func (s *Server) SendAction(ctx context.Context, url string, req model.PostActionIntegrationRequest) (*model.PostActionIntegrationResponse, error) {
	var resp model.PostActionIntegrationResponse
	if err := s.postJSON(ctx, url, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// postJSON posts v as JSON to url, as Mattermost calls integrations (no
// authentication), and decodes a 200 answer into out; an empty answer is
// {}. Any other status is a *StatusError.
func (s *Server) postJSON(ctx context.Context, url string, v, out any) error {
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
		return &StatusError{Status: res.StatusCode, Body: string(b)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("mmtest: undecodable answer from %s: %w: %s", url, err, b)
	}
	return nil
}
