package api

import (
	"net/http"

	"github.com/playbooks-bot/playbooks/bot"
)

// playbookLocation is the path of a playbook, for the Location of a created one.
func playbookLocation(id string) string { return BasePath + "/playbooks/" + id }

// listPlaybooks answers getPlaybooks with one page of a team's playbooks.
func (s *server) listPlaybooks(w http.ResponseWriter, r *http.Request) error {
	f, err := decodePlaybookFilter(r.URL.Query())
	if err != nil {
		return err
	}
	l, err := s.svc.ListPlaybooks(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// createdID is the body of createPlaybook's 201.
type createdID struct {
	ID string `json:"id"`
}

// createPlaybook answers createPlaybook: 201 with the new playbook's ID.
// With an Idempotency-Key, a repeat gets the first answer (idempotency.go).
func (s *server) createPlaybook(w http.ResponseWriter, r *http.Request) error {
	return s.idempotent(w, r, "createPlaybook", func(w http.ResponseWriter, r *http.Request, k bot.IdempotencyKey) error {
		in, err := decodeBody(w, r, decodeNewPlaybook)
		if err != nil {
			return err
		}
		p, err := s.svc.CreatePlaybookOnce(r.Context(), actor(r), k, in)
		if err != nil {
			return err
		}
		return writeCreatedPlaybook(w, p.ID)
	}, func(w http.ResponseWriter, _ *http.Request, id string) error {
		return writeCreatedPlaybook(w, id)
	})
}

// writeCreatedPlaybook writes the 201 of a created playbook.
func writeCreatedPlaybook(w http.ResponseWriter, id string) error {
	w.Header().Set("Location", playbookLocation(id))
	return writeJSON(w, http.StatusCreated, createdID{ID: id})
}

// getPlaybook answers getPlaybook; an archived playbook is still returned.
func (s *server) getPlaybook(w http.ResponseWriter, r *http.Request) error {
	p, err := s.svc.Playbook(r.Context(), actor(r), pathID(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// updatePlaybook answers updatePlaybook: a full update; runs already
// started from the playbook keep their copy.
func (s *server) updatePlaybook(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeBody(w, r, decodePlaybookUpdate)
	if err != nil {
		return err
	}
	if _, err := s.svc.UpdatePlaybook(r.Context(), actor(r), pathID(r, "id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// deletePlaybook answers deletePlaybook: the playbook is archived. 204.
func (s *server) deletePlaybook(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.ArchivePlaybook(r.Context(), actor(r), pathID(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// autoFollows answers getAutoFollows.
func (s *server) autoFollows(w http.ResponseWriter, r *http.Request) error {
	af, err := s.svc.AutoFollows(r.Context(), actor(r), pathID(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, af)
}

// follow answers PUT /playbooks/{id}/autofollows/{user_id}, as the plugin
// serves it: the user follows every new run of the playbook.
func (s *server) follow(w http.ResponseWriter, r *http.Request) error {
	return s.setAutoFollow(w, r, true)
}

// unfollow answers DELETE /playbooks/{id}/autofollows/{user_id}.
func (s *server) unfollow(w http.ResponseWriter, r *http.Request) error {
	return s.setAutoFollow(w, r, false)
}

func (s *server) setAutoFollow(w http.ResponseWriter, r *http.Request, follow bool) error {
	if err := s.svc.SetAutoFollow(r.Context(), actor(r), pathID(r, "id"), pathID(r, "user_id"), follow); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
