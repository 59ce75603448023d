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
// typing a command in channelID: what the argument may be on the channel's
// run as the actor may see it. A channel without a run the actor may see
// has no suggestions (an empty list, not an error): autocomplete stays
// quiet there. EInvalid for an unknown list.
func (d *Dispatcher) Suggest(ctx context.Context, a bot.Actor, channelID, list string) ([]Suggestion, error) {
	if !slices.Contains(Lists(), list) {
		return nil, bot.Errorf(bot.EInvalid, "there is no suggestion list %q; the lists are %v", list, Lists())
	}
	out := []Suggestion{}
	if list == ListItems {
		items, err := d.svc.ChecklistAutocomplete(ctx, a, channelID)
		if bot.ErrorCode(err) == bot.ENotFound {
			return out, nil
		}
		for _, it := range items {
			out = append(out, Suggestion{Item: it.Item, Hint: it.Hint, Help: it.HelpText})
		}
		return out, err
	}
	r, err := d.svc.RunByChannel(ctx, a, channelID)
	if bot.ErrorCode(err) == bot.ENotFound {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	switch list {
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
