package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// visibilityFixture is a team with a private run (owned by carol, alice
// in its channel), a public run and a run with no channel (both alice's),
// and actors for alice, bob (in the team, in no run channel) and an admin.
type visibilityFixture struct {
	svc                     *bot.Service
	chat                    *chattest.Members
	team                    string
	alice, bob, carol       bot.Actor
	admin                   bot.Actor
	private, public, noChat bot.Run
}

func newVisibilityFixture(t *testing.T, kind string) *visibilityFixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, kind)
	f := &visibilityFixture{chat: chattest.NewMembers(nil), team: bot.NewID()}
	f.svc = bot.NewService(bot.Config{Store: db, Chat: f.chat})
	user := func() bot.Actor { return bot.Actor{UserID: bot.NewID(), TeamIDs: []string{f.team}} }
	f.alice, f.bob, f.carol = user(), user(), user()
	f.admin = bot.Actor{UserID: bot.NewID(), Admin: true}
	playbook := func(public bool) bot.Playbook {
		pb, err := f.svc.CreatePlaybook(ctx, f.admin, bot.Playbook{Title: "P", TeamID: f.team, CreatePublicPlaybookRun: public,
			Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page"}, {Title: "Fix"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return pb
	}
	priv, pub := playbook(false), playbook(true)
	var err error
	if f.private, err = f.svc.CreateRun(ctx, f.alice, bot.NewRun{Name: "Secret", PlaybookID: priv.ID, OwnerUserID: f.carol.UserID}); err != nil {
		t.Fatal(err)
	}
	if f.public, err = f.svc.CreateRun(ctx, f.alice, bot.NewRun{Name: "Open", PlaybookID: pub.ID}); err != nil {
		t.Fatal(err)
	}
	// A run started where no chat platform is configured has no channel.
	if f.noChat, err = bot.NewService(bot.Config{Store: db}).CreateRun(ctx, f.alice, bot.NewRun{Name: "Plain", PlaybookID: priv.ID}); err != nil {
		t.Fatal(err)
	}
	if f.private.ChannelID == "" || f.private.Public || f.noChat.ChannelID != "" {
		t.Fatalf("fixture: private run %+v, channel-less run %+v", f.private, f.noChat)
	}
	return f
}

// TestVisibilityRule checks every read of the core for a private run: an
// outsider of its channel, even one who takes part in it, sees it nowhere
// (not by ID, channel, list, count, channel list, owners, metadata,
// export or autocomplete) and cannot change it; a channel member and an
// admin see it; public and channel-less runs stay visible to the team.
func TestVisibilityRule(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newVisibilityFixture(t, kind)
			// bob takes part in the private run (an item of his), then leaves its channel.
			if _, added, err := f.svc.SetItemAssignee(ctx, f.alice, f.private.ID, 0, 0, f.bob.UserID); err != nil || !added {
				t.Fatalf("assign bob: added %v, %v", added, err)
			}
			f.chat.Set(f.private.ChannelID, f.bob.UserID, false)

			type sees struct {
				byID, byChannel bool
				// lists: the whole team, "me" as participant, carol's
				// (the private run's owner), in progress named with an "e".
				team, mine, carols, searched []string
				owners                       []string
			}
			all := []string{f.noChat.ID, f.public.ID, f.private.ID}
			for _, tt := range []struct {
				name  string
				actor bot.Actor
				want  sees
			}{
				{"outsider taking part", f.bob, sees{team: []string{f.noChat.ID, f.public.ID},
					searched: []string{f.public.ID}, owners: []string{f.alice.UserID}}},
				{"channel member", f.alice, sees{byID: true, byChannel: true, team: all, mine: all, carols: []string{f.private.ID},
					searched: []string{f.public.ID, f.private.ID}, owners: sortedIDs(f.alice.UserID, f.carol.UserID)}},
				{"admin", f.admin, sees{byID: true, byChannel: true, team: all, carols: []string{f.private.ID},
					searched: []string{f.public.ID, f.private.ID}, owners: sortedIDs(f.alice.UserID, f.carol.UserID)}},
			} {
				t.Run(tt.name, func(t *testing.T) {
					a := tt.actor
					wantErr := func(what string, err error, visible bool, hidden string) {
						t.Helper()
						if visible && err != nil {
							t.Errorf("%s: %v, want it seen", what, err)
						}
						if !visible && bot.ErrorCode(err) != hidden {
							t.Errorf("%s: error %v, want %s", what, err, hidden)
						}
					}
					_, err := f.svc.Run(ctx, a, f.private.ID)
					wantErr("Run", err, tt.want.byID, bot.EForbidden)
					_, err = f.svc.RunMetadata(ctx, a, f.private.ID)
					wantErr("RunMetadata", err, tt.want.byID, bot.EForbidden)
					_, err = f.svc.ExportRunTimeline(ctx, a, f.private.ID, bot.FormatCSV)
					wantErr("ExportRunTimeline", err, tt.want.byID, bot.EForbidden)
					_, err = f.svc.RunByChannel(ctx, a, f.private.ChannelID)
					wantErr("RunByChannel", err, tt.want.byChannel, bot.ENotFound)
					_, err = f.svc.ChecklistAutocomplete(ctx, a, f.private.ChannelID)
					wantErr("ChecklistAutocomplete", err, tt.want.byChannel, bot.ENotFound)

					for _, l := range []struct {
						filter bot.RunFilter
						want   []string
					}{
						{bot.RunFilter{TeamID: f.team}, tt.want.team},
						{bot.RunFilter{TeamID: f.team, ParticipantID: "me"}, tt.want.mine},
						{bot.RunFilter{TeamID: f.team, OwnerID: f.carol.UserID}, tt.want.carols},
						{bot.RunFilter{TeamID: f.team, Statuses: []string{bot.StatusInProgress}, SearchTerm: "e"}, tt.want.searched},
					} {
						got, err := f.svc.ListRuns(ctx, a, l.filter)
						if err != nil {
							t.Fatal(err)
						}
						if ids := sortedIDs(runIDsOf(got.Items)...); !cmp.Equal(ids, sortedIDs(l.want...)) || got.TotalCount != len(l.want) {
							t.Errorf("ListRuns %+v: %v (total_count %d), want %v", l.filter, ids, got.TotalCount, sortedIDs(l.want...))
						}
					}
					chans, err := f.svc.RunChannels(ctx, a, bot.RunFilter{TeamID: f.team})
					if err != nil {
						t.Fatal(err)
					}
					if slices.Contains(chans, f.private.ChannelID) != tt.want.byID || !slices.Contains(chans, f.public.ChannelID) {
						t.Errorf("RunChannels: %v; private channel %s listed %v, want %v", chans, f.private.ChannelID,
							slices.Contains(chans, f.private.ChannelID), tt.want.byID)
					}
					owners, err := f.svc.RunOwners(ctx, a, f.team)
					if err != nil {
						t.Fatal(err)
					}
					var ownerIDs []string
					for _, o := range owners {
						ownerIDs = append(ownerIDs, o.UserID)
					}
					if diff := cmp.Diff(tt.want.owners, ownerIDs); diff != "" {
						t.Errorf("RunOwners (-want +got):\n%s", diff)
					}
				})
			}

			// Who may not see a run may not change it either; nothing changes.
			if _, err := f.svc.SetItemState(ctx, f.bob, f.private.ID, 0, 1, bot.ItemClosed); bot.ErrorCode(err) != bot.EForbidden {
				t.Errorf("outsider changes the private run: %v, want EForbidden", err)
			}
			if _, _, err := f.svc.ChangeOwner(ctx, f.bob, f.private.ID, f.bob.UserID); bot.ErrorCode(err) != bot.EForbidden {
				t.Errorf("outsider makes himself owner: %v, want EForbidden", err)
			}
			if f.chat.IsMember(f.private.ChannelID, f.bob.UserID) {
				t.Error("an outsider's refused owner change added him to the channel")
			}
			r, err := f.svc.Run(ctx, f.admin, f.private.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Checklists[0].Items[1].State != bot.ItemOpen || r.OwnerUserID != f.carol.UserID {
				t.Errorf("after refused changes: item %q, owner %s", r.Checklists[0].Items[1].State, r.OwnerUserID)
			}

			// An admin's reads never ask the chat platform.
			before := f.chat.Asked()
			if _, err := f.svc.ListRuns(ctx, f.admin, bot.RunFilter{TeamID: f.team}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Run(ctx, f.admin, f.private.ID); err != nil {
				t.Fatal(err)
			}
			if n := f.chat.Asked() - before; n != 0 {
				t.Errorf("admin reads asked the chat platform %d times, want 0", n)
			}
		})
	}
}

// TestVisibilityPaging: with private runs hidden, pages and total_count
// count only what the actor sees.
func TestVisibilityPaging(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newVisibilityFixture(t, kind)
			pb := f.private.PlaybookID
			// Four more private runs: bob is in the channels of two.
			for i := range 4 {
				r, err := f.svc.CreateRun(ctx, f.alice, bot.NewRun{Name: "More", PlaybookID: pb})
				if err != nil {
					t.Fatal(err)
				}
				if i%2 == 0 {
					if err := f.chat.AddChannelMember(ctx, r.ChannelID, f.bob.UserID); err != nil {
						t.Fatal(err)
					}
				}
			}
			// bob sees the public run, the channel-less one and two of the new: 4 of 7.
			var seen []string
			for page := 0; ; page++ {
				l, err := f.svc.ListRuns(ctx, f.bob, bot.RunFilter{TeamID: f.team, Page: page, PerPage: 3})
				if err != nil {
					t.Fatal(err)
				}
				if l.TotalCount != 4 || l.PageCount != 2 {
					t.Fatalf("page %d: total %d, pages %d; want 4, 2", page, l.TotalCount, l.PageCount)
				}
				seen = append(seen, runIDsOf(l.Items)...)
				if !l.HasMore {
					break
				}
			}
			if len(seen) != 4 || slices.Contains(seen, f.private.ID) {
				t.Errorf("bob's pages hold %v, want 4 runs without %s", seen, f.private.ID)
			}
		})
	}
}

// TestOwnerAndAssigneeJoinPrivateChannel: owner and assign on a private
// run add a user who is not in its channel, and say so; when the platform
// refuses, nothing changes and the error says why.
func TestOwnerAndAssigneeJoinPrivateChannel(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newVisibilityFixture(t, kind)
			ch := f.private.ChannelID

			r, added, err := f.svc.ChangeOwner(ctx, f.alice, f.private.ID, f.bob.UserID)
			if err != nil || !added || r.OwnerUserID != f.bob.UserID || !f.chat.IsMember(ch, f.bob.UserID) {
				t.Fatalf("owner bob: added %v, owner %s, member %v, %v", added, r.OwnerUserID, f.chat.IsMember(ch, f.bob.UserID), err)
			}
			if _, err := f.svc.Run(ctx, f.bob, f.private.ID); err != nil {
				t.Errorf("the new owner cannot see his run: %v", err)
			}
			// Already in the channel: nothing to add.
			if _, added, err := f.svc.SetItemAssignee(ctx, f.alice, f.private.ID, 0, 0, f.bob.UserID); err != nil || added {
				t.Errorf("assign bob, a member now: added %v, %v", added, err)
			}
			// A public run's channel is open to the team: nobody is added.
			dave := bot.NewID()
			if _, added, err := f.svc.ChangeOwner(ctx, f.alice, f.public.ID, dave); err != nil || added || f.chat.IsMember(f.public.ChannelID, dave) {
				t.Errorf("owner of a public run: added %v, %v", added, err)
			}
			// A bad item index is refused before anyone is added.
			erin := bot.NewID()
			if _, _, err := f.svc.SetItemAssignee(ctx, f.alice, f.private.ID, 0, 9, erin); bot.ErrorCode(err) != bot.EInvalid || f.chat.IsMember(ch, erin) {
				t.Errorf("assign item 0 9: %v, erin member %v; want EInvalid, not added", err, f.chat.IsMember(ch, erin))
			}
			if _, added, err := f.svc.SetItemAssignee(ctx, f.alice, f.private.ID, 0, 1, erin); err != nil || !added || !f.chat.IsMember(ch, erin) {
				t.Errorf("assign erin: added %v, member %v, %v", added, f.chat.IsMember(ch, erin), err)
			}
			// An item added with an assignee (the REST add body) adds them too.
			frank := bot.NewID()
			if _, err := f.svc.AddItem(ctx, f.alice, f.private.ID, 0, bot.ChecklistItem{Title: "Call", AssigneeID: frank}); err != nil || !f.chat.IsMember(ch, frank) {
				t.Errorf("add item assigned to frank: member %v, %v", f.chat.IsMember(ch, frank), err)
			}

			// The platform refuses: the change is refused with its reason.
			before, err := f.svc.Run(ctx, f.admin, f.private.ID)
			if err != nil {
				t.Fatal(err)
			}
			f.chat.Refuse("they are not in the channel's team")
			gina := bot.NewID()
			for name, change := range map[string]func() error{
				"owner": func() error { _, _, err := f.svc.ChangeOwner(ctx, f.alice, f.private.ID, gina); return err },
				"assign": func() error {
					_, _, err := f.svc.SetItemAssignee(ctx, f.alice, f.private.ID, 0, 1, gina)
					return err
				},
				"add assigned": func() error {
					_, err := f.svc.AddItem(ctx, f.alice, f.private.ID, 0, bot.ChecklistItem{Title: "X", AssigneeID: gina})
					return err
				},
			} {
				err := change()
				if bot.ErrorCode(err) != bot.EForbidden || !strings.Contains(bot.ErrorMessage(err), "they are not in the channel's team") ||
					!strings.Contains(bot.ErrorMessage(err), "not in this private run's channel") || !strings.Contains(bot.ErrorMessage(err), "Nothing was changed") {
					t.Errorf("%s refused by the platform: %v (%s)", name, err, bot.ErrorMessage(err))
				}
			}
			after, err := f.svc.Run(ctx, f.admin, f.private.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("refused changes changed the run (-before +after):\n%s", diff)
			}
		})
	}
}

func runIDsOf(runs []bot.Run) []string {
	ids := []string{}
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

func sortedIDs(ids ...string) []string {
	return append([]string{}, slices.Sorted(slices.Values(ids))...)
}
