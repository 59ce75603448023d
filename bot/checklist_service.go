package bot

import (
	"context"
	"fmt"
	"slices"
)

// item returns the item at (checklist, item) of r, or an EInvalid error
// naming the valid range.
func item(r *Run, checklist, it int) (*ChecklistItem, error) {
	c, err := list(r, checklist)
	if err != nil {
		return nil, err
	}
	if it < 0 || it >= len(c.Items) {
		if len(c.Items) == 0 {
			return nil, FieldErrorf("item", "checklist %d (%s) has no items", checklist, c.Title)
		}
		return nil, FieldErrorf("item", "item %d does not exist; checklist %d (%s) has items 0 to %d", it, checklist, c.Title, len(c.Items)-1)
	}
	return &c.Items[it], nil
}

// itemOf returns the item of an item change, or the error item gives for
// (checklist, it) when the store found none there (ri.Run then carries
// all its items).
func itemOf(ri *RunItem, checklist, it int) (*ChecklistItem, error) {
	if ri.Found {
		return &ri.Item, nil
	}
	if _, err := item(&ri.Run, checklist, it); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("run %s: the store found no item at checklist %d item %d, which its checklists hold", ri.Run.ID, checklist, it)
}

// list returns checklist index i of r, or an EInvalid error.
func list(r *Run, i int) (*Checklist, error) {
	if i < 0 || i >= len(r.Checklists) {
		if len(r.Checklists) == 0 {
			return nil, FieldErrorf("checklist", "this run has no checklists")
		}
		return nil, FieldErrorf("checklist", "checklist %d does not exist; this run has checklists 0 to %d", i, len(r.Checklists)-1)
	}
	return &r.Checklists[i], nil
}

// AddItem appends an item to a checklist of a run. Its state and assignee
// may be given, as the spec's add body allows.
func (s *Service) AddItem(ctx context.Context, a Actor, id string, checklist int, in ChecklistItem) (Run, error) {
	if err := checkOwnID("id", id); err != nil {
		return Run{}, err
	}
	if err := checkItem(&in); err != nil {
		return Run{}, err
	}
	if !ValidItemState(in.State) {
		return Run{}, FieldErrorf("state", "state must be \"\", in_progress or closed, got %q", in.State)
	}
	for field, v := range map[string]int64{
		"state_modified": in.StateModified, "assignee_modified": in.AssigneeModified, "command_last_run": in.CommandLastRun,
	} {
		if v < 0 {
			return Run{}, FieldErrorf(field, "%s must be a time in milliseconds since the epoch (0 or more), got %d", field, v)
		}
	}
	if in.AssigneeID != "" {
		if err := s.checkChatID("assignee_id", in.AssigneeID); err != nil {
			return Run{}, err
		}
		// An assignee must be able to see the run (see admitToChannel).
		if _, err := s.admitToChannel(ctx, a, id, in.AssigneeID, func(r *Run) error {
			_, err := list(r, checklist)
			return err
		}); err != nil {
			return Run{}, err
		}
	}
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		c, err := list(r, checklist)
		if err != nil {
			return RunChange{}, err
		}
		now := s.now()
		it := ChecklistItem{
			ID: s.newID(), Title: in.Title, State: in.State, AssigneeID: in.AssigneeID,
			Command: in.Command, Description: in.Description, DueDate: in.DueDate,
			StateModified: in.StateModified, AssigneeModified: in.AssigneeModified, CommandLastRun: in.CommandLastRun,
		}
		if it.State != ItemOpen && it.StateModified == 0 {
			it.StateModified = now
		}
		if it.AssigneeID != "" {
			if it.AssigneeModified == 0 {
				it.AssigneeModified = now
			}
			r.ParticipantIDs = dedupe(append(r.ParticipantIDs, it.AssigneeID))
		}
		c.Items = append(c.Items, it)
		return one(s.event(r.ID, a, EventItemAdded,
			fmt.Sprintf("Item added to %s: %s", c.Title, it.Title), it.ID)), nil
	})
}

// MoveItem moves an item of a checklist to a new position in it.
func (s *Service) MoveItem(ctx context.Context, a Actor, id string, checklist, from, to int) (Run, error) {
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		it, err := item(r, checklist, from)
		if err != nil {
			return RunChange{}, err
		}
		c := &r.Checklists[checklist]
		if to < 0 || to >= len(c.Items) {
			return RunChange{}, FieldErrorf("new_location", "new_location %d is out of range; checklist %d has positions 0 to %d", to, checklist, len(c.Items)-1)
		}
		moved := *it
		c.Items = slices.Insert(slices.Delete(c.Items, from, from+1), to, moved)
		return one(s.event(r.ID, a, EventItemMoved,
			fmt.Sprintf("Item moved in %s: %s (%d to %d)", c.Title, moved.Title, from, to), moved.ID)), nil
	})
}

// UpdateItem sets an item's title and slash command, and its due date
// (Unix ms, 0 for none) when dueDate is not nil.
func (s *Service) UpdateItem(ctx context.Context, a Actor, id string, checklist, idx int, title, command string, dueDate *int64) (Run, error) {
	in := ChecklistItem{Title: title, Command: command}
	if dueDate != nil {
		in.DueDate = *dueDate
	}
	if err := checkItem(&in); err != nil {
		return Run{}, err
	}
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		it, err := item(r, checklist, idx)
		if err != nil {
			return RunChange{}, err
		}
		old := it.Title
		it.Title, it.Command = title, command
		if dueDate != nil {
			it.DueDate = *dueDate
		}
		return one(s.event(r.ID, a, EventItemUpdated, fmt.Sprintf("Item renamed: %s to %s", old, title), it.ID)), nil
	})
}

// DeleteItem removes an item from a checklist.
func (s *Service) DeleteItem(ctx context.Context, a Actor, id string, checklist, idx int) (Run, error) {
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		it, err := item(r, checklist, idx)
		if err != nil {
			return RunChange{}, err
		}
		gone := *it
		c := &r.Checklists[checklist]
		c.Items = slices.Delete(c.Items, idx, idx+1)
		return one(s.event(r.ID, a, EventItemDeleted, fmt.Sprintf("Item removed from %s: %s", c.Title, gone.Title), gone.ID)), nil
	})
}

// SetItemState sets an item's state: "" (open), in_progress or closed.
func (s *Service) SetItemState(ctx context.Context, a Actor, id string, checklist, idx int, state string) (RunItem, error) {
	if !ValidItemState(state) {
		return RunItem{}, FieldErrorf("new_state", "new_state must be \"\", in_progress or closed, got %q", state)
	}
	return s.changeItem(ctx, a, id, ItemRef{Checklist: checklist, Item: idx}, func(ri *RunItem) (RunChange, error) {
		it, err := itemOf(ri, checklist, idx)
		if err != nil {
			return RunChange{}, err
		}
		if it.State == state {
			return RunChange{}, nil // already so: nothing changes, nothing to record
		}
		it.State, it.StateModified = state, s.now()
		return one(s.event(ri.Run.ID, a, EventTaskStateChanged,
			fmt.Sprintf("%s %s", it.Title, stateName(state)), it.ID)), nil
	})
}

// ToggleItem closes an open or in-progress item and reopens a closed one,
// as a click on the item's checkbox does.
func (s *Service) ToggleItem(ctx context.Context, a Actor, id string, checklist, idx int) (RunItem, error) {
	return s.changeItem(ctx, a, id, ItemRef{Checklist: checklist, Item: idx}, func(ri *RunItem) (RunChange, error) {
		it, err := itemOf(ri, checklist, idx)
		if err != nil {
			return RunChange{}, err
		}
		return s.toggle(ri.Run.ID, a, it), nil
	})
}

// ToggleItemByID toggles the item with the given ID wherever it is now: a
// button drawn before items moved still toggles its own item. The item is
// found under the run's lock, so a concurrent move cannot redirect the
// click. ENotFound when the item was removed.
func (s *Service) ToggleItemByID(ctx context.Context, a Actor, id, itemID string) (RunItem, error) {
	return s.toggleItemByID(ctx, a, id, itemID, nil)
}

// toggleItemByID is ToggleItemByID, which check, when not nil, vets the
// locked run first.
func (s *Service) toggleItemByID(ctx context.Context, a Actor, id, itemID string, check func(*Run) error) (RunItem, error) {
	if itemID == "" {
		return RunItem{}, Errorf(ENotFound, "this item was removed from the checklist")
	}
	return s.changeItem(ctx, a, id, ItemRef{ItemID: itemID}, func(ri *RunItem) (RunChange, error) {
		if check != nil {
			if err := check(&ri.Run); err != nil {
				return RunChange{}, err
			}
		}
		if !ri.Found {
			return RunChange{}, Errorf(ENotFound, "this item was removed from the checklist")
		}
		return s.toggle(ri.Run.ID, a, &ri.Item), nil
	})
}

// toggle flips an item of run runID between closed and open and returns
// the change to record.
func (s *Service) toggle(runID string, a Actor, it *ChecklistItem) RunChange {
	state := ItemClosed
	if it.State == ItemClosed {
		state = ItemOpen
	}
	it.State, it.StateModified = state, s.now()
	return one(s.event(runID, a, EventTaskStateChanged, fmt.Sprintf("%s %s", it.Title, stateName(state)), it.ID))
}

// stateName is a state as a person reads it in the timeline.
func stateName(state string) string {
	switch state {
	case ItemClosed:
		return "checked"
	case ItemInProgress:
		return "in progress"
	}
	return "unchecked"
}

// SetItemAssignee assigns an item to a user ("" unassigns), who becomes a
// participant of the run. On a private run, an assignee who is not in the
// run's channel is added to it first, and added reports it; when that
// fails, nothing changes and the error says why (see admitToChannel for
// this choice).
func (s *Service) SetItemAssignee(ctx context.Context, a Actor, id string, checklist, idx int, assigneeID string) (ri RunItem, added bool, err error) {
	if err := checkOwnID("id", id); err != nil {
		return RunItem{}, false, err
	}
	name := ""
	if assigneeID != "" {
		if err := s.checkChatID("assignee_id", assigneeID); err != nil {
			return RunItem{}, false, err
		}
		if added, err = s.admitToChannel(ctx, a, id, assigneeID, func(r *Run) error {
			_, err := item(r, checklist, idx)
			return err
		}); err != nil {
			return RunItem{}, false, err
		}
		name = s.usernameOfRun(ctx, id, assigneeID) // before the run is locked
	}
	ri, err = s.changeItem(ctx, a, id, ItemRef{Checklist: checklist, Item: idx}, func(ri *RunItem) (RunChange, error) {
		it, err := itemOf(ri, checklist, idx)
		if err != nil {
			return RunChange{}, err
		}
		if it.AssigneeID == assigneeID {
			return RunChange{}, nil // no change
		}
		it.AssigneeID, it.AssigneeModified = assigneeID, s.now()
		summary := fmt.Sprintf("%s unassigned", it.Title)
		if assigneeID != "" {
			ri.Run.ParticipantIDs = dedupe(append(ri.Run.ParticipantIDs, assigneeID))
			summary = fmt.Sprintf("%s assigned to %s", it.Title, name)
		}
		e := s.event(ri.Run.ID, a, EventAssigneeChanged, summary, it.ID)
		e.SubjectUserID = assigneeID
		return one(e), nil
	})
	if err != nil {
		return RunItem{}, added, err
	}
	return ri, added, nil
}

// RunItemCommand executes an item's slash command in the run's channel and
// records when. EInvalid with no chat platform or no command.
func (s *Service) RunItemCommand(ctx context.Context, a Actor, id string, checklist, idx int) (string, error) {
	r, err := s.Run(ctx, a, id)
	if err != nil {
		return "", err
	}
	chat := s.chatFor(r.Platform)
	if _, ok := chat.(NoChat); ok {
		return "", Errorf(EInvalid, "no chat platform configured")
	}
	it, err := item(&r, checklist, idx)
	if err != nil {
		return "", err
	}
	if it.Command == "" {
		return "", FieldErrorf("item", "item %q has no slash command to run", it.Title)
	}
	trigger, err := chat.RunCommand(ctx, r.ChannelID, a.UserID, it.Command)
	if err != nil {
		return "", err
	}
	itemID := it.ID
	ref := ItemRef{ItemID: itemID} // where it is now, should it have moved meanwhile
	if itemID == "" {
		ref = ItemRef{Checklist: checklist, Item: idx}
	}
	_, err = s.changeItem(ctx, a, id, ref, func(ri *RunItem) (RunChange, error) {
		if !ri.Found || ri.Item.ID != itemID {
			return RunChange{}, Errorf(ENotFound, "the item was removed while its command ran")
		}
		ri.Item.CommandLastRun = s.now()
		return one(s.event(ri.Run.ID, a, EventRanSlashCommand, "Ran "+ri.Item.Command, itemID)), nil
	})
	return trigger, err
}
