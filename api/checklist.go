package api

import "net/http"

// The checklist handlers address an item by the zero-based indexes of its
// checklist and of the item in it, as the plugin does; the Service reports
// an index out of range as EInvalid (400).

// addItem answers addChecklistItem, on POST as the spec says and PUT as the
// plugin serves it.
func (s *server) addItem(w http.ResponseWriter, r *http.Request) error {
	checklist, _, err := pathIndexes(r)
	if err != nil {
		return err
	}
	in, err := decodeBody(w, r, decodeNewItem)
	if err != nil {
		return err
	}
	if _, err := s.svc.AddItem(r.Context(), actor(r), pathID(r, "id"), checklist, in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// reorderItem answers reoderChecklistItem (sic, the spec's operationId).
func (s *server) reorderItem(w http.ResponseWriter, r *http.Request) error {
	checklist, _, err := pathIndexes(r)
	if err != nil {
		return err
	}
	in, err := decodeBody(w, r, decodeReorder)
	if err != nil {
		return err
	}
	if _, err := s.svc.MoveItem(r.Context(), actor(r), pathID(r, "id"), checklist, in.ItemNum, in.NewLocation); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// renameItem answers itemRename: a new title and slash command.
func (s *server) renameItem(w http.ResponseWriter, r *http.Request) error {
	checklist, item, err := pathIndexes(r)
	if err != nil {
		return err
	}
	in, err := decodeBody(w, r, decodeRename)
	if err != nil {
		return err
	}
	if _, err := s.svc.UpdateItem(r.Context(), actor(r), pathID(r, "id"), checklist, item, in.Title, in.Command, in.DueDate); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteItem answers itemDelete: 204.
func (s *server) deleteItem(w http.ResponseWriter, r *http.Request) error {
	checklist, item, err := pathIndexes(r)
	if err != nil {
		return err
	}
	if _, err := s.svc.DeleteItem(r.Context(), actor(r), pathID(r, "id"), checklist, item); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setItemState answers itemSetState.
func (s *server) setItemState(w http.ResponseWriter, r *http.Request) error {
	checklist, item, err := pathIndexes(r)
	if err != nil {
		return err
	}
	state, err := decodeBody(w, r, decodeItemState)
	if err != nil {
		return err
	}
	if _, err := s.svc.SetItemState(r.Context(), actor(r), pathID(r, "id"), checklist, item, state); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// setItemAssignee answers itemSetAssignee; "" unassigns. On a private run,
// an assignee not in its channel is added to it (the spec's 200 has no
// body to say so), or the assignment is refused with the reason.
func (s *server) setItemAssignee(w http.ResponseWriter, r *http.Request) error {
	checklist, item, err := pathIndexes(r)
	if err != nil {
		return err
	}
	assignee, err := decodeBody(w, r, decodeAssignee)
	if err != nil {
		return err
	}
	if _, _, err := s.svc.SetItemAssignee(r.Context(), actor(r), pathID(r, "id"), checklist, item, assignee); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// triggerID is the body of itemRun, the spec's TriggerIdReturn.
type triggerID struct {
	TriggerID string `json:"trigger_id"`
}

// runItem answers itemRun, on PUT as the spec says and POST as its example
// does: the item's slash command runs in the run's channel.
func (s *server) runItem(w http.ResponseWriter, r *http.Request) error {
	checklist, item, err := pathIndexes(r)
	if err != nil {
		return err
	}
	trigger, err := s.svc.RunItemCommand(r.Context(), actor(r), pathID(r, "id"), checklist, item)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, triggerID{TriggerID: trigger})
}
