package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// A message a change owes to chat (a status update, in the run's channel
// and its broadcast channels; a new run's announcement) is a JobPost job
// written in the change's own transaction, held by the Service that made
// the change: it posts the message right after the commit (sendPosts) and
// records the outcome. A post that fails (the platform is down, or
// rate-limits the bot) is retried by a dispatcher, no sooner than the
// platform asked; a replica that dies before posting leaves the job to
// the dispatchers once its lease ends. No message is dropped.

// postTimeout bounds the post a Service makes right after a commit.
const postTimeout = 10 * time.Second

// postLease is how long the Service holds the JobPost jobs of its change:
// longer than postTimeout plus the write of the outcome, so that no
// dispatcher takes a job over while the Service may still post it.
const postLease = 30 * time.Second

// postRetryAfter is the earliest retry of a post that failed without the
// platform saying when to try again.
const postRetryAfter = time.Second

// postJobs returns the JobPost jobs that post message in each of
// channelIDs ("" skipped) on r's platform, in order, held by s until
// now + postLease.
func (s *Service) postJobs(r Run, message string, now int64, channelIDs ...string) ([]Job, error) {
	var jobs []Job
	for i, ch := range channelIDs {
		if ch == "" {
			continue
		}
		payload, err := json.Marshal(PostJob{Platform: r.Platform, ChannelID: ch, Message: message})
		if err != nil {
			return nil, fmt.Errorf("post job of run %s: %w", r.ID, err)
		}
		jobs = append(jobs, Job{
			ID: s.newID(), Kind: JobPost, RunID: r.ID, Payload: string(payload), CreateAt: now,
			// In order: a dispatcher that takes them over claims the
			// oldest due first.
			DueAt:      now + int64(i),
			ClaimedBy:  s.owner,
			LeaseUntil: now + postLease.Milliseconds(),
		})
	}
	return jobs, nil
}

// sendPosts makes the first attempt at jobs, JobPost jobs of a change just
// committed and held by s, one after the other, and records each outcome:
// done, or released to the dispatchers, due again when the platform asked
// (RetryAfter) or after postRetryAfter. An outcome that cannot be
// recorded leaves the job to its lease.
func (s *Service) sendPosts(ctx context.Context, jobs []Job) {
	ctx = context.WithoutCancel(ctx)
	for _, j := range jobs {
		var p PostJob
		if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
			s.log.Error("post job with an invalid payload", "job_id", j.ID, "run_id", j.RunID, "error", err)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, postTimeout)
		err := s.postMessage(pctx, p)
		cancel()
		now := s.clock()
		if err == nil {
			err = s.store.CompleteJob(ctx, j.ID, s.owner, now.UnixMilli())
			if err != nil {
				s.log.Error("record message posted", "job_id", j.ID, "run_id", j.RunID, "error", err)
			}
			continue
		}
		after := max(postRetryAfter, RetryAfter(err))
		s.log.Warn("post message: retried later", "job_id", j.ID, "run_id", j.RunID, "channel_id", p.ChannelID,
			"retry_in", after, "error", err)
		if err := s.store.RetryJob(ctx, j.ID, s.owner, now.Add(after).UnixMilli(), err.Error()); err != nil {
			s.log.Error("release message to retry", "job_id", j.ID, "run_id", j.RunID, "error", err)
		}
	}
}

// postMessage posts a JobPost job's message.
func (s *Service) postMessage(ctx context.Context, p PostJob) error {
	if _, err := s.chatFor(p.Platform).Post(ctx, p.ChannelID, p.Message); err != nil {
		return fmt.Errorf("post in channel %s: %w", p.ChannelID, err)
	}
	return nil
}
