package bot

import (
	"context"
	"net/url"
	"slices"
)

// CreatePlaybook validates p and stores it as a new playbook in p.TeamID.
// IDs, times and counts in p are set by the server.
func (s *Service) CreatePlaybook(ctx context.Context, a Actor, p Playbook) (Playbook, error) {
	return s.CreatePlaybookOnce(ctx, a, IdempotencyKey{}, p)
}

// CreatePlaybookOnce is CreatePlaybook recording k (unless zero) in the
// playbook's transaction, with the playbook's ID. ErrIdempotencyKeyTaken
// as for CreateRunOnce.
func (s *Service) CreatePlaybookOnce(ctx context.Context, a Actor, k IdempotencyKey, p Playbook) (Playbook, error) {
	if err := checkIdempotencyKey(k); err != nil {
		return Playbook{}, err
	}
	if err := s.preparePlaybook(&p); err != nil {
		return Playbook{}, err
	}
	if err := a.checkTeam(p.TeamID); err != nil {
		return Playbook{}, err
	}
	p.ID = s.newID()
	p.CreateAt = s.now()
	p.UpdateAt = p.CreateAt
	p.DeleteAt = 0
	var err error
	if key := s.idempotentRequest(k, p.ID); key != nil {
		err = s.store.CreatePlaybookOnce(ctx, *key, p)
	} else {
		err = s.store.CreatePlaybook(ctx, p)
	}
	if err != nil {
		return Playbook{}, err
	}
	s.warnWebhooksUnsent(p)
	return p, nil
}

// Playbook returns a playbook, archived or not. ENotFound, EForbidden.
func (s *Service) Playbook(ctx context.Context, a Actor, id string) (Playbook, error) {
	if err := checkOwnID("id", id); err != nil {
		return Playbook{}, err
	}
	p, err := s.store.Playbook(ctx, id)
	if err != nil {
		return Playbook{}, err
	}
	if err := a.checkTeam(p.TeamID); err != nil {
		return Playbook{}, err
	}
	return p, nil
}

// UpdatePlaybook replaces every field of a playbook with those of p (a full
// update); its ID, team, creation and archive time are kept. Runs already
// created from it are not touched.
func (s *Service) UpdatePlaybook(ctx context.Context, a Actor, id string, p Playbook) (Playbook, error) {
	if err := checkOwnID("id", id); err != nil {
		return Playbook{}, err
	}
	if p.ID != "" && p.ID != id {
		return Playbook{}, FieldErrorf("id", "id in the body (%s) differs from the one in the path (%s)", p.ID, id)
	}
	if err := s.preparePlaybook(&p); err != nil {
		return Playbook{}, err
	}
	updated, err := s.store.UpdatePlaybook(ctx, id, func(old *Playbook) error {
		if err := a.checkTeam(old.TeamID); err != nil {
			return err
		}
		if p.TeamID != old.TeamID {
			return FieldErrorf("team_id", "a playbook cannot move to another team (it is in %s)", old.TeamID)
		}
		p.ID, p.CreateAt, p.DeleteAt = old.ID, old.CreateAt, old.DeleteAt
		p.UpdateAt = s.now()
		*old = p
		return nil
	})
	if err != nil {
		return Playbook{}, err
	}
	s.warnWebhooksUnsent(updated)
	return updated, nil
}

// warnWebhooksUnsent logs at WARN that p, just saved, has a webhook
// enabled that will fail unsent, when no webhook can be sent: the moment
// the missing secret starts to matter. The playbook is saved all the
// same: the API it answers is Mattermost's, which has no warnings, and a
// secret set before the first run starts makes the webhooks work.
func (s *Service) warnWebhooksUnsent(p Playbook) {
	if !s.webhooksUnsent || !(p.WebhookOnCreationEnabled || p.WebhookOnStatusUpdateEnabled) || p.DeleteAt != 0 {
		return
	}
	s.log.Warn("playbook has a webhook, but PLAYBOOKS_WEBHOOK_SECRET is not set: its webhooks will fail without being sent",
		"playbook_id", p.ID, "team_id", p.TeamID)
}

// ArchivePlaybook archives a playbook: it disappears from lists unless
// archived ones are asked for, and no new run can start from it.
func (s *Service) ArchivePlaybook(ctx context.Context, a Actor, id string) error {
	if err := checkOwnID("id", id); err != nil {
		return err
	}
	_, err := s.store.UpdatePlaybook(ctx, id, func(p *Playbook) error {
		if err := a.checkTeam(p.TeamID); err != nil {
			return err
		}
		if p.DeleteAt == 0 {
			p.DeleteAt = s.now()
		}
		return nil
	})
	return err
}

// ListPlaybooks returns one page of a team's playbooks.
func (s *Service) ListPlaybooks(ctx context.Context, a Actor, f PlaybookFilter) (PlaybookList, error) {
	if err := s.checkChatID("team_id", f.TeamID); err != nil {
		return PlaybookList{}, err
	}
	if err := a.checkTeam(f.TeamID); err != nil {
		return PlaybookList{}, err
	}
	var err error
	if f.PerPage, err = checkPage(f.Page, f.PerPage); err != nil {
		return PlaybookList{}, err
	}
	switch f.Sort {
	case "":
		f.Sort = PlaybookSortTitle
	case PlaybookSortTitle, PlaybookSortStages, PlaybookSortSteps:
	default:
		return PlaybookList{}, FieldErrorf("sort", "sort must be title, stages or steps, got %q", f.Sort)
	}
	if f.Direction, err = checkDirection(f.Direction, "asc"); err != nil {
		return PlaybookList{}, err
	}
	l, err := s.store.ListPlaybooks(ctx, f)
	l.Items = nonNil(l.Items)
	return l, err
}

// AutoFollows lists the users who follow every new run of the playbook.
func (s *Service) AutoFollows(ctx context.Context, a Actor, id string) (Autofollows, error) {
	if _, err := s.Playbook(ctx, a, id); err != nil {
		return Autofollows{}, err
	}
	ids, err := s.store.AutoFollows(ctx, id)
	if err != nil {
		return Autofollows{}, err
	}
	return Autofollows{TotalCount: len(ids), Items: nonNil(ids)}, nil
}

// SetAutoFollow makes a user follow (or stop following) a playbook.
func (s *Service) SetAutoFollow(ctx context.Context, a Actor, id, userID string, follow bool) error {
	if err := s.checkChatID("user_id", userID); err != nil {
		return err
	}
	if _, err := s.Playbook(ctx, a, id); err != nil {
		return err
	}
	return s.store.SetAutoFollow(ctx, id, userID, follow)
}

// preparePlaybook validates p and fills in what the server derives: IDs of
// checklists and items, stage and step counts, empty lists for nil ones.
func (s *Service) preparePlaybook(p *Playbook) error {
	if err := checkTitle("title", p.Title); err != nil {
		return err
	}
	if err := checkText("description", p.Description, MaxTextLen); err != nil {
		return err
	}
	if err := s.checkChatID("team_id", p.TeamID); err != nil {
		return err
	}
	if p.Checklists == nil {
		return FieldErrorf("checklists", "checklists is required (it may be an empty list)")
	}
	if err := s.prepareChecklists(p.Checklists); err != nil {
		return err
	}
	for field, ids := range map[string][]string{
		"member_ids": p.MemberIDs, "broadcast_channel_ids": p.BroadcastChannelIDs,
		"invited_user_ids": p.InvitedUserIDs,
	} {
		if err := s.checkChatIDs(field, ids); err != nil {
			return err
		}
	}
	for field, id := range map[string]string{
		"default_owner_id": p.DefaultOwnerID, "announcement_channel_id": p.AnnouncementChannelID,
	} {
		if id != "" {
			if err := s.checkChatID(field, id); err != nil {
				return err
			}
		}
	}
	if p.DefaultOwnerEnabled && p.DefaultOwnerID == "" {
		return FieldErrorf("default_owner_id", "default_owner_id is required when default_owner_enabled is true")
	}
	if p.AnnouncementChannelEnabled && p.AnnouncementChannelID == "" {
		return FieldErrorf("announcement_channel_id", "announcement_channel_id is required when announcement_channel_enabled is true")
	}
	for field, u := range map[string]string{
		"webhook_on_creation_url": p.WebhookOnCreationURL, "webhook_on_status_update_url": p.WebhookOnStatusUpdateURL,
	} {
		if err := checkWebhookURL(field, u); err != nil {
			return err
		}
	}
	if p.WebhookOnCreationEnabled && p.WebhookOnCreationURL == "" {
		return FieldErrorf("webhook_on_creation_url", "webhook_on_creation_url is required when webhook_on_creation_enabled is true")
	}
	if p.WebhookOnStatusUpdateEnabled && p.WebhookOnStatusUpdateURL == "" {
		return FieldErrorf("webhook_on_status_update_url", "webhook_on_status_update_url is required when webhook_on_status_update_enabled is true")
	}
	p.MemberIDs = dedupe(p.MemberIDs)
	p.BroadcastChannelIDs = dedupe(p.BroadcastChannelIDs)
	p.InvitedUserIDs = dedupe(p.InvitedUserIDs)
	p.NumStages = int64(len(p.Checklists))
	p.NumSteps = 0
	for _, c := range p.Checklists {
		p.NumSteps += int64(len(c.Items))
	}
	return nil
}

// prepareChecklists validates checklists and gives every checklist and item
// a fresh ID; states and timestamps start over. The limits are those of a
// run, since every run copies them.
func (s *Service) prepareChecklists(cs []Checklist) error {
	items := 0
	for _, c := range cs {
		items += len(c.Items)
	}
	// Counts first, cheaply, before any item is looked at.
	if len(cs) > MaxChecklists || items > MaxItems {
		return checkChecklists("playbook", "checklists", cs, nil)
	}
	for i := range cs {
		c := &cs[i]
		if err := checkTitle("checklists.title", c.Title); err != nil {
			return err
		}
		if len(c.Items) > MaxItemsPerList {
			return FieldErrorf("checklists.items", "checklist %d has %d items; at most %d are allowed (limit: items per checklist)", i, len(c.Items), MaxItemsPerList)
		}
		c.ID = s.newID()
		c.Items = nonNil(c.Items)
		for j := range c.Items {
			it := &c.Items[j]
			if err := checkItem(it); err != nil {
				return err
			}
			*it = ChecklistItem{ID: s.newID(), Title: it.Title, Command: it.Command, Description: it.Description, DueDate: it.DueDate}
		}
	}
	return checkChecklists("playbook", "checklists", cs, nil)
}

// checkItem validates an item's texts.
func checkItem(it *ChecklistItem) error {
	if err := checkTitle("title", it.Title); err != nil {
		return err
	}
	if err := checkText("command", it.Command, MaxCommandLen); err != nil {
		return err
	}
	if it.Command != "" && it.Command[0] != '/' {
		return FieldErrorf("command", "command must be a slash command starting with /, got %q", it.Command)
	}
	if err := checkDueDate("due_date", it.DueDate); err != nil {
		return err
	}
	return checkText("description", it.Description, MaxTextLen)
}

// checkWebhookURL validates an optional absolute http(s) URL.
func checkWebhookURL(field, u string) error {
	if u == "" {
		return nil
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return FieldErrorf(field, "%s must be an absolute http or https URL, got %q", field, u)
	}
	return checkText(field, u, 2048)
}

// dedupe returns ids without repeats, in first-seen order, never nil.
func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
