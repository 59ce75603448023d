package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Status-update reminders: a status update with a reminder schedules a
// JobReminder job in its transaction, due when the owner is to be asked for
// the next update; a newer status update or the end of the run cancels it.

// reminderPending reports whether the run, as stored, has a reminder that
// has not come due yet at now.
func reminderPending(r *Run, now int64) bool {
	return r.IsActive && r.PreviousReminder > 0 && r.LastStatusUpdateAt+r.PreviousReminder*1000 > now
}

// cancelReminder adds to c the cancellation of the run's pending reminder
// and returns a note saying so for the change's timeline event ("" when
// none was pending). It is called before the change updates r. The
// cancellation gets no event of its own, so that a status update or the end
// of a run stays one timeline event: EndRun puts the note in its event's
// details; a status update's own Reminder says what replaces it.
func cancelReminder(r *Run, now int64, c *RunChange) string {
	c.CancelJobs = append(c.CancelJobs, JobReminder)
	if !reminderPending(r, now) {
		return ""
	}
	due := time.UnixMilli(r.LastStatusUpdateAt + r.PreviousReminder*1000).UTC()
	return "The status update reminder due at " + due.Format(time.RFC3339) + " was cancelled."
}

// reminderJob returns a reminder of the run due reminder seconds after
// now. r is the run as updated (LastStatusUpdateAt = now).
func (s *Service) reminderJob(r *Run, now, reminder int64) (Job, error) {
	p, err := json.Marshal(ReminderJob{After: r.LastStatusUpdateAt})
	if err != nil {
		return Job{}, err
	}
	return Job{ID: s.newID(), Kind: JobReminder, RunID: r.ID, DueAt: now + reminder*1000,
		Payload: string(p), CreateAt: now, State: JobPending}, nil
}

// SendReminder asks the run's owner, in the run's channel, for a status
// update, and records it on the timeline. A stale reminder (the run ended,
// or got a newer status update than the one that set it) is dropped
// without a word. It is the dispatcher's handler of JobReminder jobs; an
// error means the reminder is to be retried.
func (s *Service) SendReminder(ctx context.Context, j Job) error {
	var p ReminderJob
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return Errorf(EInvalid, "reminder job %s has an invalid payload: %v", j.ID, err)
	}
	r, err := s.store.RunState(ctx, j.RunID)
	if ErrorCode(err) == ENotFound {
		return nil // the run is gone: nobody to remind
	} else if err != nil {
		return err
	}
	if !r.IsActive || r.DeleteAt != 0 || r.LastStatusUpdateAt > p.After {
		return nil
	}
	owner := s.username(ctx, r.Platform, r.OwnerUserID)
	if r.ChannelID != "" {
		msg := fmt.Sprintf("%s, it is time for a status update on %s: `/playbook update`", owner, r.Name)
		if _, err := s.chatFor(r.Platform).Post(ctx, r.ChannelID, msg); err != nil {
			return fmt.Errorf("post reminder of run %s in channel %s: %w", r.ID, r.ChannelID, err)
		}
	}
	_, err = s.store.UpdateRun(ctx, r.ID, func(r *Run) (RunChange, error) {
		e := s.event(r.ID, Actor{}, EventReminderSent, "Status update reminder sent to "+owner, "")
		e.SubjectUserID = r.OwnerUserID
		return one(e), nil
	})
	if err != nil {
		return fmt.Errorf("record reminder of run %s: %w", r.ID, err)
	}
	return nil
}
