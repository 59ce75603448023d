package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// userChat is fakeChat naming users as u does.
type userChat struct {
	fakeChat
	u users
}

func (c userChat) User(ctx context.Context, id string) (bot.User, error) { return c.u.User(ctx, id) }

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
			chat := chattest.NewMembers(userChat{u: u})
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
				if !chat.IsMember(ch, u[name].ID) {
					t.Errorf("%s is not in the run's channel", name)
				}
			}

			// The owner left the channel: owner names him again and adds him back.
			chat.Set(ch, u["bob"].ID, false)
			if got, want := say("alice", ch, "owner @bob"), "@bob already owns this run. @bob was not in this private run's channel and has been added."; got.Text != want {
				t.Errorf("owner @bob, the owner, out of the channel: got %q, want %q", got.Text, want)
			}
			if !chat.IsMember(ch, u["bob"].ID) {
				t.Error("the owner was not added back to the channel")
			}

			chat.Refuse("they are not in the channel's team")
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
			chat.Set(ch, u["erin"].ID, false)
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
