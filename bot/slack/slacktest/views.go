package slacktest

import (
	"encoding/json"
	"fmt"
	"slices"
)

// View is the state of a modal the bot opened: its ID, its current
// content and hash (a new hash each time the view changes), whether it is
// still open, and how many times it changed.
type View struct {
	OpenedView
	ExternalID string
	Open       bool
	Updates    int // views.update calls and response_action updates
}

// View returns the current state of the modal whose ID is id.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.viewByID[id]
	if !ok {
		return View{}, false
	}
	return *v, true
}

// viewArg returns the view argument, sent as a JSON object (slack-go) or a
// JSON-encoded string (a form).
func viewArg(args map[string]any) map[string]any {
	switch v := args["view"].(type) {
	case map[string]any:
		return v
	case string:
		var m map[string]any
		if json.Unmarshal([]byte(v), &m) == nil {
			return m
		}
	}
	return nil
}

// invalid is the answer to a view or message over Slack's limits: the
// error and the problems in response_metadata.messages.
func invalid(code string, problems []string) (map[string]any, string) {
	return map[string]any{"response_metadata": map[string]any{"messages": problems}}, code
}

func (s *Server) viewsOpen(args map[string]any) (map[string]any, string) {
	return s.openByTrigger(args)
}

// openByTrigger opens the view of args for the user of its trigger ID,
// which it uses up, as views.open and views.push do.
func (s *Server) openByTrigger(args map[string]any) (map[string]any, string) {
	id := str(args, "trigger_id")
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case s.now().After(t.expires):
		return nil, "expired_trigger_id"
	}
	view := viewArg(args)
	if view == nil {
		return nil, "invalid_arguments"
	}
	if p := checkView(view); len(p) > 0 {
		return invalid("invalid_arguments", p)
	}
	t.used = true
	s.triggers[id] = t
	return s.openView(view, s.triggerTo[id], id)
}

// openView records a newly opened view and returns views.open's answer.
func (s *Server) openView(view map[string]any, userID, triggerID string) (map[string]any, string) {
	ext, _ := view["external_id"].(string)
	if ext != "" {
		for _, v := range s.viewByID {
			if v.ExternalID == ext {
				return nil, "duplicate_external_id"
			}
		}
	}
	raw, _ := json.Marshal(view)
	v := OpenedView{ID: s.nextID("V"), Hash: s.nextID("h"), UserID: userID, TriggerID: triggerID, View: view, Raw: raw}
	s.views = append(s.views, v)
	s.viewByID[v.ID] = &View{OpenedView: v, ExternalID: ext, Open: true}
	s.sayView("views.open", userID, view)
	return map[string]any{"view": s.viewJSON(s.viewByID[v.ID])}, ""
}

func (s *Server) viewJSON(v *View) map[string]any {
	out := map[string]any{"id": v.ID, "hash": v.Hash, "team_id": s.Team, "external_id": v.ExternalID}
	for k, val := range v.View {
		out[k] = val
	}
	return out
}

// viewsUpdate replaces an open view, named by view_id or external_id; a
// hash, when given, must be the view's current one (hash_conflict
// otherwise), so that an update made from an older state does not undo a
// newer one.
func (s *Server) viewsUpdate(args map[string]any) (map[string]any, string) {
	var v *View
	switch id, ext := str(args, "view_id"), str(args, "external_id"); {
	case id != "":
		v = s.viewByID[id]
	case ext != "":
		for _, c := range s.viewByID {
			if c.ExternalID == ext {
				v = c
			}
		}
	default:
		return nil, "invalid_arguments"
	}
	if v == nil || !v.Open {
		return nil, "not_found"
	}
	if h := str(args, "hash"); h != "" && h != v.Hash {
		return nil, "hash_conflict"
	}
	view := viewArg(args)
	if view == nil {
		return nil, "invalid_arguments"
	}
	if p := checkView(view); len(p) > 0 {
		return invalid("invalid_arguments", p)
	}
	s.replaceView(v, view)
	s.sayView("views.update", v.UserID, view)
	return map[string]any{"view": s.viewJSON(v)}, ""
}

// replaceView gives v new content and a new hash.
func (s *Server) replaceView(v *View, view map[string]any) {
	v.View, v.Hash = view, s.nextID("h")
	v.Raw, _ = json.Marshal(view)
	if ext, _ := view["external_id"].(string); ext != "" {
		v.ExternalID = ext
	}
	v.Updates++
}

// viewsPush opens a view on top of the user's open modal.
func (s *Server) viewsPush(args map[string]any) (map[string]any, string) {
	return s.openByTrigger(args)
}

// viewAnswer applies the bot's answer to the submission of view id as
// Slack does: an empty 200 or response_action "clear" closes it, "errors"
// keeps it open with messages under its input blocks (which must exist),
// "update" replaces it, "push" opens another on top. It returns what
// Slack would refuse in the answer.
func (s *Server) viewAnswer(id string, resp Response) error {
	if resp.Status != 200 {
		return nil // Slack shows a generic error in the still-open modal
	}
	var a struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           map[string]any    `json:"view"`
	}
	if len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, &a); err != nil {
			return fmt.Errorf("slacktest: the answer to a view submission is not JSON: %s", resp.Body)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.viewByID[id]
	if v == nil {
		return nil // a payload the test made up
	}
	switch a.ResponseAction {
	case "", "clear":
		v.Open = false
	case "errors":
		inputs := inputBlockIDs(v.View)
		for k, msg := range a.Errors {
			if !slices.Contains(inputs, k) {
				return fmt.Errorf("slacktest: response_action errors names block %q, not an input block of the view (%v)", k, inputs)
			}
			s.say("response_action errors", "", v.UserID, msg)
		}
	case "update":
		if p := checkView(a.View); len(p) > 0 {
			return fmt.Errorf("slacktest: Slack refuses the updated view: %v", p)
		}
		s.replaceView(v, a.View)
		s.sayView("response_action update", v.UserID, a.View)
	case "push":
		if p := checkView(a.View); len(p) > 0 {
			return fmt.Errorf("slacktest: Slack refuses the pushed view: %v", p)
		}
		s.openView(a.View, v.UserID, "")
	default:
		return fmt.Errorf("slacktest: unknown response_action %q", a.ResponseAction)
	}
	return nil
}

// inputBlockIDs returns the block IDs of a view's input blocks.
func inputBlockIDs(view map[string]any) []string {
	var ids []string
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		if m, _ := b.(map[string]any); m != nil && m["type"] == "input" {
			id, _ := m["block_id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}
