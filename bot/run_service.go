package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// NewRun is what starting a run takes.
type NewRun struct {
	Name        string
	Description string
	OwnerUserID string // "" means the playbook's default owner if enabled, else the actor
	TeamID      string
	PlaybookID  string
	PostID      string
	Platform    string // the chat platform to open its channel on; "" for the default one
}

// CreateRun starts a run from a playbook: the playbook's checklists are
// copied, its channel is created on the chat platform (none without one),
// and the creation is the first timeline event.
func (s *Service) CreateRun(ctx context.Context, a Actor, in NewRun) (Run, error) {
	return s.CreateRunOnce(ctx, a, IdempotencyKey{}, in)
}

// CreateRunOnce is CreateRun recording k (unless zero) in the run's
// transaction, with the run's ID. ErrIdempotencyKeyTaken, and no run, when
// a concurrent request recorded k first; the caller looks it up
// (IdempotentRequest) before, to replay a key already recorded.
func (s *Service) CreateRunOnce(ctx context.Context, a Actor, k IdempotencyKey, in NewRun) (Run, error) {
	if err := checkIdempotencyKey(k); err != nil {
		return Run{}, err
	}
	if err := checkTitle("name", in.Name); err != nil {
		return Run{}, err
	}
	if err := checkText("description", in.Description, MaxTextLen); err != nil {
		return Run{}, err
	}
	if err := checkOwnID("playbook_id", in.PlaybookID); err != nil {
		return Run{}, err
	}
	if in.TeamID != "" {
		if err := s.checkChatID("team_id", in.TeamID); err != nil {
			return Run{}, err
		}
	}
	if in.PostID != "" {
		if err := s.checkChatID("post_id", in.PostID); err != nil {
			return Run{}, err
		}
	}
	pb, err := s.store.Playbook(ctx, in.PlaybookID)
	if ErrorCode(err) == ENotFound {
		return Run{}, FieldErrorf("playbook_id", "playbook %s does not exist", in.PlaybookID)
	} else if err != nil {
		return Run{}, err
	}
	if err := a.checkTeam(pb.TeamID); err != nil {
		return Run{}, err
	}
	if in.TeamID != "" && in.TeamID != pb.TeamID {
		return Run{}, FieldErrorf("team_id", "playbook %s belongs to team %s, not %s", pb.ID, pb.TeamID, in.TeamID)
	}
	if pb.DeleteAt != 0 {
		return Run{}, FieldErrorf("playbook_id", "playbook %s is archived; restore it or pick another", pb.ID)
	}
	// A playbook stored before the limits existed may exceed them: its run
	// is refused, never cut short.
	if err := checkChecklists("run", "", pb.Checklists, nil); err != nil {
		return Run{}, FieldErrorf("playbook_id", "playbook %s is too large to start a run from: %s; shorten the playbook first", pb.ID, ErrorMessage(err))
	}
	owner := in.OwnerUserID
	if owner == "" && pb.DefaultOwnerEnabled {
		owner = pb.DefaultOwnerID
	}
	if owner == "" {
		owner = a.UserID
	}
	if err := s.checkChatID("owner_user_id", owner); err != nil {
		return Run{}, err
	}
	platform := in.Platform
	if platform == "" {
		platform = s.defaultPlatform
	}
	if _, ok := s.platforms[platform]; platform != "" && len(s.platforms) > 0 && !ok {
		return Run{}, FieldErrorf("platform", "chat platform %q is not configured on this server", platform)
	}
	chat := s.chatFor(platform)

	now := s.now()
	r := Run{
		ID: s.newID(), Name: strings.TrimSpace(in.Name), Description: in.Description,
		IsActive: true, CurrentStatus: StatusInProgress,
		OwnerUserID: owner, ReporterUserID: a.UserID, TeamID: pb.TeamID,
		CreateAt: now, PostID: in.PostID, PlaybookID: pb.ID, Public: pb.CreatePublicPlaybookRun,
		Platform:            platform,
		Checklists:          copyChecklists(pb.Checklists, s.newID),
		BroadcastChannelIDs: slices.Clone(nonNil(pb.BroadcastChannelIDs)),
		StatusUpdates:       []StatusUpdate{},
	}
	if pb.WebhookOnStatusUpdateEnabled {
		r.WebhookOnStatusUpdateURL = pb.WebhookOnStatusUpdateURL
	}
	if len(r.Checklists) > 0 {
		r.ActiveStageTitle = r.Checklists[0].Title
	}
	r.ParticipantIDs = dedupe([]string{a.UserID, owner})
	if pb.InviteUsersEnabled {
		r.ParticipantIDs = dedupe(append(r.ParticipantIDs, pb.InvitedUserIDs...))
	}
	slices.Sort(r.ParticipantIDs) // as the store returns them
	r.ChannelID, err = chat.CreateChannel(ctx, NewChannel{
		TeamID: r.TeamID, DisplayName: r.Name, Public: pb.CreatePublicPlaybookRun,
		MemberIDs: r.ParticipantIDs,
	})
	if err != nil {
		return Run{}, fmt.Errorf("create channel for run %s: %w", r.ID, err)
	}
	ev := s.event(r.ID, a, EventRunCreated, fmt.Sprintf("Run started by %s", s.username(ctx, platform, a.UserID)), "")
	ev.SubjectUserID = owner
	r.TimelineEvents, r.TimelineEventsTotal = []TimelineEvent{ev}, 1
	var jobs []Job
	if pb.WebhookOnCreationEnabled && pb.WebhookOnCreationURL != "" {
		j, err := s.webhookJob(r, pb.WebhookOnCreationURL, now)
		if err != nil {
			return Run{}, err
		}
		jobs = append(jobs, j)
	}
	var posts []Job
	if r.ChannelID != "" && pb.AnnouncementChannelEnabled {
		msg := fmt.Sprintf("#### New run: %s\nStarted by %s, owned by %s, from playbook %s.",
			r.Name, s.mention(ctx, platform, a.UserID), s.mention(ctx, platform, owner), pb.Title)
		if posts, err = s.postJobs(r, msg, now, pb.AnnouncementChannelID); err != nil {
			return Run{}, err
		}
		jobs = append(jobs, posts...)
	}
	if key := s.idempotentRequest(k, r.ID); key != nil {
		err = s.store.CreateRunOnce(ctx, *key, r, r.TimelineEvents, jobs...)
	} else {
		err = s.store.CreateRun(ctx, r, r.TimelineEvents, jobs...)
	}
	if err != nil {
		return Run{}, err
	}
	if r.ChannelID != "" {
		s.show(ctx, r.ID)
		s.sendPosts(ctx, posts)
		if fresh, err := s.store.RunState(ctx, r.ID); err == nil {
			r.ChecklistPostID = fresh.ChecklistPostID
		}
	}
	return r, nil
}

// copyChecklists returns a deep copy of a playbook's checklists with new IDs
// and every item open.
func copyChecklists(cs []Checklist, newID func() string) []Checklist {
	out := make([]Checklist, len(cs))
	for i, c := range cs {
		out[i] = Checklist{ID: newID(), Title: c.Title, Items: make([]ChecklistItem, len(c.Items))}
		for j, it := range c.Items {
			out[i].Items[j] = ChecklistItem{ID: newID(), Title: it.Title, Command: it.Command, Description: it.Description, DueDate: it.DueDate}
		}
	}
	return out
}

// Run returns a run the actor may see. ENotFound, EForbidden.
func (s *Service) Run(ctx context.Context, a Actor, id string) (Run, error) {
	if err := checkOwnID("id", id); err != nil {
		return Run{}, err
	}
	r, err := s.store.Run(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if err := s.checkRun(ctx, a, r); err != nil {
		return Run{}, err
	}
	return r, nil
}

// runState returns a run the actor may see without its history, whose
// read costs the same however old the run. ENotFound, EForbidden.
func (s *Service) runState(ctx context.Context, a Actor, id string) (Run, error) {
	if err := checkOwnID("id", id); err != nil {
		return Run{}, err
	}
	r, err := s.store.RunState(ctx, id)
	if err != nil {
		return Run{}, err
	}
	if err := s.checkRun(ctx, a, r); err != nil {
		return Run{}, err
	}
	return r, nil
}

// RunByChannel returns the run whose channel is channelID. ENotFound also
// when the run is private and the actor is not in its channel: a lookup by
// channel says nothing of a run the actor may not see (the spec's 404).
// EForbidden for another team's run.
func (s *Service) RunByChannel(ctx context.Context, a Actor, channelID string) (Run, error) {
	if channelID == "" {
		return Run{}, Errorf(ENotFound, "no run for an empty channel ID")
	}
	if err := s.checkChatID("channel_id", channelID); err != nil {
		return Run{}, err
	}
	r, err := s.store.RunByChannel(ctx, channelID)
	if err != nil {
		return Run{}, err
	}
	if err := a.checkTeam(r.TeamID); err != nil {
		return Run{}, err
	}
	ok, err := s.visible(ctx, a, r)
	if err != nil {
		return Run{}, err
	}
	if !ok {
		return Run{}, Errorf(ENotFound, "no run you may see has channel %s", channelID)
	}
	return r, nil
}

// RunMetadata describes a run's channel; with no chat platform, its member
// count is the run's participant count.
func (s *Service) RunMetadata(ctx context.Context, a Actor, id string) (RunMetadata, error) {
	r, err := s.Run(ctx, a, id)
	if err != nil {
		return RunMetadata{}, err
	}
	if r.ChannelID == "" {
		return RunMetadata{NumMembers: int64(len(r.ParticipantIDs))}, nil
	}
	return s.chatFor(r.Platform).ChannelStats(ctx, r.ChannelID)
}

// ListRuns returns one page of the team's runs the actor may see, with
// their total count; "me" as owner or participant is the actor.
func (s *Service) ListRuns(ctx context.Context, a Actor, f RunFilter) (RunList, error) {
	f, err := s.checkRunFilter(a, f)
	if err != nil {
		return RunList{}, err
	}
	if f.PerPage, err = checkPage(f.Page, f.PerPage); err != nil {
		return RunList{}, err
	}
	if f, err = s.withVisibility(ctx, a, f); err != nil {
		return RunList{}, err
	}
	l, err := s.store.ListRuns(ctx, f)
	l.Items = nonNil(l.Items)
	return l, err
}

// RunChannels returns the channel IDs of all runs matching f that the
// actor may see.
func (s *Service) RunChannels(ctx context.Context, a Actor, f RunFilter) ([]string, error) {
	f, err := s.checkRunFilter(a, f)
	if err != nil {
		return nil, err
	}
	if f, err = s.withVisibility(ctx, a, f); err != nil {
		return nil, err
	}
	ids, err := s.store.RunChannels(ctx, f)
	return nonNil(ids), err
}

// checkRunFilter validates a run filter and resolves "me".
func (s *Service) checkRunFilter(a Actor, f RunFilter) (RunFilter, error) {
	if err := s.checkChatID("team_id", f.TeamID); err != nil {
		return f, err
	}
	if err := a.checkTeam(f.TeamID); err != nil {
		return f, err
	}
	for _, st := range f.Statuses {
		if st != StatusInProgress && st != StatusFinished {
			return f, FieldErrorf("statuses", "status must be InProgress or Finished, got %q", st)
		}
	}
	for _, p := range []*string{&f.OwnerID, &f.ParticipantID} {
		if *p == "me" {
			*p = a.UserID
		}
	}
	if f.OwnerID != "" && !ValidID(f.OwnerID) {
		return f, FieldErrorf("owner_user_id", "owner_user_id %q is not a valid ID or \"me\"", f.OwnerID)
	}
	if f.ParticipantID != "" && !ValidID(f.ParticipantID) {
		return f, FieldErrorf("participant_id", "participant_id %q is not a valid ID or \"me\"", f.ParticipantID)
	}
	if err := checkText("search_term", f.SearchTerm, MaxTitleLen); err != nil {
		return f, err
	}
	if f.Sort == "" {
		f.Sort = "create_at"
	} else if !slices.Contains(RunSortFields, f.Sort) {
		return f, FieldErrorf("sort", "sort must be one of %s, got %q", strings.Join(RunSortFields, ", "), f.Sort)
	}
	var err error
	f.Direction, err = checkDirection(f.Direction, "desc")
	return f, err
}

// RunOwners lists the owners of the team's runs the actor may see, with
// their usernames: the owner of a private run is named only to those who
// may see the run.
func (s *Service) RunOwners(ctx context.Context, a Actor, teamID string) ([]OwnerInfo, error) {
	if err := s.checkChatID("team_id", teamID); err != nil {
		return nil, err
	}
	if err := a.checkTeam(teamID); err != nil {
		return nil, err
	}
	f, err := s.withVisibility(ctx, a, RunFilter{TeamID: teamID})
	if err != nil {
		return nil, err
	}
	ids, err := s.store.RunOwners(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]OwnerInfo, 0, len(ids))
	for _, id := range ids {
		name := id // a lookup that fails must not fail the list: the ID still names the owner
		if u, err := s.anyUser(ctx, id); err == nil && u.Username != "" {
			name = u.Username
		} else if err != nil && ErrorCode(err) != ENotFound {
			s.log.Warn("look up run owner", "user_id", id, "error", err)
		}
		out = append(out, OwnerInfo{UserID: id, Username: name})
	}
	return out, nil
}

// ChecklistAutocomplete lists the items of the run in channelID, as
// "checklist item" index pairs for /playbook check. ENotFound as
// RunByChannel, also for a private run the actor may not see.
func (s *Service) ChecklistAutocomplete(ctx context.Context, a Actor, channelID string) ([]AutocompleteItem, error) {
	r, err := s.RunByChannel(ctx, a, channelID)
	if err != nil {
		return nil, err
	}
	out := []AutocompleteItem{}
	for i, c := range r.Checklists {
		for j, it := range c.Items {
			out = append(out, AutocompleteItem{Item: fmt.Sprintf("%d %d", i, j), Hint: it.Title, HelpText: "Check/uncheck this item"})
		}
	}
	return out, nil
}

// change runs fn on the run under the store's lock, after checking the
// actor may see it (checkRun: who may not see a run may not change it),
// then refreshes the run's checklist post when fn recorded a change.
//
// A change that makes the run's checklists exceed a limit they did not
// exceed before (see checkChecklists) is refused; this is the one check of
// every write that grows a run.
func (s *Service) change(ctx context.Context, a Actor, id string, fn func(*Run) (RunChange, error)) (Run, error) {
	if err := s.mayChange(ctx, a, id); err != nil {
		return Run{}, err
	}
	changed := false
	r, err := s.store.UpdateRun(ctx, id, func(r *Run) (RunChange, error) {
		if err := a.checkTeam(r.TeamID); err != nil {
			return RunChange{}, err
		}
		before, err := measureChecklists(r.Checklists)
		if err != nil {
			return RunChange{}, err
		}
		c, err := fn(r)
		if err != nil {
			return RunChange{}, err
		}
		if err := checkChecklists("run", "", r.Checklists, &before); err != nil {
			return RunChange{}, err
		}
		changed = len(c.Events) > 0
		return c, nil
	})
	if err == nil && changed && r.ChannelID != "" {
		s.show(ctx, r.ID)
	}
	return r, err
}

// changeItem is change for a change of one checklist item of the run, the
// one ref names, and of nothing else but added participants: it locks that
// item, not the run (Store.UpdateItem), so that people working distinct
// items of one run do not wait on each other, and it reads that item, not
// the run's others (see RunItem). Such a change cannot grow the run's
// checklists past a limit (state, assignee and times are measured at
// their largest already).
func (s *Service) changeItem(ctx context.Context, a Actor, id string, ref ItemRef, fn func(*RunItem) (RunChange, error)) (RunItem, error) {
	if err := s.mayChange(ctx, a, id); err != nil {
		return RunItem{}, err
	}
	changed := false
	ri, err := s.store.UpdateItem(ctx, id, ref, func(ri *RunItem) (RunChange, error) {
		if err := a.checkTeam(ri.Run.TeamID); err != nil {
			return RunChange{}, err
		}
		c, err := fn(ri)
		if err != nil {
			return RunChange{}, err
		}
		changed = len(c.Events) > 0
		return c, nil
	})
	if err == nil && changed && ri.Run.ChannelID != "" {
		s.show(ctx, ri.Run.ID)
	}
	return ri, err
}

// mayChange is the check change and changeItem make before anything is
// locked: the actor's right to see the run (the actor's team on the run
// is checked again on the run as locked). Channel membership is asked of
// the chat platform here, so that no network round trip is made while
// others wait on a lock.
func (s *Service) mayChange(ctx context.Context, a Actor, id string) error {
	if err := checkOwnID("id", id); err != nil {
		return err
	}
	if a.Admin {
		return nil
	}
	r, err := s.store.RunAccess(ctx, id)
	if err != nil {
		return err
	}
	return s.checkRun(ctx, a, r)
}

// event returns a new timeline event of the run, created now by the actor.
func (s *Service) event(runID string, a Actor, typ, summary, details string) TimelineEvent {
	now := s.now()
	return TimelineEvent{
		ID: s.newID(), RunID: runID, CreateAt: now, EventAt: now, EventType: typ,
		Summary: summary, Details: details, CreatorUserID: a.UserID, SubjectUserID: a.UserID,
	}
}

// one wraps a single timeline event as a RunChange.
func one(e TimelineEvent) RunChange { return RunChange{Events: []TimelineEvent{e}} }

// SetActiveStage makes the checklist at index stage the active stage.
func (s *Service) SetActiveStage(ctx context.Context, a Actor, id string, stage int) (Run, error) {
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		if stage < 0 || stage >= len(r.Checklists) {
			return RunChange{}, FieldErrorf("active_stage", "stage %d does not exist; this run has stages 0 to %d", stage, len(r.Checklists)-1)
		}
		from := r.ActiveStage
		r.ActiveStage, r.ActiveStageTitle = stage, r.Checklists[stage].Title
		return one(s.event(r.ID, a, EventStageChanged,
			fmt.Sprintf("Stage changed from %d to %d (%s)", from, stage, r.ActiveStageTitle), "")), nil
	})
}

// EndRun ends (finishes) a run; ending an ended run changes nothing.
func (s *Service) EndRun(ctx context.Context, a Actor, id string) (Run, error) {
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		if !r.IsActive {
			return RunChange{}, nil // already ended: as in the plugin, nothing to do
		}
		now := s.now()
		var c RunChange
		c.Events = []TimelineEvent{s.event(r.ID, a, EventRunFinished, "Run finished", "")}
		if note := cancelReminder(r, now, &c); note != "" {
			c.Events = append(c.Events, s.event(r.ID, a, EventReminderCanceled, "Reminder cancelled: the run ended", note))
		}
		r.IsActive, r.CurrentStatus, r.EndAt = false, StatusFinished, now
		return c, nil
	})
}

// RestartRun makes an ended run active again; restarting an active run
// changes nothing.
func (s *Service) RestartRun(ctx context.Context, a Actor, id string) (Run, error) {
	return s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		if r.IsActive {
			return RunChange{}, nil // already in progress: nothing to do
		}
		r.IsActive, r.CurrentStatus, r.EndAt = true, StatusInProgress, 0
		return one(s.event(r.ID, a, EventRunRestarted, "Run restarted", "")), nil
	})
}

// ChangeOwner makes ownerID the run's owner and a participant. On a
// private run, an owner who is not in the run's channel is added to it
// first, and added reports it; when that fails, nothing changes and the
// error says why (see admitToChannel for this choice).
func (s *Service) ChangeOwner(ctx context.Context, a Actor, id, ownerID string) (r Run, added bool, err error) {
	if err := checkOwnID("id", id); err != nil {
		return Run{}, false, err
	}
	if err := s.checkChatID("owner_id", ownerID); err != nil {
		return Run{}, false, err
	}
	if added, err = s.admitToChannel(ctx, a, id, ownerID, nil); err != nil {
		return Run{}, false, err
	}
	// Names are looked up before the run is locked: no chat round trip
	// while others wait on the run.
	newName := s.usernameOfRun(ctx, id, ownerID)
	r, err = s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		if r.OwnerUserID == ownerID {
			return RunChange{}, nil // already the owner: nothing changes
		}
		old := r.OwnerUserID
		r.OwnerUserID = ownerID
		r.ParticipantIDs = dedupe(append(r.ParticipantIDs, ownerID))
		e := s.event(r.ID, a, EventOwnerChanged, fmt.Sprintf("Owner changed to %s", newName), "previous owner: "+old)
		e.SubjectUserID = ownerID
		return one(e), nil
	})
	if err != nil {
		return Run{}, added, err
	}
	return r, added, nil
}

// UpdateStatus records a status update; reminder is the number of seconds
// until the owner is to be reminded of the next one (0: none).
func (s *Service) UpdateStatus(ctx context.Context, a Actor, id, message string, reminder int64) (Run, error) {
	return s.UpdateStatusOnce(ctx, a, IdempotencyKey{}, id, message, reminder)
}

// UpdateStatusOnce is UpdateStatus recording k (unless zero) in the
// update's transaction, with the status update's ID.
// ErrIdempotencyKeyTaken as for CreateRunOnce.
func (s *Service) UpdateStatusOnce(ctx context.Context, a Actor, k IdempotencyKey, id, message string, reminder int64) (Run, error) {
	if err := checkIdempotencyKey(k); err != nil {
		return Run{}, err
	}
	if strings.TrimSpace(message) == "" {
		return Run{}, FieldErrorf("message", "message is required: say what changed")
	}
	if err := checkText("message", message, MaxTextLen); err != nil {
		return Run{}, err
	}
	if reminder < 0 || reminder > MaxReminderSecond {
		return Run{}, FieldErrorf("reminder", "reminder must be between 0 and %d seconds, got %d", MaxReminderSecond, reminder)
	}
	// Named before the run is locked: no chat round trip while others
	// wait on the run.
	by := s.mentionOfRun(ctx, id, a.UserID)
	var posts []Job
	r, err := s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		now := s.now()
		su := StatusUpdate{ID: s.newID(), RunID: r.ID, UserID: a.UserID, Message: message, Reminder: reminder, CreateAt: now}
		c := RunChange{
			Events:       []TimelineEvent{s.event(r.ID, a, EventStatusUpdated, "Status updated", message)},
			StatusUpdate: &su,
			Idempotency:  s.idempotentRequest(k, su.ID),
		}
		// A newer status update makes the pending reminder stale.
		if note := cancelReminder(r, now, &c); note != "" {
			c.Events = append(c.Events, s.event(r.ID, a, EventReminderCanceled, "Reminder cancelled by a newer status update", note))
		}
		r.LastStatusUpdateAt, r.PreviousReminder = now, reminder
		r.ParticipantIDs = dedupe(append(r.ParticipantIDs, a.UserID))
		if reminder > 0 && r.IsActive {
			j, err := s.reminderJob(r, now, reminder)
			if err != nil {
				return RunChange{}, err
			}
			c.Jobs = append(c.Jobs, j)
			due := time.UnixMilli(j.DueAt).UTC().Format(time.RFC3339)
			c.Events = append(c.Events, s.event(r.ID, a, EventReminderSet,
				fmt.Sprintf("Next status update reminder at %s", due), fmt.Sprintf("in %d seconds", reminder)))
		}
		if r.WebhookOnStatusUpdateURL != "" {
			// The payload carries the run without its history, which an
			// update does not load, but with this status update.
			p := *r
			p.StatusUpdates = []StatusUpdate{su}
			j, err := s.webhookJob(p, r.WebhookOnStatusUpdateURL, now)
			if err != nil {
				return RunChange{}, err
			}
			c.Jobs = append(c.Jobs, j)
		}
		if r.ChannelID != "" {
			var err error
			posts, err = s.postJobs(*r, statusMessage(*r, by, message), now, append([]string{r.ChannelID}, r.BroadcastChannelIDs...)...)
			if err != nil {
				return RunChange{}, err
			}
			c.Jobs = append(c.Jobs, posts...)
		}
		return c, nil
	})
	if err == nil {
		s.sendPosts(ctx, posts)
	}
	return r, err
}

// DeleteTimelineEvent hides one of the run's timeline events (it is kept,
// marked deleted) and records who hid it, as its own event.
func (s *Service) DeleteTimelineEvent(ctx context.Context, a Actor, id, eventID string) error {
	if err := checkOwnID("event_id", eventID); err != nil {
		return err
	}
	r, err := s.runState(ctx, a, id)
	if err != nil {
		return err
	}
	// Looked up in the store, not in the run: a run carries only its
	// newest events, and any undeleted event may be deleted.
	ev, err := s.store.TimelineEvent(ctx, r.ID, eventID)
	if ErrorCode(err) == ENotFound {
		return Errorf(ENotFound, "timeline event %s not found in run %s", eventID, r.ID)
	}
	if err != nil {
		return err
	}
	if ev.EventType == EventEventDeleted {
		return Errorf(EInvalid, "the record of a deletion cannot itself be deleted")
	}
	summary := ev.Summary
	// The store checks again, under the run's lock, that the event is still
	// there: a concurrent delete of the same event gets ENotFound.
	_, err = s.change(ctx, a, id, func(r *Run) (RunChange, error) {
		e := s.event(r.ID, a, EventEventDeleted, "Timeline event removed: "+summary, eventID)
		return RunChange{Events: []TimelineEvent{e}, DeleteEventIDs: []string{eventID}}, nil
	})
	return err
}
