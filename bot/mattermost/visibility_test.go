package mattermost_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestChatVisibility: a user who is not in a private run's channel, though
// assigned one of its items, does not see it in /playbook list from
// another channel; a member does. assign on a private run adds the
// assignee to its channel and says so; owner for a user Mattermost will
// not add is refused with the reason, and nothing changes.
func TestChatVisibility(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, kind)
			alice := bot.Actor{UserID: e.alice.Id, TeamIDs: []string{e.team.Id}}
			priv, err := e.svc.CreateRun(ctx, alice, bot.NewRun{Name: "Secret outage", PlaybookID: e.playbook(t).ID})
			if err != nil {
				t.Fatal(err)
			}
			pub, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{Title: "Open", TeamID: e.team.Id, CreatePublicPlaybookRun: true,
				Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Look"}}}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.CreateRun(ctx, alice, bot.NewRun{Name: "Open outage", PlaybookID: pub.ID}); err != nil {
				t.Fatal(err)
			}
			ch := priv.ChannelID
			if slices.Contains(e.mm.Members(ch), e.erin.Id) {
				t.Fatal("erin is in the private run's channel from the start")
			}

			resp := e.slash(t, e.alice, ch, "assign 0 0 @erin")
			if want := "Assigned **Page the on-call engineer** to @erin. @erin was not in this private run's channel and has been added."; resp.Text != want {
				t.Errorf("assign answered %q, want %q", resp.Text, want)
			}
			if !slices.Contains(e.mm.Members(ch), e.erin.Id) {
				t.Fatalf("erin was not added to the run channel: members %v", e.mm.Members(ch))
			}
			// erin leaves the channel: she still takes part, but sees nothing of it.
			e.mm.RemoveChannelMember(ch, e.erin.Id)
			resp = e.slash(t, e.erin, e.townSquare.Id, "list")
			if !strings.Contains(resp.Text, "Runs in progress (1)") || !strings.Contains(resp.Text, "Open outage") ||
				strings.Contains(resp.Text, "Secret outage") {
				t.Errorf("erin's /playbook list:\n%s\nwant only Open outage", resp.Text)
			}
			resp = e.slash(t, e.alice, e.townSquare.Id, "list")
			if !strings.Contains(resp.Text, "Runs in progress (2)") || !strings.Contains(resp.Text, "Secret outage") {
				t.Errorf("alice's /playbook list:\n%s\nwant both runs", resp.Text)
			}

			// zed is in no team: Mattermost refuses to add him.
			zed := e.mm.AddUser("zed")
			before := e.run(t, ch)
			resp = e.slash(t, e.alice, ch, "owner @zed")
			for _, want := range []string{"@zed is not in this private run's channel and could not be added to it",
				"not a member of the channel's team", "Nothing was changed."} {
				if !strings.Contains(resp.Text, want) {
					t.Errorf("owner @zed answered %q, want it to say %q", resp.Text, want)
				}
			}
			if after := e.run(t, ch); after.OwnerUserID != before.OwnerUserID || len(after.TimelineEvents) != len(before.TimelineEvents) {
				t.Errorf("refused owner change changed the run: owner %s, %d events; want %s, %d",
					after.OwnerUserID, len(after.TimelineEvents), before.OwnerUserID, len(before.TimelineEvents))
			}
			if slices.Contains(e.mm.Members(ch), zed.Id) {
				t.Error("zed is in the channel after a refused owner change")
			}
		})
	}
}

// TestMemberChannels: the bot asks each channel's membership (it cannot
// list another user's channels), more channels than it asks at once; a
// channel it was removed from (403) counts as one the user is not in.
func TestMemberChannels(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLite)
	var asked, want []string
	for i := range 20 {
		members := []string{e.alice.Id}
		if i%3 == 0 {
			members = append(members, e.erin.Id)
		}
		id, err := e.client.CreateChannel(ctx, bot.NewChannel{TeamID: e.team.Id, DisplayName: fmt.Sprint("Run ", i), MemberIDs: members})
		if err != nil {
			t.Fatal(err)
		}
		asked = append(asked, id)
		switch {
		case i == 3:
			e.mm.RemoveChannelMember(id, e.bot.Id) // erin is in it, but the bot can no longer tell
		case i%3 == 0:
			want = append(want, id)
		}
	}
	got, err := e.client.MemberChannels(ctx, e.erin.Id, asked)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("erin's channels: got %v, want %v", got, want)
	}
	if n := e.mm.CountRequests("GET", "/api/v4/channels/"); n < len(asked) {
		t.Errorf("%d membership lookups for %d channels", n, len(asked))
	}
	if !strings.Contains(e.logs.String(), "bot may not read the members of a run channel") {
		t.Error("the channel the bot was removed from was not logged")
	}

	if err := e.client.AddChannelMember(ctx, asked[1], e.erin.Id); err != nil {
		t.Fatal(err)
	}
	if err := e.client.AddChannelMember(ctx, asked[1], e.erin.Id); err != nil {
		t.Errorf("adding a member again: %v, want no error", err)
	}
	if got, _ := e.client.MemberChannels(ctx, e.erin.Id, asked[1:2]); len(got) != 1 {
		t.Errorf("after AddChannelMember: %v, want erin in %s", got, asked[1])
	}
	if err := e.client.AddChannelMember(ctx, asked[1], e.mm.AddUser("zed").Id); bot.ErrorCode(err) != bot.EForbidden {
		t.Errorf("adding a user of no team: %v, want EForbidden", err)
	}
	if err := e.client.AddChannelMember(ctx, asked[1], bot.NewID()); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("adding an unknown user: %v, want ENotFound", err)
	}
}
