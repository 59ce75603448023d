package api

import "net/http"

// deleteTimelineEvent answers removeTimelineEvent: the event is hidden from
// the run's timeline (kept, marked deleted). 204.
func (s *server) deleteTimelineEvent(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteTimelineEvent(r.Context(), actor(r), pathID(r, "id"), pathID(r, "event_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
