package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// showStripes is the number of showLocks. A refresh holds its run's
// stripe while it waits for the store's lock of the run's post (which
// orders the refreshes of every replica): the refreshes of one run within
// this process then wait here, each a goroutine, instead of each holding a
// database connection while it waits.
const showStripes = 64

// showTimeout bounds the chat call of a refresh: the post lock of the run
// is held meanwhile.
const showTimeout = 10 * time.Second

// showRetryAfter is when a refresh that failed is first retried, by a
// JobShow job, unless the chat platform asked for longer (a rate limit's
// Retry-After); then with the dispatcher's backoff.
const showRetryAfter = time.Second

// refreshPost is one attempt at show; force rewrites the post even when
// it shows the run's latest version.
func (s *Service) refreshPost(ctx context.Context, runID string, force bool) error {
	h := fnv.New32a()
	h.Write([]byte(runID))
	mu := &s.showLocks[h.Sum32()%showStripes]
	mu.Lock()
	defer mu.Unlock()
	_, err := s.store.RefreshPost(ctx, runID, force, func(r Run) (string, error) {
		if r.ChannelID == "" {
			return "", nil
		}
		r.DetailsURL = s.DetailsURL(r) // the post is in the run's channel
		cctx, cancel := context.WithTimeout(ctx, showTimeout)
		defer cancel()
		postID, err := s.chatFor(r.Platform).ShowRun(cctx, r)
		if err != nil {
			return "", fmt.Errorf("show run %s in channel %s: %w", r.ID, r.ChannelID, err)
		}
		return postID, nil
	})
	return err
}

// showLater logs a refresh that failed with err and enqueues a JobShow job
// for the run, unless one is waiting already or the run is gone.
func (s *Service) showLater(ctx context.Context, runID string, err error) {
	if ErrorCode(err) == ENotFound {
		return
	}
	after := max(showRetryAfter, RetryAfter(err))
	s.log.Error("refresh checklist post: retried later", "run_id", runID, "retry_in", after, "error", err)
	now := s.now()
	j := Job{ID: s.newID(), Kind: JobShow, RunID: runID, DueAt: now + after.Milliseconds(), CreateAt: now, Payload: "{}"}
	if _, err := s.store.EnqueueJob(context.WithoutCancel(ctx), j, now); err != nil {
		s.log.Error("enqueue checklist post refresh", "run_id", runID, "error", err)
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

// mention is how a chat message of the platform names a user so that they
// are notified (Chat.Mention): "@name" on Mattermost, "<@U…>" on Slack.
// Text that is not a chat message (a timeline event) names users with
// username instead.
func (s *Service) mention(ctx context.Context, platform, userID string) string {
	return s.chatFor(platform).Mention(ctx, userID)
}

// mentionOfRun is mention on the platform of the run runID.
func (s *Service) mentionOfRun(ctx context.Context, runID, userID string) string {
	platform := ""
	if len(s.platforms) > 1 {
		if r, err := s.store.RunState(ctx, runID); err == nil {
			platform = r.Platform
		}
	}
	return s.mention(ctx, platform, userID)
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
