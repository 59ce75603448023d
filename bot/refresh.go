package bot

import "context"

// RefreshChecklistPost rewrites a run's checklist post from the stored run
// when postID is that post, so that its controls are rendered (and signed)
// anew: the way back for a post whose buttons the adapter can no longer
// verify, after its signing secret changed. It reports whether postID was
// the run's checklist post; rewrite failures are logged, as for any
// refresh.
//
// It checks no actor: the adapter calls it for a post it read from the
// chat platform as the bot, and the rewrite shows only what the post
// already showed.
func (s *Service) RefreshChecklistPost(ctx context.Context, runID, postID string) (bool, error) {
	r, err := s.store.RunState(ctx, runID)
	if err != nil {
		return false, err
	}
	if postID == "" || r.ChecklistPostID != postID {
		return false, nil
	}
	if err := s.refreshPost(ctx, runID, true); err != nil {
		s.showLater(ctx, runID, err)
	}
	return true, nil
}
