package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// modalTTL is how long an opened modal may be submitted.
const modalTTL = 15 * time.Minute

// introBlockID is the block ID of a modal's introduction text; element
// names never start with "_".
const introBlockID = "_intro"

// Slack's limits on modal texts, in characters.
const (
	maxPlaceholder = 150
	maxOptionText  = 75
	maxOptions     = 100
	maxHint        = 2000
	maxInputLength = 3000 // of a plain-text input's value
)

// OpenModal opens dialog d as a modal for userID, who triggered triggerID
// (a slash command, valid for 3 seconds) in channelID (views.open). The
// modal's private_metadata carries d's callback ID, the channel and d's
// State, signed for userID and valid for 15 minutes.
func (c *Client) OpenModal(ctx context.Context, triggerID, userID, channelID string, d dialogs.Dialog) error {
	_, err := c.api.OpenViewContext(ctx, triggerID, c.Modal(userID, channelID, d))
	if err != nil {
		return apiError(err, "views.open", "modal "+d.CallbackID)
	}
	return nil
}

// Modal renders d as a modal: one input block per element, whose block ID
// and action ID are the element's name.
func (c *Client) Modal(userID, channelID string, d dialogs.Dialog) slackgo.ModalViewRequest {
	submit := d.SubmitLabel
	if submit == "" {
		submit = "Submit"
	}
	var blocks []slackgo.Block
	if d.IntroText != "" {
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(chatkit.TruncateRunes(toMrkdwn(d.IntroText), maxSectionText)), nil, nil,
			slackgo.SectionBlockOptionBlockID(introBlockID)))
	}
	for _, e := range d.Elements {
		blocks = append(blocks, inputBlock(e))
	}
	return slackgo.ModalViewRequest{
		Type:            slackgo.VTModal,
		CallbackID:      d.CallbackID,
		Title:           plain(chatkit.TruncateRunes(d.Title, dialogs.MaxTitleLen)),
		Submit:          plain(chatkit.TruncateRunes(submit, dialogs.MaxTitleLen)),
		Close:           plain("Cancel"),
		Blocks:          slackgo.Blocks{BlockSet: blocks},
		PrivateMetadata: c.signer.Sign(userID, d.CallbackID+"\n"+channelID+"\n"+d.State, modalTTL),
	}
}

// inputBlock renders one element: text as a plain-text input (multiline
// for a textarea), a select as a static select or, when dynamic, an
// external select, a radio as radio buttons, and a bool as one checkbox.
func inputBlock(e dialogs.Element) *slackgo.InputBlock {
	var hint *slackgo.TextBlockObject
	if e.HelpText != "" {
		hint = plain(chatkit.TruncateRunes(e.HelpText, maxHint))
	}
	var placeholder *slackgo.TextBlockObject
	if e.Placeholder != "" {
		placeholder = plain(chatkit.TruncateRunes(e.Placeholder, maxPlaceholder))
	}
	var el slackgo.BlockElement
	switch e.Type {
	case dialogs.TypeSelect:
		if e.DataSource == dialogs.DataSourceDynamic {
			// Searched as the user types; the static options only give
			// the default's text.
			sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeExternal, placeholder, e.Name)
			zero := 0
			sel.MinQueryLength = &zero
			sel.InitialOption = initial(options(e.Options), e.Default)
			el = sel
			break
		}
		opts := options(e.Options)
		sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, placeholder, e.Name, opts...)
		sel.InitialOption = initial(opts, e.Default)
		el = sel
	case dialogs.TypeRadio:
		opts := options(e.Options)
		radio := slackgo.NewRadioButtonsBlockElement(e.Name, opts...)
		radio.InitialOption = initial(opts, e.Default)
		el = radio
	case dialogs.TypeBool:
		label := e.Placeholder
		if label == "" {
			label = e.DisplayName
		}
		opt := slackgo.NewOptionBlockObject("true", plain(chatkit.TruncateRunes(label, maxOptionText)), nil)
		box := slackgo.NewCheckboxGroupsBlockElement(e.Name, opt)
		if e.Default == "true" {
			box.InitialOptions = []*slackgo.OptionBlockObject{opt}
		}
		el = box
	default: // text, textarea
		in := slackgo.NewPlainTextInputBlockElement(placeholder, e.Name)
		in.Multiline = e.Type == dialogs.TypeTextarea
		in.MaxLength = min(e.MaxLength, maxInputLength)
		if len([]rune(e.Default)) <= maxInputLength {
			in.InitialValue = e.Default
		}
		el = in
	}
	b := slackgo.NewInputBlock(e.Name, plain(e.DisplayName), hint, el)
	// A bool is never "missing": an unticked box means false.
	b.Optional = e.Optional || e.Type == dialogs.TypeBool
	return b
}

// options renders at most Slack's 100 options of a static select.
func options(in []dialogs.Option) []*slackgo.OptionBlockObject {
	out := make([]*slackgo.OptionBlockObject, 0, min(len(in), maxOptions))
	for _, o := range in[:min(len(in), maxOptions)] {
		out = append(out, slackgo.NewOptionBlockObject(o.Value, plain(chatkit.TruncateRunes(o.Text, maxOptionText)), nil))
	}
	return out
}

// initial returns the option of value v, or nil.
func initial(opts []*slackgo.OptionBlockObject, v string) *slackgo.OptionBlockObject {
	if v == "" {
		return nil
	}
	for _, o := range opts {
		if o.Value == v {
			return o
		}
	}
	return nil
}

// modalState is what a modal's signed private_metadata says.
type modalState struct {
	CallbackID string
	ChannelID  string
	State      string
}

// verifyModal returns what a modal was opened with, from the signed
// private_metadata its submission (or options request) echoes.
// EUnauthenticated when it is missing, forged, expired, or was issued for
// another user or another modal.
func verifyModal(s *dialogs.Signer, userID, callbackID, token string) (modalState, error) {
	raw, err := s.Verify(userID, token)
	if err != nil {
		return modalState{}, err
	}
	cb, rest, ok1 := strings.Cut(raw, "\n")
	ch, state, ok2 := strings.Cut(rest, "\n")
	if !ok1 || !ok2 || cb != callbackID {
		return modalState{}, bot.Errorf(bot.EUnauthenticated, "this dialog is not valid (anymore); run the command again")
	}
	return modalState{CallbackID: cb, ChannelID: ch, State: state}, nil
}

// viewValues turns a submitted view's state into the strings
// commands.Submission carries: a text input's value, a select's or radio's
// selected value, "true"/"false" for a checkbox; empty values are left
// out.
func viewValues(st *slackgo.ViewState) map[string]string {
	out := map[string]string{}
	if st == nil {
		return out
	}
	for blockID, actions := range st.Values {
		for _, a := range actions {
			switch a.Type {
			case slackgo.ActionType(slackgo.METCheckboxGroups):
				out[blockID] = fmt.Sprint(len(a.SelectedOptions) > 0)
			case slackgo.ActionType(slackgo.OptTypeStatic), slackgo.ActionType(slackgo.OptTypeExternal),
				slackgo.ActionType(slackgo.METRadioButtons):
				if a.SelectedOption.Value != "" {
					out[blockID] = a.SelectedOption.Value
				}
			default:
				if a.Value != "" {
					out[blockID] = a.Value
				}
			}
		}
	}
	return out
}
