package api

import (
	"net/http"

	"github.com/playbooks-bot/playbooks/bot"
)

// runLocation is the path of a run, for the Location of a created one.
func runLocation(id string) string { return BasePath + "/runs/" + id }

// listRuns answers listPlaybookRuns with one page of a team's runs.
func (s *server) listRuns(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeRunFilter(r.URL.Query())
	if err != nil {
		return err
	}
	l, err := s.svc.ListRuns(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// createRun answers createPlaybookRunFromPost: 201 with the run. With an
// Idempotency-Key, a repeat gets the first answer (idempotency.go).
func (s *server) createRun(w http.ResponseWriter, r *http.Request) error {
	return s.idempotent(w, r, "createPlaybookRunFromPost", func(w http.ResponseWriter, r *http.Request, k bot.IdempotencyKey) error {
		in, err := decodeBody(w, r, decodeNewRun)
		if err != nil {
			return err
		}
		run, err := s.svc.CreateRunOnce(r.Context(), actor(r), k, in)
		if err != nil {
			return err
		}
		return writeCreatedRun(w, run)
	}, s.renderCreatedRun)
}

// writeCreatedRun writes the 201 of a created run.
func writeCreatedRun(w http.ResponseWriter, run bot.Run) error {
	w.Header().Set("Location", runLocation(run.ID))
	return writeJSON(w, http.StatusCreated, run)
}

// renderCreatedRun writes createRun's answer again from the run, for a
// repeated Idempotency-Key whose first answer was not recorded.
func (s *server) renderCreatedRun(w http.ResponseWriter, r *http.Request, id string) error {
	run, err := s.svc.Run(r.Context(), actor(r), id)
	if err != nil {
		return err
	}
	return writeCreatedRun(w, run)
}

// createRunFromDialog answers createPlaybookRunFromDialog: 201 with the run,
// or 200 {} for a cancelled dialog, which creates nothing.
func (s *server) createRunFromDialog(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeBody(w, r, decodeDialogRun)
	if err != nil {
		return err
	}
	if in.Cancelled {
		return writeJSON(w, http.StatusOK, struct{}{})
	}
	run, err := s.svc.CreateRun(r.Context(), actor(r), in.Run)
	if err != nil {
		return err
	}
	return writeCreatedRun(w, run)
}

// runOwners answers getOwners with the owners of a team's runs.
func (s *server) runOwners(w http.ResponseWriter, r *http.Request) error {
	team, err := decodeTeam(r.URL.Query())
	if err != nil {
		return err
	}
	owners, err := s.svc.RunOwners(r.Context(), actor(r), team)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, owners)
}

// runChannels answers getChannels with the channel IDs of matching runs.
func (s *server) runChannels(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeChannelFilter(r.URL.Query())
	if err != nil {
		return err
	}
	ids, err := s.svc.RunChannels(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ids)
}

// checklistAutocomplete answers getChecklistAutocomplete with the items of
// the run in a channel.
func (s *server) checklistAutocomplete(w http.ResponseWriter, r *http.Request) error {
	channelID, err := decodeAutocompleteChannel(r.URL.Query())
	if err != nil {
		return err
	}
	items, err := s.svc.ChecklistAutocomplete(r.Context(), actor(r), channelID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, items)
}

// runByChannel answers getPlaybookRunByChannelId.
func (s *server) runByChannel(w http.ResponseWriter, r *http.Request) error {
	run, err := s.svc.RunByChannel(r.Context(), actor(r), pathID(r, "channel_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

// getRun answers getPlaybookRun.
func (s *server) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := s.svc.Run(r.Context(), actor(r), pathID(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

// runMetadata answers getPlaybookRunMetadata.
func (s *server) runMetadata(w http.ResponseWriter, r *http.Request) error {
	md, err := s.svc.RunMetadata(r.Context(), actor(r), pathID(r, "id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, md)
}

// patchRun answers updatePlaybookRun: {"active_stage": n} sets the stage.
func (s *server) patchRun(w http.ResponseWriter, r *http.Request) error {
	stage, err := decodeBody(w, r, decodeActiveStage)
	if err != nil {
		return err
	}
	if _, err := s.svc.SetActiveStage(r.Context(), actor(r), pathID(r, "id"), stage); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// endRun answers endPlaybookRun and finish: the plugin's finish is its end.
func (s *server) endRun(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.EndRun(r.Context(), actor(r), pathID(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// endRunDialog answers endPlaybookRunDialog: the run ends unless the
// optional dialog submission says it was cancelled.
func (s *server) endRunDialog(w http.ResponseWriter, r *http.Request) error {
	cancelled, err := decodeBody(w, r, decodeDialogCancelled)
	if err != nil {
		return err
	}
	if cancelled {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return s.endRun(w, r)
}

// restartRun answers restartPlaybookRun.
func (s *server) restartRun(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.RestartRun(r.Context(), actor(r), pathID(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// updateStatus answers status: a status update with an optional reminder.
// With an Idempotency-Key, a repeat gets the first answer and posts
// nothing (idempotency.go).
func (s *server) updateStatus(w http.ResponseWriter, r *http.Request) error {
	return s.idempotent(w, r, "status", func(w http.ResponseWriter, r *http.Request, k bot.IdempotencyKey) error {
		in, err := decodeBody(w, r, decodeStatus)
		if err != nil {
			return err
		}
		if _, err := s.svc.UpdateStatusOnce(r.Context(), actor(r), k, pathID(r, "id"), in.Message, in.Reminder); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}, func(w http.ResponseWriter, _ *http.Request, _ string) error {
		w.WriteHeader(http.StatusOK) // the answer has no body: nothing to render
		return nil
	})
}

// changeOwner answers changeOwner. On a private run, an owner not in its
// channel is added to it, or the change is refused with the reason.
func (s *server) changeOwner(w http.ResponseWriter, r *http.Request) error {
	owner, err := decodeBody(w, r, decodeOwner)
	if err != nil {
		return err
	}
	if _, _, err := s.svc.ChangeOwner(r.Context(), actor(r), pathID(r, "id"), owner); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// nextStageDialog answers nextStageDialog: the dialog's state is the index
// of the stage to make active.
func (s *server) nextStageDialog(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeBody(w, r, decodeNextStage)
	if err != nil {
		return err
	}
	if in.Cancelled {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if _, err := s.svc.SetActiveStage(r.Context(), actor(r), pathID(r, "id"), in.Stage); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
