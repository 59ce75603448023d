package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// ChecklistProp marks a run's checklist post among a channel's posts; its
// value is the run's ID.
const ChecklistProp = "playbooks_checklist_run_id"

// MaxButtons is the most item buttons a checklist post carries. Mattermost
// sets no hard limit on attachment actions, but a post with hundreds of
// buttons is unusable and heavy; 50 is also Mattermost's limit for block
// actions in one post.
const MaxButtons = 50

// Rendering limits that keep the post's props far below Mattermost's
// 800,000-character limit even for the largest runs.
const (
	maxLinesPerChecklist = 200
	maxItemTitle         = 200
	maxButtonTitle       = 40
)

// Buttons are signed for no particular user: any member of the channel may
// click them. The signature only proves that the bot rendered this button
// for this run and item; the clicking user is then authorized by the use
// case like any other (an Actor limited to the team Mattermost says the
// click came from). A year is long enough for any run; a button is
// re-signed whenever the post is rewritten.
const (
	buttonAudience = "*"
	buttonTTL      = 365 * 24 * time.Hour
)

// buttonState is what a button's signed context carries: the item by its
// indices when rendered, and its ID, so that a click on a stale post
// cannot toggle an item that moved into its place. A reminder post's
// buttons (reminder.go) carry their Action instead, and for a snooze its
// delay in Seconds; a checklist button has no Action.
type buttonState struct {
	RunID     string `json:"r"`
	Checklist int    `json:"c"`
	Item      int    `json:"i"`
	ItemID    string `json:"it"`
	Action    string `json:"a,omitempty"`
	Seconds   int64  `json:"s,omitempty"`
}

// buttonContextKey is the key of the signed token in a button's context.
const buttonContextKey = "token"

// ShowRun posts the run's checklist message in its channel, or rewrites the
// post r.ChecklistPostID in place. A checklist post the bot can no longer
// rewrite (deleted, or posted by another bot account) is posted anew. It
// returns the post's ID.
func (c *Client) ShowRun(ctx context.Context, r bot.Run) (string, error) {
	post := c.ChecklistPost(r)
	if r.ChecklistPostID != "" {
		msg, props := post.Message, post.GetProps()
		_, resp, err := c.api.PatchPost(ctx, r.ChecklistPostID, &model.PostPatch{Message: &msg, Props: &props})
		if err == nil {
			return r.ChecklistPostID, nil
		}
		if resp == nil || (resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden) {
			return "", apiError(resp, err, "checklist post "+r.ChecklistPostID)
		}
	}
	created, resp, err := c.api.CreatePost(ctx, post)
	if err != nil {
		return "", apiError(resp, err, "checklist post in channel "+r.ChannelID)
	}
	return created.Id, nil
}

// ChecklistPost renders a run's checklist post: a summary message and one
// attachment per checklist listing its items, with a button per item that
// checks or unchecks it (at most MaxButtons; with more items, the first
// open ones get buttons and the message says so).
func (c *Client) ChecklistPost(r bot.Run) *model.Post {
	total, done := 0, 0
	for _, cl := range r.Checklists {
		for _, it := range cl.Items {
			total++
			if it.State == bot.ItemClosed {
				done++
			}
		}
	}
	buttons := buttonItems(r, total)

	var b strings.Builder
	fmt.Fprintf(&b, "#### %s\n", oneLine(r.Name))
	if !r.IsActive {
		b.WriteString("**Ended.** ")
	}
	if len(r.Checklists) == 0 {
		b.WriteString("This run has no checklists.")
	} else {
		fmt.Fprintf(&b, "Stage %d of %d: **%s** · %d/%d items done",
			r.ActiveStage+1, len(r.Checklists), oneLine(r.ActiveStageTitle), done, total)
	}
	switch {
	case len(buttons) == MaxButtons && len(buttons) < total:
		fmt.Fprintf(&b, "\nButtons are shown for the first %d open items; check or uncheck the others with `/playbook check <checklist> <item>`.", MaxButtons)
	case len(buttons) < total:
		b.WriteString("\nOnly open items have buttons; uncheck the others with `/playbook check <checklist> <item>`.")
	}

	attachments := make([]*model.MessageAttachment, 0, len(r.Checklists))
	for ci := range r.Checklists {
		attachments = append(attachments, c.checklistAttachment(r, ci, buttons))
	}
	p := &model.Post{ChannelId: r.ChannelID, Message: b.String()}
	p.SetProps(model.StringInterface{
		model.PostPropsAttachments: attachments,
		ChecklistProp:              r.ID,
	})
	return p
}

// checklistAttachment renders checklist ci of r.
func (c *Client) checklistAttachment(r bot.Run, ci int, buttons map[[2]int]bool) *model.MessageAttachment {
	cl := r.Checklists[ci]
	done := 0
	lines := make([]string, 0, min(len(cl.Items), maxLinesPerChecklist)+1)
	var actions []*model.PostAction
	for ii, it := range cl.Items {
		if it.State == bot.ItemClosed {
			done++
		}
		if ii < maxLinesPerChecklist {
			lines = append(lines, itemLine(it, ci, ii))
		}
		if buttons[[2]int{ci, ii}] {
			actions = append(actions, c.itemButton(r.ID, ci, ii, it))
		}
	}
	if n := len(cl.Items) - maxLinesPerChecklist; n > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more items", n))
	}
	if len(cl.Items) == 0 {
		lines = append(lines, "_No items._")
	}
	title := fmt.Sprintf("%s · %d/%d", oneLine(cl.Title), done, len(cl.Items))
	color := ""
	if ci == r.ActiveStage {
		title = "▶ " + title + " · active stage"
		color = "#1e88e5"
	}
	if done == len(cl.Items) && done > 0 {
		color = "good"
	}
	return &model.MessageAttachment{
		Fallback: title, Color: color, Title: title,
		Text: strings.Join(lines, "\n"), Actions: actions,
	}
}

// itemLine is an item as a Markdown task list entry, with the indices
// /playbook check takes.
func itemLine(it bot.ChecklistItem, ci, ii int) string {
	title := truncateRunes(oneLine(it.Title), maxItemTitle)
	switch it.State {
	case bot.ItemClosed:
		return fmt.Sprintf("- [x] ~~%s~~ `%d %d`", title, ci, ii)
	case bot.ItemInProgress:
		return fmt.Sprintf("- [ ] %s _(in progress)_ `%d %d`", title, ci, ii)
	}
	return fmt.Sprintf("- [ ] %s `%d %d`", title, ci, ii)
}

// itemButton is the button that toggles item ii of checklist ci. Its ID is
// letters and digits only: Mattermost routes clicks by action ID and
// accepts nothing else there.
func (c *Client) itemButton(runID string, ci, ii int, it bot.ChecklistItem) *model.PostAction {
	state, _ := json.Marshal(buttonState{RunID: runID, Checklist: ci, Item: ii, ItemID: it.ID})
	name, style := "Check", "primary"
	if it.State == bot.ItemClosed {
		name, style = "Uncheck", "default"
	}
	return &model.PostAction{
		Id:    fmt.Sprintf("c%di%d", ci, ii),
		Type:  model.PostActionTypeButton,
		Name:  name + " " + truncateRunes(oneLine(it.Title), maxButtonTitle),
		Style: style,
		Integration: &model.PostActionIntegration{
			URL:     c.publicURL + ActionsPath,
			Context: map[string]any{buttonContextKey: c.signer.Sign(buttonAudience, string(state), buttonTTL)},
		},
	}
}

// buttonItems picks the items that get a button: all of them when they fit
// in MaxButtons, else the first MaxButtons items not yet closed.
func buttonItems(r bot.Run, total int) map[[2]int]bool {
	out := map[[2]int]bool{}
	for ci, cl := range r.Checklists {
		for ii, it := range cl.Items {
			if len(out) == MaxButtons {
				return out
			}
			if total <= MaxButtons || it.State != bot.ItemClosed {
				out[[2]int{ci, ii}] = true
			}
		}
	}
	return out
}

// verifyButton returns the state of a button's signed context.
// EUnauthenticated when it is missing, forged or expired.
func verifyButton(s *dialogs.Signer, ctx map[string]any) (buttonState, error) {
	token, _ := ctx[buttonContextKey].(string)
	raw, err := s.Verify(buttonAudience, token)
	if err != nil {
		return buttonState{}, err
	}
	var st buttonState
	if err := json.Unmarshal([]byte(raw), &st); err != nil || !bot.ValidID(st.RunID) {
		return buttonState{}, bot.Errorf(bot.EUnauthenticated, "this button is not valid")
	}
	return st, nil
}

// oneLine replaces line breaks, which would break the Markdown around a
// title, with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
