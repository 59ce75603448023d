package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// newClient returns a Client of a fresh fake Slack.
func newClient(t *testing.T) (*slack.Client, *slacktest.Server) {
	t.Helper()
	sl := slacktest.New(t, nil)
	signer, err := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := slack.NewClient(slack.Config{BotToken: sl.BotToken, APIURL: sl.URL, Signer: signer,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func TestNewClient(t *testing.T) {
	signer, _ := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), nil)
	for _, tc := range []struct {
		name string
		cfg  slack.Config
	}{
		{"no token", slack.Config{Signer: signer}},
		{"no signer", slack.Config{BotToken: "xoxb-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := slack.NewClient(tc.cfg); err == nil {
				t.Error("got no error")
			}
		})
	}
}

// TestCreateChannel: a taken name gets a suffix; members who cannot be
// invited are skipped.
func TestCreateChannel(t *testing.T) {
	c, sl := newClient(t)
	ctx := context.Background()
	alice, gone := sl.AddUser("alice"), sl.AddUser("gone")
	sl.DeactivateUser(gone.ID)
	sl.AddChannel("outage", sl.BotUserID)
	id, err := c.CreateChannel(ctx, bot.NewChannel{DisplayName: "Outage", Public: true,
		MemberIDs: []string{alice.ID, gone.ID, "U0NOBODY01", sl.BotUserID, alice.ID}})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := sl.Channel(id)
	if !strings.HasPrefix(ch.Name, "outage-") || len(ch.Name) != len("outage-")+5 || ch.Private {
		t.Errorf("channel %+v, want a public outage-xxxxx", ch)
	}
	if want := []string{alice.ID, sl.BotUserID}; fmt.Sprint(ch.Members) != fmt.Sprint(want) {
		t.Errorf("members %v, want %v", ch.Members, want)
	}
}

func TestUserByName(t *testing.T) {
	c, sl := newClient(t)
	ctx := context.Background()
	for range 250 { // more than one users.list page
		sl.AddUser("filler")
	}
	bob := sl.AddUser("bob")
	for _, tc := range []struct{ name, in, want, code string }{
		{"mention", "<@" + bob.ID + ">", bob.ID, ""},
		{"mention with name", "<@" + bob.ID + "|bob>", bob.ID, ""},
		{"ID", bob.ID, bob.ID, ""},
		{"name", "@bob", bob.ID, ""},
		{"display name", "Bob", bob.ID, ""},
		{"unknown", "@nobody", "", bot.ENotFound},
		{"unknown ID", "U0NOBODY01", "", bot.ENotFound},
		{"empty", "@", "", bot.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := c.UserByName(ctx, tc.in)
			if u.ID != tc.want || bot.ErrorCode(err) != tc.code {
				t.Errorf("got %q, %v; want %q, code %q", u.ID, err, tc.want, tc.code)
			}
		})
	}
}

func TestRunCommand(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.RunCommand(context.Background(), "C1", "U1", "/echo hi")
	if bot.ErrorCode(err) != bot.EInvalid || !strings.Contains(bot.ErrorMessage(err), "/echo hi") {
		t.Errorf("got %v, want EInvalid naming the command", err)
	}
}

// TestShowRunLarge: a run with more items than fit in 50 blocks shows the
// first ones and says how many more; a deleted message is posted anew.
func TestShowRunLarge(t *testing.T) {
	c, sl := newClient(t)
	ch := sl.AddChannel("big", sl.BotUserID)
	r := bot.Run{ID: strings.Repeat("r", 26), Name: "Big", IsActive: true, ChannelID: ch.ID, ActiveStageTitle: "A"}
	for ci := range 3 {
		cl := bot.Checklist{Title: fmt.Sprintf("List %d", ci)}
		for ii := range 30 {
			cl.Items = append(cl.Items, bot.ChecklistItem{ID: fmt.Sprintf("item%02d%022d", ci, ii), Title: fmt.Sprintf("Item %d", ii)})
		}
		r.Checklists = append(r.Checklists, cl)
	}
	ts, err := c.ShowRun(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := sl.Message(ch.ID, ts)
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	// header, summary, "List 0", 30 items, "List 1", 15 items, note
	if len(blocks) != slack.MaxBlocks || !strings.Contains(string(m.Blocks), "and 45 more items") {
		t.Errorf("%d blocks, last %v; want 50 ending with \"and 45 more items\"", len(blocks), blocks[len(blocks)-1])
	}

	sl.DeleteMessage(ch.ID, ts)
	r.ChecklistPostID = ts
	ts2, err := c.ShowRun(context.Background(), r)
	if err != nil || ts2 == ts {
		t.Errorf("after deletion: %q, %v; want a new message", ts2, err)
	}
}

func TestChannelStatsNotFound(t *testing.T) {
	c, _ := newClient(t)
	if _, err := c.ChannelStats(context.Background(), "C0NOPE0001"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("got %v, want ENotFound", err)
	}
}
