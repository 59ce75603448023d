package api

import "net/http"

// detailsLink answers GET /runs/{id}/details-link, which the spec lacks:
// {"url": ..., "expires_at": <Unix ms>, "signed": ...}, a fresh link to the
// run's details page (the one a webhook's details_url names), for whoever
// may see the run; 404 for a run they may not see, 400 when the server has
// no PLAYBOOKS_PUBLIC_URL. Without a link secret the URL is unsigned,
// expires_at is 0 and a note says that the page will ask for a token.
func (s *server) detailsLink(w http.ResponseWriter, r *http.Request) error {
	link, err := s.svc.DetailsLink(r.Context(), actor(r), pathID(r, "id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // the URL is a bearer permission
	return writeJSON(w, http.StatusOK, link)
}
