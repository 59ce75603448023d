package bot

import (
	"cmp"
	"context"
	"slices"
)

// OverdueRun is a run whose status update is overdue, and since when.
type OverdueRun struct {
	Run   Run
	DueAt int64 // Unix ms: when the next status update was due (reminderDueAt)
}

// OverdueStatusUpdates lists the team's runs in progress that the actor
// owns, may see, and whose status update is overdue at now: the reminder
// of their latest status update has come due (the rule of reminderDueAt,
// which the reminders themselves follow). The longest overdue come first,
// then by run ID; a run whose latest update set no reminder is never
// overdue.
func (s *Service) OverdueStatusUpdates(ctx context.Context, a Actor, teamID string) ([]OverdueRun, error) {
	now := s.now()
	out := []OverdueRun{}
	f := RunFilter{TeamID: teamID, OwnerID: "me", Statuses: []string{StatusInProgress},
		Sort: "id", Direction: "asc", PerPage: MaxPerPage}
	for {
		l, err := s.ListRuns(ctx, a, f)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			r := &l.Items[i]
			if statusUpdateOverdue(r, now) {
				out = append(out, OverdueRun{Run: *r, DueAt: reminderDueAt(r)})
			}
		}
		if !l.HasMore || len(l.Items) == 0 {
			break
		}
		f.Page++
	}
	slices.SortFunc(out, func(x, y OverdueRun) int {
		return cmp.Or(cmp.Compare(x.DueAt, y.DueAt), cmp.Compare(x.Run.ID, y.Run.ID))
	})
	return out, nil
}
