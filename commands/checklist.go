package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// checkItem toggles an item, or opens the dialog to pick one.
func (d *Dispatcher) checkItem(ctx context.Context, c *call) (Response, error) {
	switch len(c.args) {
	case 0:
		if len(dialogs.ItemOptions(c.run, "")) == 0 { // the picker would be an empty list
			return Response{}, bot.Errorf(bot.EInvalid, "**%s** has no items to check. Add one with `/playbook checkadd <checklist> <title>`.", c.run.Name)
		}
		dlg := dialogs.CheckItemDialog(c.run)
		return Response{Dialog: &dlg}, nil
	case 1:
		return Response{}, usagef("Missing <item>.")
	}
	cl, it, err := itemArgs(c.run, c.args[0], c.args[1])
	if err != nil {
		return Response{}, err
	}
	return d.toggle(ctx, c.Actor, c.run.ID, cl, it)
}

// toggle checks or unchecks an item and announces it.
func (d *Dispatcher) toggle(ctx context.Context, a bot.Actor, runID string, cl, it int) (Response, error) {
	ri, err := d.svc.ToggleItem(ctx, a, runID, cl, it)
	if err != nil {
		return Response{}, err
	}
	item := ri.Item
	verb := "Checked"
	if item.State != bot.ItemClosed {
		verb = "Unchecked"
	}
	return Response{Text: fmt.Sprintf("%s **%s** (item %d %d, %s).", verb, item.Title, cl, it, ri.Run.Checklists[cl].Title),
		InChannel: true}, nil
}

// addItem adds an item to a checklist, or opens the dialog to describe it.
func (d *Dispatcher) addItem(ctx context.Context, c *call) (Response, error) {
	cl, err := checklistArg(c.run, c.args[0])
	if err != nil {
		return Response{}, err
	}
	title := strings.Join(c.args[1:], " ")
	if title == "" {
		dlg := dialogs.AddItemDialog(c.run, cl)
		return Response{Dialog: &dlg}, nil
	}
	r, err := d.svc.AddItem(ctx, c.Actor, c.run.ID, cl, bot.ChecklistItem{Title: title})
	if err != nil {
		return Response{}, err
	}
	return added(r, cl, title), nil
}

// added confirms an added item with its numbers.
func added(r bot.Run, cl int, title string) Response {
	n := len(r.Checklists[cl].Items) - 1
	return Response{Text: fmt.Sprintf("Added **%s** to %s as item %d %d.", title, r.Checklists[cl].Title, cl, n)}
}

// removeItem deletes an item.
func (d *Dispatcher) removeItem(ctx context.Context, c *call) (Response, error) {
	cl, it, err := itemArgs(c.run, c.args[0], c.args[1])
	if err != nil {
		return Response{}, err
	}
	item := c.run.Checklists[cl].Items[it]
	if _, err := d.svc.DeleteItem(ctx, c.Actor, c.run.ID, cl, it); err != nil {
		return Response{}, err
	}
	return Response{Text: fmt.Sprintf("Removed **%s** from %s.", item.Title, c.run.Checklists[cl].Title)}, nil
}

// assignItem assigns an item to a user.
func (d *Dispatcher) assignItem(ctx context.Context, c *call) (Response, error) {
	cl, it, err := itemArgs(c.run, c.args[0], c.args[1])
	if err != nil {
		return Response{}, err
	}
	user, err := d.resolveUser(ctx, c.args[2])
	if err != nil {
		return Response{}, err
	}
	ri, added, err := d.svc.SetItemAssignee(ctx, c.Actor, c.run.ID, cl, it, user)
	if err != nil {
		return Response{}, err
	}
	item := ri.Item
	name := d.mention(ctx, item.AssigneeID)
	return Response{Text: fmt.Sprintf("Assigned **%s** to %s.", item.Title, name) + addedNote(name, added)}, nil
}

// stage moves the run to its next or previous stage, after a confirmation
// when the current stage still has open items.
func (d *Dispatcher) stage(ctx context.Context, c *call) (Response, error) {
	r := c.run
	target := r.ActiveStage
	switch strings.ToLower(c.args[0]) {
	case "next":
		target++
		if target >= len(r.Checklists) {
			return Response{Text: fmt.Sprintf("This run is at its last stage, %s; there is no next stage.", stageName(r))}, nil
		}
	case "prev":
		target--
		if target < 0 {
			return Response{Text: fmt.Sprintf("This run is at its first stage, %s; there is no previous stage.", stageName(r))}, nil
		}
	default:
		return Response{}, usagef("Say `next` or `prev`, not %q.", c.args[0])
	}
	if r.ActiveStage >= 0 && r.ActiveStage < len(r.Checklists) && dialogs.OpenItems(r.Checklists[r.ActiveStage]) > 0 {
		dlg := dialogs.NextStageDialog(r, target)
		return Response{Dialog: &dlg}, nil
	}
	return d.setStage(ctx, c.Actor, r.ID, target)
}

// setStage makes a stage active and announces it.
func (d *Dispatcher) setStage(ctx context.Context, a bot.Actor, runID string, target int) (Response, error) {
	r, err := d.svc.SetActiveStage(ctx, a, runID, target)
	if err != nil {
		return Response{}, err
	}
	return Response{Text: fmt.Sprintf("Moved %s to stage %s.", d.runName(r), stageName(r)), InChannel: true}, nil
}
