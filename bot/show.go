package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
)

// showLocks serializes the refreshes of one run's checklist post within
// this process, so that a slow refresh of an older state cannot overwrite
// a newer one: each refresh re-reads the run under its stripe's lock.
const showStripes = 64

// show brings the run's checklist post up to date with the stored run, or
// posts it when the run has none yet. Failures are logged: the change they
// follow is already committed and must not be reported as failed.
func (s *Service) show(ctx context.Context, runID string) {
	h := fnv.New32a()
	h.Write([]byte(runID))
	mu := &s.showLocks[h.Sum32()%showStripes]
	mu.Lock()
	defer mu.Unlock()

	r, err := s.store.RunState(ctx, runID)
	if err != nil {
		s.log.Error("refresh checklist post", "run_id", runID, "error", err)
		return
	}
	if r.ChannelID == "" {
		return
	}
	r.DetailsURL = s.DetailsURL(r) // the post is in the run's channel
	postID, err := s.chatFor(r.Platform).ShowRun(ctx, r)
	if err != nil {
		s.log.Error("refresh checklist post", "run_id", runID, "channel_id", r.ChannelID, "error", err)
		return
	}
	if postID == "" || postID == r.ChecklistPostID {
		return
	}
	// The first post of the checklist: remember it so later changes rewrite it.
	_, err = s.store.UpdateRun(ctx, runID, func(r *Run) (RunChange, error) {
		r.ChecklistPostID = postID
		return RunChange{}, nil
	})
	if err != nil {
		s.log.Error("record checklist post", "run_id", runID, "post_id", postID, "error", err)
	}
}

// announce posts a message in each channel of the run's platform, logging
// failures.
func (s *Service) announce(ctx context.Context, r Run, message string, channelIDs ...string) {
	chat := s.chatFor(r.Platform)
	for _, ch := range channelIDs {
		if ch == "" {
			continue
		}
		if _, err := chat.Post(ctx, ch, message); err != nil {
			s.log.Error("post to channel", "run_id", r.ID, "channel_id", ch, "error", err)
		}
	}
}

// username is how a user is named in a chat message: @name when the
// platform knows them, else their ID.
func (s *Service) username(ctx context.Context, platform, userID string) string {
	if u, err := s.chatFor(platform).User(ctx, userID); err == nil && u.Username != "" {
		return "@" + u.Username
	}
	return userID
}

// usernameOfRun is username on the platform of the run runID.
func (s *Service) usernameOfRun(ctx context.Context, runID, userID string) string {
	platform := ""
	if len(s.platforms) > 1 {
		if r, err := s.store.RunState(ctx, runID); err == nil {
			platform = r.Platform
		}
	}
	return s.username(ctx, platform, userID)
}

// anyUser looks a user up on the default platform, then on the others.
func (s *Service) anyUser(ctx context.Context, userID string) (User, error) {
	u, err := s.chat.User(ctx, userID)
	for name, c := range s.platforms {
		if err == nil || ErrorCode(err) != ENotFound {
			break
		}
		if name != s.defaultPlatform {
			u, err = c.User(ctx, userID)
		}
	}
	return u, err
}

// statusMessage is a status update as posted in the run's channel and
// broadcast channels.
func statusMessage(r Run, by, message string) string {
	quoted := "> " + strings.ReplaceAll(strings.TrimSpace(message), "\n", "\n> ")
	return fmt.Sprintf("#### Status update: %s\nPosted by %s\n%s", r.Name, by, quoted)
}
