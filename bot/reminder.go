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
// and returns a note saying so for the change's reminder_cancelled event
// ("" when none was pending). It is called before the change updates r.
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
		r.DetailsURL = s.DetailsURL(r) // the reminder is posted in the run's channel
		name := r.Name
		if r.DetailsURL != "" {
			name = MarkdownLink(r.Name, r.DetailsURL)
		}
		msg := fmt.Sprintf("%s, it is time for a status update on %s: `/playbook update`", owner, name)
		if _, err := s.chatFor(r.Platform).PostReminder(ctx, r, msg); err != nil {
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

// SnoozeOptions are the delays a reminder can be snoozed by, as the chat
// adapters offer them.
var SnoozeOptions = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 4 * time.Hour}

// SnoozeReminder puts the run's status update reminder off by d (one of
// SnoozeOptions, or up to a day): the pending reminder, if any, is
// replaced by one due d from now, and the snooze is a timeline event.
// EInvalid for an ended run or an out-of-range delay.
func (s *Service) SnoozeReminder(ctx context.Context, a Actor, id string, d time.Duration) (Run, error) {
	if d < time.Minute || d > 24*time.Hour {
		return Run{}, FieldErrorf("snooze", "a reminder can be snoozed for 1 minute to 24 hours, got %s", d)
	}
	by := s.usernameOfRun(ctx, id, a.UserID)
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		if !r.IsActive {
			return RunChange{}, Errorf(EInvalid, "run %s has ended: there is no reminder to snooze", r.ID)
		}
		now := s.now()
		j, err := s.reminderJob(r, now, int64(d/time.Second))
		if err != nil {
			return RunChange{}, err
		}
		due := time.UnixMilli(j.DueAt).UTC().Format(time.RFC3339)
		e := s.event(r.ID, a, EventReminderSnoozed, fmt.Sprintf("Reminder snoozed by %s until %s", by, due), d.String())
		return RunChange{CancelJobs: []string{JobReminder}, Jobs: []Job{j}, Events: []TimelineEvent{e}}, nil
	})
}
