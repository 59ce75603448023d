package mattermost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// dialogTTL is how long an opened dialog may be submitted.
const dialogTTL = 15 * time.Minute

// seenTTL is how long a handled submission is remembered: longer than its
// state is valid, so that a state is refused as used, then as expired,
// however the clocks of the replicas differ.
const seenTTL = 2 * dialogTTL

// DialogTrigger is what opens a dialog: the trigger ID of a slash command
// or a button click (valid for 30 seconds), the user it was issued for,
// and the channel they were in, to which the dialog's state is bound.
type DialogTrigger struct {
	UserID    string
	ChannelID string
	TriggerID string
}

// DialogURL returns where Mattermost is to send every dialog's submission:
// DialogPath under the public URL. Never a /plugins/... path: Mattermost
// takes such a URL on its own hostname for a plugin's route and adds the
// user's session token to the request.
func (c *Client) DialogURL() string {
	return c.publicURL + DialogPath
}

// OpenDialog opens dialog d for the user of trigger t; its submission goes
// to DialogURL. The dialog's State leaves signed for the user, the channel
// and d's callback ID, with a nonce, valid for 15 minutes. Its
// DataSourceDynamic selects are dynamic on Mattermost 11+ and static lists
// on 10.x (DialogRequest), as the server's version (read once) says. A
// dialog Mattermost would refuse or show wrongly (titles over 24 bytes,
// unknown element types, on 10.x a dynamic select with no static options)
// is not sent: that is a bug here, and an internal error.
func (c *Client) OpenDialog(ctx context.Context, t DialogTrigger, d dialogs.Dialog) error {
	dynamic := c.server(ctx).dynamicSelects()
	for _, e := range d.Elements {
		if e.DataSource == dialogs.DataSourceDynamic && len(e.Options) == 0 && !dynamic {
			return fmt.Errorf("mattermost: dialog %s: select %q has no options: Mattermost 10.x has no dynamic selects", d.CallbackID, e.Name)
		}
	}
	req := c.DialogRequest(t, d, dynamic)
	if err := req.IsValid(); err != nil {
		return fmt.Errorf("mattermost: dialog %s is not valid: %w", d.CallbackID, err)
	}
	resp, err := c.api.OpenInteractiveDialog(ctx, req)
	if err != nil {
		return apiError(resp, err, "dialog "+d.CallbackID)
	}
	return nil
}

// DialogRequest renders d as the body of POST /actions/dialogs/open. With
// dynamic (Mattermost 11+), a DataSourceDynamic select is a dynamic select
// whose options Mattermost looks up at LookupURL as the user types: no
// static options (Mattermost refuses both) and no default (a default it
// cannot name among options would show as a bare value). Otherwise every
// select is a static one, as Mattermost 10.x knows them: a dynamic select
// lists the static options the dialog carries for such platforms.
func (c *Client) DialogRequest(t DialogTrigger, d dialogs.Dialog, dynamic bool) model.OpenDialogRequest {
	elements := make([]model.DialogElement, len(d.Elements))
	for i, e := range d.Elements {
		el := model.DialogElement{
			DisplayName: e.DisplayName, Name: e.Name, Type: e.Type, SubType: e.SubType,
			Default: e.Default, Placeholder: e.Placeholder, HelpText: e.HelpText,
			Optional: e.Optional, MaxLength: e.MaxLength,
		}
		switch {
		case dynamic && e.Type == dialogs.TypeSelect && e.DataSource == dialogs.DataSourceDynamic:
			el.DataSource, el.DataSourceURL, el.Default = dialogs.DataSourceDynamic, c.LookupURL(t, d.CallbackID, e.Name), ""
		case len(e.Options) > 0:
			el.Options = make([]*model.PostActionOptions, len(e.Options))
			for j, o := range e.Options {
				el.Options[j] = &model.PostActionOptions{Text: o.Text, Value: o.Value}
			}
		}
		elements[i] = el
	}
	return model.OpenDialogRequest{
		TriggerId: t.TriggerID,
		URL:       c.DialogURL(),
		Dialog: model.Dialog{
			CallbackId:       d.CallbackID,
			Title:            d.Title,
			IntroductionText: d.IntroText,
			Elements:         elements,
			SubmitLabel:      d.SubmitLabel,
			// A fresh nonce makes each opened dialog's state unique, so that
			// using one (seenKey) never uses another opened in the same second.
			State: c.signer.Sign(t.UserID, d.CallbackID+"\n"+t.ChannelID+"\n"+bot.NewID()+"\n"+d.State, dialogTTL),
		},
	}
}

// Refusals of dialog submissions, as the user reads them under the dialog.
var (
	errDialogInvalid = bot.Errorf(bot.EUnauthenticated,
		"This dialog has expired (dialogs last 15 minutes) or was not opened for you. Close it and run the command again.")
	errDialogChannel = bot.Errorf(bot.EUnauthenticated,
		"This dialog was opened in another channel and can only be submitted there. Close it and run the command again in this channel.")
	errDialogUsed = bot.Errorf(bot.EConflict,
		"This dialog was already submitted, and a dialog is handled only once; nothing more was changed. Close it, and run the command again to make another change.")
)

// verifyDialogState returns the State a dialog was opened with, from the
// signed state its submission echoes. EUnauthenticated when the token is
// missing, forged, expired, or was issued for another user, another dialog
// or another channel.
func verifyDialogState(s *dialogs.Signer, userID, channelID, callbackID, token string) (string, error) {
	raw, err := s.Verify(userID, token)
	if err != nil {
		return "", errDialogInvalid
	}
	parts := strings.SplitN(raw, "\n", 4) // callback ID, channel ID, nonce, state
	if len(parts) != 4 || parts[0] != callbackID {
		return "", errDialogInvalid
	}
	ch, state := parts[1], parts[3]
	if ch != channelID {
		return "", errDialogChannel
	}
	return state, nil
}

// seenKey is the key under which a submission of the dialog with this
// signed state is remembered (Service.FirstSeen): a hash, since the state
// is a credential until it expires.
func seenKey(signedState string) string {
	sum := sha256.Sum256([]byte(signedState))
	return "mattermost:dialog:" + hex.EncodeToString(sum[:])
}
