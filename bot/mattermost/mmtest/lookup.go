package mmtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"
)

// Lookup looks up the options of dynamic select element of an open dialog
// d for what its user typed (query), as Mattermost 11's web client and
// server do: the client POSTs to /api/v4/actions/dialogs/lookup the
// dialog's callback ID and state, its channel and team, the values so far
// (values) with "query" and "selected_field" (the element's name), and the
// element's data_source_url as "url"; the server answers it as lookupDialog
// does. The options returned are remembered as offered, so that
// SubmitDialog accepts one of them as the element's value. On 10.12, or for
// an element that is not a dynamic select, it fails.
func (s *Server) Lookup(ctx context.Context, d OpenedDialog, element, query string, values map[string]any) ([]model.DialogSelectOption, error) {
	if !s.dynamicSelects() {
		return nil, fmt.Errorf("mmtest: Mattermost %s has no dynamic selects", s.version)
	}
	var el *model.DialogElement
	for i, e := range d.Dialog.Elements {
		if e.Name == element && e.Type == "select" && e.DataSource == "dynamic" {
			el = &d.Dialog.Elements[i]
		}
	}
	if el == nil {
		return nil, fmt.Errorf("mmtest: dialog %s has no dynamic select %q", d.Dialog.CallbackId, element)
	}
	sub := map[string]any{}
	for k, v := range values {
		sub[k] = v
	}
	sub["query"], sub["selected_field"] = query, element
	resp, err := s.lookup(ctx, d.UserID, model.SubmitDialogRequest{
		URL: el.DataSourceURL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		ChannelId: d.ChannelID, TeamId: d.TeamID, Submission: sub,
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := offeredKey(d, element)
	if s.offered[key] == nil {
		s.offered[key] = map[string]bool{}
	}
	for _, o := range resp.Items {
		s.offered[key][o.Value] = true
	}
	return resp.Items, nil
}

// offeredKey names the options a lookup offered for element of dialog d.
func offeredKey(d OpenedDialog, element string) string {
	return d.Dialog.State + "\n" + d.Dialog.CallbackId + "\n" + element
}

// wasOffered reports whether a lookup of element of d offered value.
func (s *Server) wasOffered(d OpenedDialog, element, value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered[offeredKey(d, element)][value]
}

// lookupDialog serves POST /actions/dialogs/lookup on 11.0 (a 404 on
// 10.12, which has no such route) as Mattermost's api4 lookupDialog does:
// the body is a dialog submission whose "url" must be a valid lookup URL;
// the caller, who becomes its user_id, must be able to read its channel
// and be in its team. The answer is the integration's {"items"}; an
// integration that fails or answers another status than 200 is a 500.
func (s *Server) lookupDialog(w http.ResponseWriter, r *http.Request, me string) {
	if !s.dynamicSelects() {
		appError(w, http.StatusNotFound, "api.context.404.app_error", "Sorry, we could not find the page.")
		return
	}
	var req model.SubmitDialogRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		invalidParam(w, "dialog")
		return
	}
	resp, err := s.lookup(r.Context(), me, req)
	var ae *lookupError
	switch {
	case errors.As(err, &ae):
		appError(w, ae.status, ae.id, ae.msg)
	case err != nil:
		appError(w, http.StatusInternalServerError, "app.lookup_interactive_dialog.decode_json_error", err.Error())
	default:
		writeJSON(w, http.StatusOK, resp)
	}
}

// lookupError is a lookup Mattermost refuses before asking the
// integration.
type lookupError struct {
	status  int
	id, msg string
}

func (e *lookupError) Error() string { return fmt.Sprintf("status %d: %s: %s", e.status, e.id, e.msg) }

// lookup checks and sends a lookup for user me as Mattermost 11 does
// (api4 lookupDialog, then app LookupInteractiveDialog): the URL must be
// a valid lookup URL, the user able to read the channel and in the team;
// the integration gets the request as a POST of JSON with type
// "dialog_lookup", user_id the caller, the URL left out, and no
// authentication (DoActionRequest, with its plugin-route exception), and
// must answer 200 with {"items":[{"text","value"}]} (an empty body is no
// items).
func (s *Server) lookup(ctx context.Context, me string, req model.SubmitDialogRequest) (*model.LookupDialogResponse, error) {
	if req.URL == "" || !model.IsValidLookupURL(req.URL) {
		return nil, &lookupError{http.StatusBadRequest, "api.context.invalid_body_param.app_error", "Invalid or missing url in request body."}
	}
	s.mu.Lock()
	ch, ok := s.channels[req.ChannelId]
	canRead := ok && s.canRead(me, ch)
	inTeam := s.teamMembers[req.TeamId][me] || s.isAdmin(me)
	s.mu.Unlock()
	switch {
	case !ok:
		return nil, &lookupError{http.StatusNotFound, "app.channel.get.existing.app_error", "Unable to find the existing channel."}
	case !canRead || !inTeam:
		return nil, &lookupError{http.StatusForbidden, "api.context.permissions.app_error", "You do not have the appropriate permissions."}
	}
	url := req.URL
	req.URL, req.Type, req.UserId = "", "dialog_lookup", me
	var out model.LookupDialogResponse
	if err := s.postJSON(ctx, me, url, req, &out); err != nil {
		return nil, err
	}
	if out.Items == nil {
		out.Items = []model.DialogSelectOption{}
	}
	return &out, nil
}

// dynamicValue reports why the web client could not submit v as the value
// of dynamic select e of d: only a value a lookup offered can be picked.
func (s *Server) dynamicValue(d OpenedDialog, e model.DialogElement, v any) error {
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: a select's value is a string, got %T", e.Name, v)
	}
	if !s.wasOffered(d, e.Name, str) {
		return fmt.Errorf("%s: %q is not among the options a lookup offered (Server.Lookup)", e.Name, str)
	}
	return nil
}
