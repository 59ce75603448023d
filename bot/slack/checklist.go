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

// ToggleActionID is the action ID of the checklist message's item buttons.
const ToggleActionID = "toggle_item"

// MaxBlocks is the most blocks Slack accepts in one message.
const MaxBlocks = 50

// Slack's limits on texts in blocks, in characters.
const (
	maxHeaderText  = 150
	maxSectionText = 3000
	maxItemTitle   = 200
)

// Buttons are signed for no particular user: any member of the channel may
// click them. The signature only proves that the bot rendered this button
// for this run and item; the clicking user is then authorized by the use
// case (an Actor limited to the workspace Slack says the click came from).
// A button is re-signed whenever the message is rewritten.

// ShowRun posts the run's checklist message in its channel
// (chat.postMessage), or rewrites the message whose ts is
// r.ChecklistPostID (chat.update). A message that can no longer be
// rewritten (deleted) is posted anew. It returns the message's ts.
func (c *Client) ShowRun(ctx context.Context, r bot.Run) (string, error) {
	blocks := c.ChecklistBlocks(r)
	opts := []slackgo.MsgOption{
		slackgo.MsgOptionText(fallbackText(r), false),
		slackgo.MsgOptionBlocks(blocks...),
	}
	if r.ChecklistPostID != "" {
		_, _, _, err := c.api.UpdateMessageContext(ctx, r.ChannelID, r.ChecklistPostID, opts...)
		if err == nil {
			return r.ChecklistPostID, nil
		}
		if code := slackErr(err); code != "message_not_found" && code != "cant_update_message" {
			return "", apiError(err, "chat.update", "checklist message "+r.ChecklistPostID)
		}
	}
	_, ts, err := c.api.PostMessageContext(ctx, r.ChannelID, opts...)
	if err != nil {
		return "", apiError(err, "chat.postMessage", "checklist message in channel "+r.ChannelID)
	}
	return ts, nil
}

// fallbackText is the message's text, shown in notifications.
func fallbackText(r bot.Run) string {
	done, total := progress(r.Checklists)
	return fmt.Sprintf("%s: %d/%d items done", chatkit.OneLine(r.Name), done, total)
}

// renderID returns a block ID of one rendering of a message: a stable name
// (which a test may look blocks up by) and the rendering's suffix, after a
// ".". Slack advises a new block_id for each iteration of an updated
// message, lest its clients keep the state (a menu's selection, a
// button's spinner) of the block the ID named before.
func renderID(name, render string) string { return name + "." + render }

// ChecklistBlocks renders a run's checklist message: a header, a summary,
// and per checklist a section with its progress followed by one section
// per item with a Check/Uncheck button. Within Slack's 50 blocks: when the
// items do not fit, the first ones are shown and a last block says how many
// more there are. The block IDs ("checklist-C", "item-C-I", "more") carry a
// suffix of their own at each rendering (renderID).
func (c *Client) ChecklistBlocks(r bot.Run) []slackgo.Block {
	render := chatkit.RandomSuffix()
	done, total := progress(r.Checklists)
	var summary strings.Builder
	if !r.IsActive {
		summary.WriteString("*Ended.* ")
	}
	summary.WriteString(chatkit.StageSummary(r, done, total, func(t string) string { return "*" + escape(t) + "*" }))
	if r.DetailsURL != "" { // posted in the run's channel only
		fmt.Fprintf(&summary, " · <%s|Details>", r.DetailsURL)
	}
	if !r.IsActive {
		summary.WriteString("\n`/playbook restart` makes it active again; until then its items have no buttons.")
	}
	blocks := []slackgo.Block{
		slackgo.NewHeaderBlock(plain(chatkit.TruncateRunes(chatkit.OneLine(r.Name), maxHeaderText))),
		slackgo.NewSectionBlock(mrkdwn(summary.String()), nil, nil),
	}
	shown := 0
	const room = MaxBlocks - 1 // keep one block for the "more" note
outer:
	for ci, cl := range r.Checklists {
		if len(blocks) >= room {
			break
		}
		d, n := progress([]bot.Checklist{cl})
		title := fmt.Sprintf("*%s* · %d/%d", escape(chatkit.OneLine(cl.Title)), d, n)
		if ci == r.ActiveStage {
			title = "▶ " + title + " · active stage"
		}
		if n == 0 {
			title += "\n_No items._"
		}
		blocks = append(blocks, slackgo.NewSectionBlock(mrkdwn(chatkit.TruncateRunes(title, maxSectionText)), nil, nil, slackgo.SectionBlockOptionBlockID(renderID(fmt.Sprintf("checklist-%d", ci), render))))
		for ii, it := range cl.Items {
			if len(blocks) >= room {
				break outer
			}
			blocks = append(blocks, c.itemSection(r, ci, ii, it, render))
			shown++
		}
	}
	if more := total - shown; more > 0 {
		blocks = append(blocks, slackgo.NewContextBlock(renderID("more", render), mrkdwn(fmt.Sprintf(
			"… and %d more items; check them with `/playbook check <checklist> <item>`.", more))))
	}
	return blocks
}

// itemSection is item ii of checklist ci of r with its assignee (a Slack
// mention, which Slack shows as the user's name) and, while the run is
// active, its button; render is the rendering's block ID suffix.
func (c *Client) itemSection(r bot.Run, ci, ii int, it bot.ChecklistItem, render string) slackgo.Block {
	title := escape(chatkit.TruncateRunes(chatkit.OneLine(it.Title), maxItemTitle))
	assignee := ""
	if it.AssigneeID != "" {
		assignee = " · <@" + escape(it.AssigneeID) + ">"
	}
	// The post is rewritten on each change of the run: "overdue" is as of then.
	if due, overdue := bot.DueLabel(it, time.Now().UnixMilli()); overdue {
		assignee = " · *overdue* (" + due + ")" + assignee
	} else if due != "" {
		assignee = " · " + due + assignee
	}
	var text string
	switch it.State {
	case bot.ItemClosed:
		text = fmt.Sprintf("✅ ~%s~%s `%d %d`", title, assignee, ci, ii)
	case bot.ItemInProgress:
		text = fmt.Sprintf("⬜ %s _(in progress)_%s `%d %d`", title, assignee, ci, ii)
	default:
		text = fmt.Sprintf("⬜ %s%s `%d %d`", title, assignee, ci, ii)
	}
	blockID := slackgo.SectionBlockOptionBlockID(renderID(fmt.Sprintf("item-%d-%d", ci, ii), render))
	if !r.IsActive {
		return slackgo.NewSectionBlock(mrkdwn(text), nil, nil, blockID)
	}
	state := dialogs.ItemButton{RunID: r.ID, Checklist: ci, Item: ii, ItemID: it.ID}.String()
	label, style := "Check", slackgo.StylePrimary
	if it.State == bot.ItemClosed {
		label, style = "Uncheck", slackgo.StyleDefault
	}
	btn := slackgo.NewButtonBlockElement(ToggleActionID, c.signer.Sign(dialogs.ButtonAudience, state, dialogs.ButtonTTL), plain(label))
	btn.Style = style
	return slackgo.NewSectionBlock(mrkdwn(text), nil, slackgo.NewAccessory(btn), blockID)
}

// progress counts the closed and all items of checklists.
func progress(cls []bot.Checklist) (done, total int) {
	for _, cl := range cls {
		for _, it := range cl.Items {
			total++
			if it.State == bot.ItemClosed {
				done++
			}
		}
	}
	return done, total
}

// verifyButton returns what a control's signed value asks, which must be
// action. EUnauthenticated when it is missing, forged or expired, or was
// rendered for another control.
func verifyButton(s *dialogs.Signer, value, action string) (dialogs.Button, error) {
	b, err := dialogs.VerifyButton(s, value)
	if err == nil && b.Action != action {
		err = bot.Errorf(bot.EUnauthenticated, "this control is not valid")
	}
	return b, err
}

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}
