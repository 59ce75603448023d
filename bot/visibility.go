package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Who may see a run. One rule, applied here in the core by every read,
// lookup and list (REST by ID and by channel, lists and their counts,
// owners, channel lists, metadata, the details page with a token, timeline
// exports, checklist autocomplete and dialog lookups, chat commands) and
// by every change:
//
//   - an admin sees every run;
//   - anyone else sees only the runs of their teams (Actor.CanTeam), and of
//     those a private run (not Public, with a channel) only while they are
//     a member of its channel, as the chat platform says now;
//   - public runs, and runs with no channel (a server with no chat
//     platform), are seen by everyone of their team.
//
// It depends only on Actor.UserID and Actor.Admin, never on what
// authenticated the caller: our own tokens, Mattermost tokens and chat
// users are held to the same rule. Taking part in a run (as its owner, an
// assignee, a reporter) grants nothing: ChangeOwner and SetItemAssignee
// add the user to the channel instead (see admitToChannel).
//
// The one other way in is a signed details link (RunForLink): whoever holds
// a valid one may read that one run's page until it expires, as a bearer
// permission of its own, whatever channels they are in.

// visible reports whether a non-admin actor of the run's team may see the
// run: it is public, has no channel, or has the actor in its channel.
func (s *Service) visible(ctx context.Context, a Actor, r Run) (bool, error) {
	if a.Admin || r.Public || r.ChannelID == "" {
		return true, nil
	}
	in, err := s.inChannel(ctx, a.UserID, r)
	if err != nil {
		return false, fmt.Errorf("check membership of %s in channel %s of run %s: %w", a.UserID, r.ChannelID, r.ID, err)
	}
	return in, nil
}

// inChannel reports whether userID is a member of the run's channel.
func (s *Service) inChannel(ctx context.Context, userID string, r Run) (bool, error) {
	in, err := s.chatFor(r.Platform).MemberChannels(ctx, userID, []string{r.ChannelID})
	if err != nil {
		return false, unanswered(ctx, err)
	}
	return slices.Contains(in, r.ChannelID), nil
}

// errMembersUnknown is what a caller is told when the chat platform could
// not say who is in a private run's channel.
var errMembersUnknown = Errorf(EUnavailable, "the chat platform cannot say right now who is in the run's channel, which decides who may see a private run: try again shortly")

// unanswered is err, a chat platform's failure to answer MemberChannels
// (which, doubt counting as "not in", fails only when the platform could
// not answer at all: down, unreachable, overloaded), as the caller sees
// it: EUnavailable, to retry shortly as after a database outage, rather
// than an internal error. An error the platform gave a code of its own
// (a rate limit with its RetryAfter) keeps it, and one of a caller that
// gave up (ctx) stays as it is.
func unanswered(ctx context.Context, err error) error {
	if ctx.Err() != nil || ErrorCode(err) != EInternal {
		return err
	}
	return fmt.Errorf("%w: %w", errMembersUnknown, err)
}

// checkRun returns EForbidden when the actor may not see or change the run:
// another team's, or a private run whose channel they are not in.
func (s *Service) checkRun(ctx context.Context, a Actor, r Run) error {
	if err := a.checkTeam(r.TeamID); err != nil {
		return err
	}
	ok, err := s.visible(ctx, a, r)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EForbidden, "run %s is private to its channel, and you are not in it", r.ID)
	}
	return nil
}

// withVisibility returns f restricted to the runs the actor may see: for
// anyone but an admin, the private runs matching f are looked up, their
// channels asked of each chat platform (one question per platform, whose
// adapter bounds its own concurrency), and only those with the actor in
// them kept, so that the store filters, pages and counts in SQL.
func (s *Service) withVisibility(ctx context.Context, a Actor, f RunFilter) (RunFilter, error) {
	f.OnlyVisible, f.VisibleChannelIDs = false, nil
	if a.Admin {
		return f, nil
	}
	chans, err := s.store.PrivateRunChannels(ctx, f)
	if err != nil {
		return f, err
	}
	byPlatform := map[string][]string{}
	for _, c := range chans {
		byPlatform[c.Platform] = append(byPlatform[c.Platform], c.ChannelID)
	}
	visible := []string{}
	for _, platform := range slices.Sorted(maps.Keys(byPlatform)) {
		asked := byPlatform[platform]
		in, err := s.chatFor(platform).MemberChannels(ctx, a.UserID, asked)
		if err != nil {
			return f, fmt.Errorf("check which of %d private run channels %s is in: %w", len(asked), a.UserID, unanswered(ctx, err))
		}
		for _, id := range in {
			if slices.Contains(asked, id) { // only what was asked: a platform cannot widen the list
				visible = append(visible, id)
			}
		}
	}
	slices.Sort(visible)
	f.OnlyVisible, f.VisibleChannelIDs = true, slices.Compact(visible)
	return f, nil
}

// admitToChannel makes sure that userID, about to own the run id or be
// assigned one of its items, can see it: when the run is private and the
// user is not in its channel, the user is added to the channel, and it
// reports true.
//
// Adding rather than refusing is the choice made for issue 8: whoever owns
// a run or an item must be able to open it and read the reminders that
// mention them, and the actor (who must see the run, so is in the channel
// or an admin) could add them by hand anyway. When the chat platform
// refuses the addition (the user is not in the team, is deactivated, the
// bot lost its rights), the change is refused with the platform's reason
// and nothing is changed: no owner or assignee who cannot see the run. The
// addition comes first, outside the run's lock; should the change itself
// then fail, the user stays in the channel, which grants nothing the
// actor could not have granted.
//
// valid, when not nil, checks the change's own arguments against the run
// (an item index) before anyone is added.
func (s *Service) admitToChannel(ctx context.Context, a Actor, id, userID string, valid func(*Run) error) (bool, error) {
	r, err := s.store.RunState(ctx, id)
	if err != nil {
		return false, err
	}
	if err := s.checkRun(ctx, a, r); err != nil {
		return false, err
	}
	if valid != nil {
		if err := valid(&r); err != nil {
			return false, err
		}
	}
	if r.Public || r.ChannelID == "" {
		return false, nil
	}
	in, err := s.inChannel(ctx, userID, r)
	if err != nil {
		return false, fmt.Errorf("check membership of %s in channel %s of run %s: %w", userID, r.ChannelID, r.ID, err)
	}
	if in {
		return false, nil
	}
	if err := s.chatFor(r.Platform).AddChannelMember(ctx, r.ChannelID, userID); err != nil {
		if code := ErrorCode(err); code != EInternal {
			return false, Errorf(code, "%s is not in this private run's channel and could not be added to it: %s. Nothing was changed.",
				s.username(ctx, r.Platform, userID), ErrorMessage(err))
		}
		return false, fmt.Errorf("add %s to channel %s of private run %s: %w", userID, r.ChannelID, r.ID, err)
	}
	return true, nil
}
