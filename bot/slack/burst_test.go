package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestClickBurstChecklist fires 64 simultaneous clicks, by 64 members of
// a private run's channel, at the buttons of its checklist message (40
// items: the first 24 are clicked twice), with Slack's rate limits on at
// their tiers and every Web API call answered in 250 ms: every click is answered within Slack's 3 seconds (the
// double drops, and fails the test for, any later answer), nobody is told
// "internal error", and the message ends showing every change.
func TestClickBurstChecklist(t *testing.T) {
	const items, clicks = 40, 64
	e := newEnv(t, storetest.Postgres)
	ctx := context.Background()
	list := make([]bot.ChecklistItem, items)
	for i := range list {
		list[i].Title = fmt.Sprintf("Step %d", i)
	}
	pb, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{Title: "Big", TeamID: e.sl.Team,
		Checklists: []bot.Checklist{{Title: "Steps", Items: list}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.CreateRun(ctx, bot.Actor{UserID: e.alice.ID, TeamIDs: []string{e.sl.Team}},
		bot.NewRun{Name: "Burst", PlaybookID: pb.ID, Platform: slack.Platform})
	if err != nil {
		t.Fatal(err)
	}
	var users []slacktest.User
	for i := range clicks {
		u := e.sl.AddUser(fmt.Sprintf("clicker%02d", i))
		e.sl.AddMember(r.ChannelID, u.ID)
		users = append(users, u)
	}
	updatesBefore := e.sl.CallCount("chat.update")
	// Slack answers every Web API call in 250 ms, as the slower answers
	// recorded from the real one.
	e.sl.DelayAll(250 * time.Millisecond)

	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, u := range users {
		wg.Go(func() {
			<-start
			resp, err := e.sl.Click(ctx, u.ID, r.ChannelID, r.ChecklistPostID, fmt.Sprintf("item-0-%d", i%items))
			if err != nil || resp.Status != http.StatusOK {
				t.Errorf("click %d of %s: %v, status %d (answered in %v): %s", i, u.Name, err, resp.Status, resp.Elapsed, resp.Body)
			}
		})
	}
	close(start)
	wg.Wait()
	e.settle(t)
	for _, s := range e.sl.Said() {
		if strings.Contains(s.Text, "internal error") {
			t.Errorf("%s was told %q (%s)", s.User, s.Text, s.Via)
		}
	}

	// The message shows every item as stored.
	stored := e.run(t, r.ChannelID)
	msg, ok := e.sl.Message(r.ChannelID, r.ChecklistPostID)
	if !ok {
		t.Fatal("the checklist message is gone")
	}
	var blocks []struct {
		BlockID string `json:"block_id"`
		Text    struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal(msg.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	shown := map[int]string{}
	for _, b := range blocks {
		var ci, ii int
		if _, err := fmt.Sscanf(b.BlockID, "item-%d-%d", &ci, &ii); err == nil && ci == 0 {
			shown[ii] = b.Text.Text
		}
	}
	for i, it := range stored.Checklists[0].Items {
		if want := i >= clicks-items; (it.State == bot.ItemClosed) != want {
			t.Errorf("item %d is stored %q, want checked: %v", i, it.State, want)
		}
		if checked := strings.HasPrefix(shown[i], "✅"); checked != (it.State == bot.ItemClosed) {
			t.Errorf("the message shows item %d as %q, stored %q", i, shown[i], it.State)
		}
	}
	t.Logf("64 clicks: %d message updates; rate-limited calls: %v", e.sl.CallCount("chat.update")-updatesBefore, e.sl.RateLimited())
}
