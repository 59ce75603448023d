package mattermost

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// specBasePath is the base path of the Playbooks REST API (api.BasePath),
// under which the spec puts the submission URLs of the start-run, end-run
// and next-stage dialogs. The api package forwards submissions that arrive
// there without a bearer token to Handler.DialogSubmission.
const specBasePath = "/plugins/playbooks/api/v0"

// dialogTTL is how long an opened dialog may be submitted.
const dialogTTL = 15 * time.Minute

// DialogURL returns where Mattermost is to send a dialog's submission: the
// spec's endpoints for the start-run, end-run and next-stage dialogs (as
// the Playbooks plugin does), DialogPath for the others.
func (c *Client) DialogURL(d dialogs.Dialog) string {
	switch d.CallbackID {
	case dialogs.StartRun:
		return c.publicURL + specBasePath + "/runs/dialog"
	case dialogs.EndRun, dialogs.NextStage:
		st, errs := dialogs.ParseRunState(d.State)
		if errs != nil {
			break
		}
		if d.CallbackID == dialogs.EndRun {
			return c.publicURL + specBasePath + "/runs/" + st.RunID + "/end"
		}
		return c.publicURL + specBasePath + "/runs/" + st.RunID + "/next-stage-dialog"
	}
	return c.publicURL + DialogPath
}

// OpenDialog opens dialog d for userID, who triggered triggerID (a slash
// command or a button click, valid for 30 seconds). Its submission goes to
// url. The dialog's State leaves signed for userID and d's callback ID,
// valid for 15 minutes. A dialog Mattermost would refuse (titles over 24
// bytes, unknown element types, ...) is not sent: that is a bug here, and
// an internal error.
func (c *Client) OpenDialog(ctx context.Context, userID, triggerID, url string, d dialogs.Dialog) error {
	req := c.DialogRequest(userID, triggerID, url, d)
	if err := req.IsValid(); err != nil {
		return fmt.Errorf("mattermost: dialog %s is not valid: %w", d.CallbackID, err)
	}
	resp, err := c.api.OpenInteractiveDialog(ctx, req)
	if err != nil {
		return apiError(resp, err, "dialog "+d.CallbackID)
	}
	return nil
}

// DialogRequest renders d as the body of POST /actions/dialogs/open.
func (c *Client) DialogRequest(userID, triggerID, url string, d dialogs.Dialog) model.OpenDialogRequest {
	elements := make([]model.DialogElement, len(d.Elements))
	for i, e := range d.Elements {
		el := model.DialogElement{
			DisplayName: e.DisplayName, Name: e.Name, Type: e.Type, SubType: e.SubType,
			Default: e.Default, Placeholder: e.Placeholder, HelpText: e.HelpText,
			Optional: e.Optional, MaxLength: e.MaxLength,
		}
		if e.DataSource == dialogs.DataSourceDynamic {
			el.DataSource = dialogs.DataSourceDynamic // Mattermost's name too
			el.DataSourceURL = c.publicURL + LookupPath
		}
		if len(e.Options) > 0 {
			el.Options = make([]*model.PostActionOptions, len(e.Options))
			for j, o := range e.Options {
				el.Options[j] = &model.PostActionOptions{Text: o.Text, Value: o.Value}
			}
		}
		elements[i] = el
	}
	return model.OpenDialogRequest{
		TriggerId: triggerID,
		URL:       url,
		Dialog: model.Dialog{
			CallbackId:       d.CallbackID,
			Title:            d.Title,
			IntroductionText: d.IntroText,
			Elements:         elements,
			SubmitLabel:      d.SubmitLabel,
			State:            c.signer.Sign(userID, d.CallbackID+"\n"+d.State, dialogTTL),
		},
	}
}

// verifyDialogState returns the State a dialog was opened with, from the
// signed state its submission (or lookup) echoes. EUnauthenticated when the
// token is missing, forged, expired, or was issued for another user or
// another dialog.
func verifyDialogState(s *dialogs.Signer, userID, callbackID, token string) (string, error) {
	raw, err := s.Verify(userID, token)
	if err != nil {
		return "", err
	}
	cb, state, ok := strings.Cut(raw, "\n")
	if !ok || cb != callbackID {
		return "", bot.Errorf(bot.EUnauthenticated, "this dialog is not valid (anymore); run the command again")
	}
	return state, nil
}
