package commands_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// memberChat keeps channel memberships, so that private runs are private.
type memberChat struct {
	fakeChat
	mu      sync.Mutex
	members map[string]map[string]bool
	refuse  string // when set, AddChannelMember is refused with this reason
	users   users  // who User names
}

func (c *memberChat) User(ctx context.Context, id string) (bot.User, error) {
	return c.users.User(ctx, id)
}

func (c *memberChat) CreateChannel(_ context.Context, nc bot.NewChannel) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := bot.NewID()
	c.members[id] = map[string]bool{}
	for _, m := range nc.MemberIDs {
		c.members[id][m] = true
	}
	return id, nil
}

func (c *memberChat) MemberChannels(_ context.Context, userID string, ids []string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var in []string
	for _, id := range ids {
		if c.members[id][userID] {
			in = append(in, id)
		}
	}
	return in, nil
}

func (c *memberChat) AddChannelMember(_ context.Context, channelID, userID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refuse != "" {
		return bot.Errorf(bot.EForbidden, "%s", c.refuse)
	}
	c.members[channelID][userID] = true
	return nil
}

func (c *memberChat) set(channelID, userID string, in bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.members[channelID][userID] = in
}

func (c *memberChat) isMember(channelID, userID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.members[channelID][userID]
}

// TestPrivateRunCommands: owner and assign on a private run add a user who
// is not in its channel and say so, or say why they cannot and change
// nothing; a participant outside the channel finds the run in no list
// and no lookup.
func TestPrivateRunCommands(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			u := users{}
			for _, name := range []string{"alice", "bob", "carol", "dan", "erin"} {
				u[name] = bot.User{ID: bot.NewID(), Username: name}
			}
			chat := &memberChat{members: map[string]map[string]bool{}, users: u}
			svc := bot.NewService(bot.Config{Store: storetest.Open(t, kind), Chat: chat})
			team := bot.NewID()
			d := commands.NewDispatcher(svc).WithUsers(u)
			actor := func(name string) bot.Actor { return bot.Actor{UserID: u[name].ID, TeamIDs: []string{team}} }
			pb, err := svc.CreatePlaybook(ctx, actor("alice"), bot.Playbook{Title: "Incident", TeamID: team,
				Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page on-call"}, {Title: "Open a bridge"}}}}})
			if err != nil {
				t.Fatal(err)
			}
			run, err := svc.CreateRun(ctx, actor("alice"), bot.NewRun{Name: "Checkout errors", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			ch := run.ChannelID
			say := func(name, channelID, text string) commands.Response {
				return d.Dispatch(ctx, commands.Request{Actor: actor(name), TeamID: team, ChannelID: channelID, Text: text})
			}

			for _, tc := range []struct{ text, want string }{
				{"owner @bob", "@bob is now the owner of **Checkout errors**. @bob was not in this private run's channel and has been added."},
				{"assign 0 0 @carol", "Assigned **Page on-call** to @carol. @carol was not in this private run's channel and has been added."},
				{"assign 0 1 @bob", "Assigned **Open a bridge** to @bob."},
				{"assign 0 0 @erin", "Assigned **Page on-call** to @erin. @erin was not in this private run's channel and has been added."},
			} {
				if got := say("alice", ch, tc.text); got.Text != tc.want {
					t.Errorf("%s: got %q, want %q", tc.text, got.Text, tc.want)
				}
			}
			for _, name := range []string{"bob", "carol", "erin"} {
				if !chat.isMember(ch, u[name].ID) {
					t.Errorf("%s is not in the run's channel", name)
				}
			}

			// The owner left the channel: owner names him again and adds him back.
			chat.set(ch, u["bob"].ID, false)
			if got, want := say("alice", ch, "owner @bob"), "@bob already owns this run. @bob was not in this private run's channel and has been added."; got.Text != want {
				t.Errorf("owner @bob, the owner, out of the channel: got %q, want %q", got.Text, want)
			}
			if !chat.isMember(ch, u["bob"].ID) {
				t.Error("the owner was not added back to the channel")
			}

			chat.refuse = "they are not in the channel's team"
			for _, text := range []string{"owner @dan", "assign 0 1 @dan"} {
				want := "@dan is not in this private run's channel and could not be added to it: they are not in the channel's team. Nothing was changed."
				if got := say("alice", ch, text); got.Text != want || got.InChannel {
					t.Errorf("%s refused: got %+v, want the ephemeral %q", text, got, want)
				}
			}
			r, err := svc.Run(ctx, actor("alice"), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.OwnerUserID != u["bob"].ID || r.Checklists[0].Items[1].AssigneeID != u["bob"].ID {
				t.Errorf("after refusals: owner %s, item 0 1 assigned to %s; want bob and bob", r.OwnerUserID, r.Checklists[0].Items[1].AssigneeID)
			}

			// erin takes part (item 0 0), then leaves the channel: from
			// another channel she finds nothing of the run.
			chat.set(ch, u["erin"].ID, false)
			elsewhere := bot.NewID()
			if got := say("erin", elsewhere, "list"); strings.Contains(got.Text, "Checkout errors") ||
				!strings.HasPrefix(got.Text, "No runs are in progress in this team.") {
				t.Errorf("erin's list: %q, want no runs", got.Text)
			}
			if got := say("alice", elsewhere, "list"); !strings.Contains(got.Text, "Checkout errors") {
				t.Errorf("alice's list: %q, want the run", got.Text)
			}
			for _, text := range []string{"info", "timeline", "owner"} {
				if got := say("erin", ch, text); strings.Contains(got.Text, "Checkout errors") || strings.Contains(got.Text, "@bob") ||
					!strings.HasPrefix(got.Text, "This command works in a run's channel") {
					t.Errorf("erin's %s in the run's channel, not a member: %q", text, got.Text)
				}
			}
		})
	}
}
