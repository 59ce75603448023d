package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/playbooks-bot/playbooks/bot"
)

// Suggestion is one entry of an autocomplete list: the text to insert and
// what it is.
type Suggestion struct {
	Item string // e.g. "0 2", "next", "@alice"
	Hint string // e.g. the item's title
	Help string
}

// Suggest returns the suggestions of list (ListItems, ...) for the actor
// typing command (its name, e.g. "assign"; "" when not known) in
// channelID: what the argument may be on the channel's run as the actor
// may see it, each saying what command does with it. A channel without a
// run the actor may see has no suggestions (an empty list, not an error):
// autocomplete stays quiet there. EInvalid for an unknown list or
// command.
func (d *Dispatcher) Suggest(ctx context.Context, a bot.Actor, channelID, command, list string) ([]Suggestion, error) {
	if !slices.Contains(Lists(), list) {
		return nil, bot.Errorf(bot.EInvalid, "there is no suggestion list %q; the lists are %v", list, Lists())
	}
	if _, ok := lookup(command); !ok && command != "" {
		return nil, bot.Errorf(bot.EInvalid, "there is no command %q to suggest for", command)
	}
	out := []Suggestion{}
	r, err := d.svc.RunByChannel(ctx, a, channelID)
	if bot.ErrorCode(err) == bot.ENotFound {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	switch list {
	case ListItems:
		for i, c := range r.Checklists {
			for j, it := range c.Items {
				out = append(out, Suggestion{Item: fmt.Sprintf("%d %d", i, j), Hint: it.Title, Help: itemHelp(command, c, it)})
			}
		}
	case ListChecklists:
		for i, c := range r.Checklists {
			out = append(out, Suggestion{Item: strconv.Itoa(i), Hint: c.Title, Help: fmt.Sprintf("%d items", len(c.Items))})
		}
	case ListStages:
		if s := r.ActiveStage + 1; s < len(r.Checklists) {
			out = append(out, Suggestion{Item: "next", Hint: fmt.Sprintf("to stage %d (%s)", s, r.Checklists[s].Title), Help: "Move the run to its next stage"})
		}
		if s := r.ActiveStage - 1; s >= 0 && s < len(r.Checklists) {
			out = append(out, Suggestion{Item: "prev", Hint: fmt.Sprintf("to stage %d (%s)", s, r.Checklists[s].Title), Help: "Move the run back to its previous stage"})
		}
	case ListUsers:
		ids := append([]string{r.OwnerUserID}, r.ParticipantIDs...)
		for i, id := range ids {
			if id == "" || slices.Contains(ids[:i], id) {
				continue
			}
			what := "participant"
			if id == r.OwnerUserID {
				what = "owner"
			}
			out = append(out, Suggestion{Item: d.userName(ctx, id), Hint: what, Help: "The run's " + what})
		}
	}
	return out, nil
}

// itemHelp is what an item suggestion of command says: what the command
// does with the item, in its state now; for no command, where it is.
func itemHelp(command string, c bot.Checklist, it bot.ChecklistItem) string {
	switch command {
	case "check":
		if it.State == bot.ItemClosed {
			return "Uncheck this item"
		}
		return "Check this item"
	case "checkremove":
		return "Remove this item from " + c.Title
	case "assign":
		if it.AssigneeID != "" {
			return "Assign this item to someone else"
		}
		return "Assign this item to someone"
	}
	return "An item of " + c.Title
}
