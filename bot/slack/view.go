package slack

import (
	"context"
	"net/http"
	"slices"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// The modal a submission turns into while its work goes on, and what it
// shows when the work ends (views.update): the result, or the form again.

// viewUpdate is the answer to a submission that replaces the modal with
// View.
type viewUpdate struct {
	ResponseAction string                   `json:"response_action"`
	View           slackgo.ModalViewRequest `json:"view"`
}

// errorsBlockID is the block ID of the errors shown above a form sent
// again; element names never start with "_".
const errorsBlockID = "_errors"

// updateView replaces the open modal viewID with v (views.update).
// ENotFound when the modal is gone (closed by the user).
func (c *Client) updateView(ctx context.Context, viewID string, v slackgo.ModalViewRequest) error {
	_, err := c.api.UpdateViewContext(ctx, v, "", "", viewID)
	if err != nil {
		return apiError(err, "views.update", "modal "+viewID)
	}
	return nil
}

// title is the title of the submitted modal v, for the views that
// replace it.
func title(v slackgo.View) *slackgo.TextBlockObject {
	if v.Title != nil && v.Title.Text != "" {
		return plain(v.Title.Text)
	}
	return plain("Playbooks")
}

// messageView is a modal of v's title that only says text (Markdown),
// with a Close button.
func messageView(v slackgo.View, text string) slackgo.ModalViewRequest {
	return slackgo.ModalViewRequest{
		Type: slackgo.VTModal, CallbackID: v.CallbackID, Title: title(v), Close: plain("Close"),
		Blocks: slackgo.Blocks{BlockSet: []slackgo.Block{
			slackgo.NewSectionBlock(mrkdwn(chatkit.TruncateRunes(toMrkdwn(text), maxSectionText)), nil, nil),
		}},
	}
}

// workingView is what the submitted modal v shows while its work goes on.
func workingView(v slackgo.View, callbackID string) slackgo.ModalViewRequest {
	text := "Working on it…"
	if callbackID == dialogs.StartRun {
		text = "Starting the run…"
	}
	return messageView(v, "⏳ "+text+" This takes a moment; the result will show here.")
}

// doneView is what the submitted modal v shows once its work is done,
// with the result's text (Markdown).
func doneView(v slackgo.View, text string) slackgo.ModalViewRequest {
	if text == "" {
		text = "Done."
	}
	return messageView(v, "✅ "+text)
}

// formAgain is the submitted modal v again, as the user filled it in, with
// errs above its inputs (a view can show errors under its inputs only in
// the answer to its submission).
func formAgain(v slackgo.View, errs dialogs.FieldErrors) slackgo.ModalViewRequest {
	labels := map[string]string{}
	var blocks []slackgo.Block
	for _, b := range v.Blocks.BlockSet {
		if s, ok := b.(*slackgo.SectionBlock); ok && s.BlockID == errorsBlockID {
			continue
		}
		if in, ok := b.(*slackgo.InputBlock); ok {
			if in.Label != nil {
				labels[in.BlockID] = in.Label.Text
			}
			b = filledIn(in, v.State)
		}
		blocks = append(blocks, b)
	}
	var text strings.Builder
	text.WriteString("*Not done:*")
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		text.WriteString("\n• ")
		if labels[k] != "" {
			text.WriteString(escape(labels[k]) + ": ")
		}
		text.WriteString(escape(errs[k]))
	}
	at := 0
	if len(blocks) > 0 {
		if s, ok := blocks[0].(*slackgo.SectionBlock); ok && s.BlockID == introBlockID {
			at = 1
		}
	}
	blocks = slices.Insert(blocks, at, slackgo.Block(slackgo.NewSectionBlock(
		mrkdwn(chatkit.TruncateRunes(text.String(), maxSectionText)), nil, nil, slackgo.SectionBlockOptionBlockID(errorsBlockID))))
	submit := v.Submit
	if submit == nil {
		submit = plain("Submit")
	}
	return slackgo.ModalViewRequest{
		Type: slackgo.VTModal, CallbackID: v.CallbackID, Title: title(v), Submit: submit, Close: v.Close,
		Blocks: slackgo.Blocks{BlockSet: blocks}, PrivateMetadata: v.PrivateMetadata,
	}
}

// filledIn returns input block in with what the user entered (st) as its
// initial value.
func filledIn(in *slackgo.InputBlock, st *slackgo.ViewState) *slackgo.InputBlock {
	if st == nil {
		return in
	}
	var a *slackgo.BlockAction
	for _, act := range st.Values[in.BlockID] {
		a = &act
	}
	if a == nil {
		return in
	}
	out := *in
	switch el := in.Element.(type) {
	case *slackgo.PlainTextInputBlockElement:
		c := *el
		c.InitialValue = a.Value
		out.Element = &c
	case *slackgo.SelectBlockElement:
		c := *el
		c.InitialOption = chosen(el.Options, a.SelectedOption)
		if c.InitialOption == nil && el.Type == slackgo.OptTypeExternal && a.SelectedOption.Value != "" {
			text := a.SelectedOption.Text
			if text == nil {
				text = plain(a.SelectedOption.Value)
			}
			c.InitialOption = slackgo.NewOptionBlockObject(a.SelectedOption.Value, text, nil)
		}
		out.Element = &c
	case *slackgo.RadioButtonsBlockElement:
		c := *el
		c.InitialOption = chosen(el.Options, a.SelectedOption)
		out.Element = &c
	case *slackgo.CheckboxGroupsBlockElement:
		c := *el
		c.InitialOptions = nil
		for _, o := range a.SelectedOptions {
			if opt := chosen(el.Options, o); opt != nil {
				c.InitialOptions = append(c.InitialOptions, opt)
			}
		}
		out.Element = &c
	}
	return &out
}

// chosen returns the option of opts whose value is sel's, or nil.
func chosen(opts []*slackgo.OptionBlockObject, sel slackgo.OptionBlockObject) *slackgo.OptionBlockObject {
	if sel.Value == "" {
		return nil
	}
	for _, o := range opts {
		if o != nil && o.Value == sel.Value {
			return o
		}
	}
	return nil
}

// refuseInModal is the answer to a submission of modal v that is refused
// with msg: msg under its first input block, or, for a modal without
// inputs, the modal turned into msg. Status 200: Slack shows nothing of
// other answers.
func refuseInModal(v slackgo.View, msg string) answer {
	if out, ok := blockErrors(dialogs.FieldErrors{"": msg}, v); ok {
		return answer{status: http.StatusOK, body: viewErrors{ResponseAction: "errors", Errors: out}}
	}
	return ok200(viewUpdate{ResponseAction: "update", View: messageView(v, msg)})
}
