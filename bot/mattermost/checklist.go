package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// ChecklistProp marks a run's checklist post among a channel's posts; its
// value is the run's ID.
const ChecklistProp = "playbooks_checklist_run_id"

// signedProp is the prop of a checklist post that tells, once the post is
// read back, whether its buttons still verify: Mattermost strips every
// button's integration (URL and context) from a post it answers with, even
// to its author, but keeps other props. Its value is the run's ID signed
// with the buttons, by the same key and with the same expiry, for an
// audience no button, dialog or user has (signedAudience), so it cannot be
// used as any of them. It is not secret.
const signedProp = "playbooks_signed"

// signedAudience is the audience of signedProp's token.
const signedAudience = "mattermost:checklist-post"

// signPost returns signedProp's value for a post of run runID rendered now,
// with buttons signed now.
func signPost(s *dialogs.Signer, runID string) string {
	return s.SignStable(signedAudience, runID, dialogs.ButtonTTL)
}

// verifySigned reports whether token is signedProp's value for run runID,
// signed with a key the bot still has, and not expired: whether buttons
// rendered with it still verify.
func verifySigned(s *dialogs.Signer, token, runID string) bool {
	got, err := s.Verify(signedAudience, token)
	return err == nil && got == runID
}

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

// Buttons are signed for no particular user (dialogs.ButtonAudience): any
// member of the channel may click them. The signature only proves that the
// bot rendered this button for this run and item; the clicking user is
// then authorized by the use case like any other (an Actor limited to the
// team Mattermost says the click came from). A button is re-signed
// whenever the post is rewritten, with SignStable so that the same button
// rendered on the same day is the same.

// buttonContextKey is the key of the signed token in a button's context.
const buttonContextKey = "token"

// ShowRun posts the run's checklist message in its channel, or rewrites the
// post r.ChecklistPostID in place. A checklist post the bot can no longer
// rewrite (deleted, or posted by another bot account) is posted anew. It
// returns the post's ID.
//
// Mattermost marks a post "Edited" whenever a rewrite changes its message
// or its attachments (UpdatePost in its app/post.go): a rewrite after an
// item or the stage changed always does. ChecklistPost keeps the message
// the same and renders an unchanged run identically, so the rewrites that
// follow other changes (a status update, a new owner) leave the post as
// it was.
func (c *Client) ShowRun(ctx context.Context, r bot.Run) (string, error) {
	post := c.ChecklistPost(ctx, r)
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

// ChecklistPost renders a run's checklist post. Its message is only the
// run's name, linked to its details page (r.DetailsURL, when set), so that
// it never changes. Everything that does is in the attachments, one per
// checklist: the first one's pretext sums the run up (stage, items done,
// whether it ended), and each lists its items with their states and
// assignees, with a button per item that checks or unchecks it (at most
// MaxButtons; with more items, the first open ones get buttons and the
// summary says so). An ended run's post has no buttons. Assignees are
// named by their Mattermost username, looked up as the bot.
func (c *Client) ChecklistPost(ctx context.Context, r bot.Run) *model.Post {
	total, done := 0, 0
	for _, cl := range r.Checklists {
		for _, it := range cl.Items {
			total++
			if it.State == bot.ItemClosed {
				done++
			}
		}
	}
	buttons := map[[2]int]bool{}
	if r.IsActive {
		buttons = buttonItems(r, total)
	}

	var b strings.Builder
	if !r.IsActive {
		b.WriteString("**This run has ended**; `/playbook restart` makes it active again.\n")
	}
	b.WriteString(chatkit.StageSummary(r, done, total, func(t string) string { return "**" + t + "**" }))
	switch {
	case !r.IsActive:
	case len(buttons) == MaxButtons && len(buttons) < total:
		fmt.Fprintf(&b, "\nButtons are shown for the first %d open items; check or uncheck the others with `/playbook check <checklist> <item>`.", MaxButtons)
	case len(buttons) < total:
		b.WriteString("\nOnly open items have buttons; uncheck the others with `/playbook check <checklist> <item>`.")
	}
	summary := b.String()

	names := c.assigneeNames(ctx, r)
	attachments := make([]*model.MessageAttachment, 0, max(len(r.Checklists), 1))
	for ci := range r.Checklists {
		attachments = append(attachments, c.checklistAttachment(r, ci, buttons, names))
	}
	if len(attachments) == 0 {
		attachments = append(attachments, &model.MessageAttachment{Fallback: summary, Text: summary})
	} else {
		attachments[0].Pretext = summary
	}
	p := &model.Post{ChannelId: r.ChannelID, Message: "#### " + runTitle(r)}
	p.SetProps(model.StringInterface{
		model.PostPropsAttachments: attachments,
		ChecklistProp:              r.ID,
		signedProp:                 signPost(c.signer, r.ID),
		// Mattermost 10.12 keeps none of a post's props when it is patched:
		// without this the rewritten post would lose its BOT tag.
		model.PostPropsFromBot: "true",
	})
	return p
}

// runTitle is the run's name on one line, as a Markdown link to its
// details page when r.DetailsURL is set.
func runTitle(r bot.Run) string {
	if r.DetailsURL == "" {
		return markdownText(r.Name)
	}
	return bot.MarkdownLink(r.Name, r.DetailsURL)
}

// markdownText is s on one line with what Markdown would format escaped.
func markdownText(s string) string {
	l := bot.MarkdownLink(s, "") // **escaped**
	return l[2 : len(l)-2]
}

// maxNameLookups bounds the users a checklist post looks up by ID; others
// are shown by their ID.
const maxNameLookups = 25

// assigneeNames returns how the checklist post names the assignees of r's
// items: "@username", or the ID in code when Mattermost cannot say (an
// error, a deleted user, more than maxNameLookups assignees).
func (c *Client) assigneeNames(ctx context.Context, r bot.Run) map[string]string {
	names := map[string]string{}
	for _, cl := range r.Checklists {
		for _, it := range cl.Items {
			id := it.AssigneeID
			if _, ok := names[id]; id == "" || ok {
				continue
			}
			names[id] = "`" + id + "`"
			if len(names) > maxNameLookups {
				continue
			}
			if u, err := c.User(ctx, id); err == nil && u.Username != "" {
				names[id] = "@" + u.Username
			} else if err != nil {
				c.log.WarnContext(ctx, "look up an assignee for the checklist post", "run_id", r.ID, "user_id", id, "error", err)
			}
		}
	}
	return names
}

// checklistAttachment renders checklist ci of r.
func (c *Client) checklistAttachment(r bot.Run, ci int, buttons map[[2]int]bool, names map[string]string) *model.MessageAttachment {
	cl := r.Checklists[ci]
	done := 0
	lines := make([]string, 0, min(len(cl.Items), maxLinesPerChecklist)+1)
	var actions []*model.PostAction
	now := c.now().UnixMilli()
	for ii, it := range cl.Items {
		if it.State == bot.ItemClosed {
			done++
		}
		if ii < maxLinesPerChecklist {
			lines = append(lines, itemLine(it, ci, ii, names[it.AssigneeID], now))
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
	title := fmt.Sprintf("%s · %d/%d", chatkit.OneLine(cl.Title), done, len(cl.Items))
	color := ""
	if ci == r.ActiveStage && r.IsActive {
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

// itemLine is an item as a Markdown task list entry, with its due date
// (overdue in bold when past at now, Unix ms, and not closed), its
// assignee (as assigneeNames names them; "" for none) and the indices
// /playbook check takes.
func itemLine(it bot.ChecklistItem, ci, ii int, assignee string, now int64) string {
	title := chatkit.TruncateRunes(chatkit.OneLine(it.Title), maxItemTitle)
	if assignee != "" {
		assignee = " · " + assignee
	}
	if due, overdue := bot.DueLabel(it, now); overdue {
		assignee = " · **overdue** (" + due + ")" + assignee
	} else if due != "" {
		assignee = " · " + due + assignee
	}
	switch it.State {
	case bot.ItemClosed:
		return fmt.Sprintf("- [x] ~~%s~~%s `%d %d`", title, assignee, ci, ii)
	case bot.ItemInProgress:
		return fmt.Sprintf("- [ ] %s _(in progress)_%s `%d %d`", title, assignee, ci, ii)
	}
	return fmt.Sprintf("- [ ] %s%s `%d %d`", title, assignee, ci, ii)
}

// itemButton is the button that toggles item ii of checklist ci. Its ID is
// letters and digits only: Mattermost routes clicks by action ID and
// accepts nothing else there.
func (c *Client) itemButton(runID string, ci, ii int, it bot.ChecklistItem) *model.PostAction {
	state := dialogs.ItemButton{RunID: runID, Checklist: ci, Item: ii, ItemID: it.ID}.String()
	name, style := "Check", "primary"
	if it.State == bot.ItemClosed {
		name, style = "Uncheck", "default"
	}
	return &model.PostAction{
		Id:    fmt.Sprintf("c%di%d", ci, ii),
		Type:  model.PostActionTypeButton,
		Name:  name + " " + chatkit.TruncateRunes(chatkit.OneLine(it.Title), maxButtonTitle),
		Style: style,
		Integration: &model.PostActionIntegration{
			URL:     c.publicURL + ActionsPath,
			Context: map[string]any{buttonContextKey: c.signer.SignStable(dialogs.ButtonAudience, state, dialogs.ButtonTTL)},
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

// verifyButton returns what a button's signed context asks.
// EUnauthenticated when it is missing, forged or expired.
func verifyButton(s *dialogs.Signer, ctx map[string]any) (dialogs.Button, error) {
	token, _ := ctx[buttonContextKey].(string)
	return dialogs.VerifyButton(s, token)
}
