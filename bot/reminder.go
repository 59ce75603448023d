package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Status-update reminders: a status update with a reminder schedules a
// JobReminder job in its transaction, due when the owner is to be asked for
// the next update; a newer status update or the end of the run cancels it.

// reminderDueAt is when the run, as stored, is due for its next status
// update: its latest status update's reminder after that update; 0 when
// none is due (an ended run, or a status update without a reminder).
func reminderDueAt(r *Run) int64 {
	if !r.IsActive || r.PreviousReminder <= 0 {
		return 0
	}
	return r.LastStatusUpdateAt + r.PreviousReminder*1000
}

// reminderPending reports whether the run, as stored, has a reminder that
// has not come due yet at now.
func reminderPending(r *Run, now int64) bool {
	due := reminderDueAt(r)
	return due > 0 && due > now
}

// statusUpdateOverdue reports whether the run's next status update, as
// reminderDueAt has it, has come due at now: the complement of
// reminderPending for a run that has a reminder at all.
func statusUpdateOverdue(r *Run, now int64) bool {
	due := reminderDueAt(r)
	return due > 0 && due <= now
}

// cancelReminder adds to c the cancellation of the run's pending reminder
// and returns a note saying so for the change's reminder_cancelled event
// ("" when none was pending). It is called before the change updates r.
func cancelReminder(r *Run, now int64, c *RunChange) string {
	c.CancelJobs = append(c.CancelJobs, JobReminder)
	if !reminderPending(r, now) {
		return ""
	}
	due := time.UnixMilli(reminderDueAt(r)).UTC()
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

// reminderPostTimeout bounds the chat post of a reminder, made while the
// reminder holds its run's lock (on SQLite, the database's write lock).
const reminderPostTimeout = 5 * time.Second

// errStaleReminder aborts the transaction of a reminder that is no longer
// due: its run ended or got a newer status update.
var errStaleReminder = errors.New("stale reminder")

// reminderOutcome is what became of an attempt at a reminder.
type reminderOutcome int

const (
	// reminderNotSent: nothing was posted (stale, the run is gone, or an
	// error). A claimed job is still to be completed or retried.
	reminderNotSent reminderOutcome = iota
	// reminderRecorded: posted, recorded on the timeline and, for a claimed
	// job, marked done, all in the run's transaction.
	reminderRecorded
	// reminderPosted: posted, but the transaction that records it failed
	// (the database went away): recordReminder is to be retried until it
	// lands.
	reminderPosted
)

// SendReminder asks the run's owner, in the run's channel, for a status
// update, and records it on the timeline. A stale reminder (the run ended,
// or got a newer status update than the one that set it) is dropped
// without a word. The decision and the post are made while the run is
// locked, in the transaction that records the reminder, so that no status
// update can come between them: a reminder is never posted after a newer
// update. For a claimed job (ClaimedBy set), the same transaction marks the
// job done; EConflict, without a post, when its claimant no longer holds it
// (a newer update or a snooze cancelled it). An error means the reminder is
// to be retried.
func (s *Service) SendReminder(ctx context.Context, j Job) error {
	out, sent, err := s.remind(ctx, j, nil)
	if out == reminderPosted {
		return s.recordReminder(ctx, sent)
	}
	return err
}

// remind makes one attempt at the reminder job j; see SendReminder.
// untilDue, when not nil, is called after the first look at the run and
// before the run is locked, and its error ends the attempt. For
// reminderPosted, it returns the timeline event the failed transaction
// was to record, for recordReminder.
func (s *Service) remind(ctx context.Context, j Job, untilDue func() error) (reminderOutcome, TimelineEvent, error) {
	var p ReminderJob
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return reminderNotSent, TimelineEvent{}, Errorf(EInvalid, "reminder job %s has an invalid payload: %v", j.ID, err)
	}
	// A first look without the lock: a stale reminder takes no write lock,
	// and the owner's name is looked up before the lock is taken.
	pre, err := s.store.RunState(ctx, j.RunID)
	if ErrorCode(err) == ENotFound {
		return reminderNotSent, TimelineEvent{}, nil // the run is gone: nobody to remind
	} else if err != nil {
		return reminderNotSent, TimelineEvent{}, err
	}
	if reminderStale(&pre, p) {
		return reminderNotSent, TimelineEvent{}, nil
	}
	owner, mention := s.username(ctx, pre.Platform, pre.OwnerUserID), s.mention(ctx, pre.Platform, pre.OwnerUserID)
	if untilDue != nil {
		if err := untilDue(); err != nil {
			return reminderNotSent, TimelineEvent{}, err
		}
	}
	var (
		posted bool
		sent   TimelineEvent // what records the post
	)
	decide := func(r *Run) (RunChange, error) {
		if reminderStale(r, p) {
			return RunChange{}, errStaleReminder
		}
		if r.OwnerUserID != pre.OwnerUserID {
			owner, mention = s.username(ctx, r.Platform, r.OwnerUserID), s.mention(ctx, r.Platform, r.OwnerUserID)
		}
		if r.ChannelID != "" {
			post := *r
			post.DetailsURL = s.DetailsURL(post) // the reminder is posted in the run's channel
			name := post.Name
			if post.DetailsURL != "" {
				name = MarkdownLink(post.Name, post.DetailsURL)
			}
			msg := fmt.Sprintf("%s, it is time for a status update on %s: `/playbook update`", mention, name)
			pctx, cancel := context.WithTimeout(ctx, reminderPostTimeout)
			_, err := s.chatFor(post.Platform).PostReminder(pctx, post, msg)
			cancel()
			if err != nil {
				return RunChange{}, fmt.Errorf("post reminder of run %s in channel %s: %w", r.ID, r.ChannelID, err)
			}
		}
		posted, sent = true, s.reminderEvent(j.ID, r, owner)
		return one(sent), nil
	}
	if j.ClaimedBy != "" {
		_, err = s.store.CompleteRunJob(ctx, j.RunID, j.ID, j.ClaimedBy, s.now(), decide)
	} else {
		_, err = s.store.UpdateRun(ctx, j.RunID, decide)
	}
	switch {
	case err == nil:
		return reminderRecorded, sent, nil
	case posted:
		return reminderPosted, sent, fmt.Errorf("record reminder of run %s: %w", j.RunID, err)
	case errors.Is(err, errStaleReminder), ErrorCode(err) == ENotFound:
		return reminderNotSent, TimelineEvent{}, nil
	}
	return reminderNotSent, TimelineEvent{}, err
}

// reminderStale reports whether a reminder set as p is no longer due on r.
func reminderStale(r *Run, p ReminderJob) bool {
	return !r.IsActive || r.DeleteAt != 0 || r.LastStatusUpdateAt > p.After
}

// reminderEvent is the timeline event of the reminder job jobID, sent to
// owner. Its ID is the job's, so that it is recorded once however often
// recordReminder is retried.
func (s *Service) reminderEvent(jobID string, r *Run, owner string) TimelineEvent {
	e := s.event(r.ID, Actor{}, EventReminderSent, "Status update reminder sent to "+owner, "")
	e.ID = jobID
	e.SubjectUserID = r.OwnerUserID
	return e
}

// recordReminder records on its run's timeline sent, the event of a
// reminder posted but not recorded, as it was made when the reminder was
// posted: a record that lands after an outage says when the reminder went
// out, not when the database came back (on the timeline, a status update
// made meanwhile comes after it). Done already (the event exists) or a run
// gone count as recorded.
func (s *Service) recordReminder(ctx context.Context, sent TimelineEvent) error {
	_, err := s.store.UpdateRun(ctx, sent.RunID, func(*Run) (RunChange, error) {
		return one(sent), nil
	})
	if code := ErrorCode(err); err == nil || code == EConflict || code == ENotFound {
		return nil
	}
	return fmt.Errorf("record reminder of run %s: %w", sent.RunID, err)
}

// SnoozeOptions are the delays a reminder can be snoozed by, as the chat
// adapters offer them.
var SnoozeOptions = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 4 * time.Hour}

// SnoozeReminder puts the run's status update reminder off by d (one of
// SnoozeOptions, or up to a day): the pending reminder, if any, is
// replaced by one due d from now, and the snooze is a timeline event.
// EInvalid for an ended run or an out-of-range delay.
func (s *Service) SnoozeReminder(ctx context.Context, a Actor, id string, d time.Duration) (Run, error) {
	return s.snoozeReminder(ctx, a, id, d, nil)
}

// snoozeReminder is SnoozeReminder, which check, when not nil, vets the
// locked run first.
func (s *Service) snoozeReminder(ctx context.Context, a Actor, id string, d time.Duration, check func(*Run) error) (Run, error) {
	if d < time.Minute || d > 24*time.Hour {
		return Run{}, FieldErrorf("snooze", "a reminder can be snoozed for 1 minute to 24 hours, got %s", d)
	}
	by := s.usernameOfRun(ctx, id, a.UserID)
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		if check != nil {
			if err := check(r); err != nil {
				return RunChange{}, err
			}
		}
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
