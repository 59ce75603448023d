package slack_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chattest"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestClickBurstPrivateRun: 64 users click a private run's checklist at
// once, with Slack's rate limits on. Every click is answered in time (the
// double drops later answers), none is told "internal error", and the bot
// does not ask Slack who is in the channel once per click.
func TestClickBurstPrivateRun(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			ctx := context.Background()
			r, err := e.svc.CreateRun(ctx, bot.Actor{UserID: e.alice.ID, TeamIDs: []string{e.sl.Team}},
				bot.NewRun{Name: "Private burst", PlaybookID: e.playbook(t).ID, Platform: slack.Platform})
			if err != nil {
				t.Fatal(err)
			}
			if ch, _ := e.sl.Channel(r.ChannelID); !ch.Private {
				t.Fatal("the run's channel is not private")
			}
			var users []slacktest.User
			for i := range 64 {
				u := e.sl.AddUser(fmt.Sprintf("clicker%02d", i))
				e.sl.AddMember(r.ChannelID, u.ID)
				users = append(users, u)
			}
			before := e.sl.CallCount("users.conversations") + e.sl.CallCount("conversations.members")

			var wg sync.WaitGroup
			errs := make(chan error, len(users))
			for i, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := e.sl.Click(ctx, u.ID, r.ChannelID, r.ChecklistPostID, fmt.Sprintf("item-%d-%d", i%2, i%2))
					if err != nil || resp.Status != http.StatusOK {
						errs <- fmt.Errorf("click of %s: %v, status %d: %s", u.Name, err, resp.Status, resp.Body)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			e.settle(t)
			for _, s := range e.sl.Said() {
				if strings.Contains(s.Text, "internal error") {
					t.Errorf("%s was told %q (%s)", s.User, s.Text, s.Via)
				}
			}
			asked := e.sl.CallCount("users.conversations") + e.sl.CallCount("conversations.members") - before
			if asked > 4 {
				t.Errorf("64 clicks asked Slack about membership %d times (users.conversations, conversations.members), want a few at most", asked)
			}
			t.Logf("membership questions: %d; rate-limited calls: %v", asked, e.sl.RateLimited())
		})
	}
}

// TestMemberChannelsRateLimited: a membership answer is kept for
// MembershipTTL; when Slack then rate-limits the question, a recent answer
// stands in, and without one the caller gets EUnavailable saying so.
func TestMemberChannelsRateLimited(t *testing.T) {
	clock := chattest.NewClock(time.Now())
	sl := slacktest.New(t, clock.Now)
	signer, _ := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), nil)
	c, err := slack.NewClient(slack.Config{BotToken: sl.BotToken, APIURL: sl.URL, Signer: signer,
		Logger: slog.New(slog.DiscardHandler), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	alice := sl.AddUser("alice")
	ch, err := c.CreateChannel(ctx, bot.NewChannel{DisplayName: "Private", MemberIDs: []string{alice.ID}})
	if err != nil {
		t.Fatal(err)
	}
	sl.SetLimit("conversations.members", slacktest.Limit{Calls: 1, Per: time.Hour})
	ask := func() ([]string, error) { return c.MemberChannels(ctx, alice.ID, []string{ch}) }
	if got, err := ask(); err != nil || !slices.Equal(got, []string{ch}) {
		t.Fatalf("first: %v, %v", got, err)
	}
	if got, err := ask(); err != nil || !slices.Equal(got, []string{ch}) || sl.CallCount("conversations.members") != 1 {
		t.Fatalf("within MembershipTTL: %v, %v, %d calls; want the kept answer", got, err, sl.CallCount("conversations.members"))
	}
	clock.Advance(slack.MembershipTTL)
	if got, err := ask(); err != nil || !slices.Equal(got, []string{ch}) {
		t.Errorf("rate-limited, with a recent answer: %v, %v; want the recent answer", got, err)
	}
	clock.Advance(2 * time.Minute)
	_, err = ask()
	if bot.ErrorCode(err) != bot.EUnavailable || !strings.Contains(bot.ErrorMessage(err), "Slack is limiting") || bot.RetryAfter(err) == 0 {
		t.Errorf("rate-limited, no recent answer: got %v (%q), want EUnavailable saying Slack is limiting, with a Retry-After", err, bot.ErrorMessage(err))
	}
}

// TestChannelCreationRateLimited: Slack refuses to create a run's channel
// for now (429). A short Retry-After is waited out by the submission's
// work, which Slack was acknowledged for: the run starts and the modal
// says so. A long one is shown in the modal as what it is, never as
// "internal error".
func TestChannelCreationRateLimited(t *testing.T) {
	t.Run("short wait", func(t *testing.T) {
		e := newEnv(t, storetest.SQLite)
		pb := e.playbook(t)
		if _, err := e.client.CreateChannel(context.Background(), bot.NewChannel{DisplayName: "Earlier"}); err != nil {
			t.Fatal(err)
		}
		e.sl.SetLimit("conversations.create", slacktest.Limit{Calls: 1, Per: 2 * time.Second})
		e.slash(t, e.alice, e.general.ID, "run")
		v := e.view(t, dialogs.StartRun)
		go func() { // Slack's window moves on as time passes
			for !slices.Contains(e.sl.RateLimited(), "conversations.create") {
				time.Sleep(10 * time.Millisecond)
			}
			e.clock.Advance(2 * time.Second)
		}()
		resp, err := e.sl.Submit(context.Background(), v, map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Limited"})
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("submit: %v, status %d: %s", err, resp.Status, resp.Body)
		}
		e.settle(t)
		if _, ok := e.sl.ChannelByName("limited"); !ok {
			t.Fatalf("no run channel; modal: %s", resp.Body)
		}
		if !e.said(e.alice.ID, "Started the run") {
			t.Error("alice was not told that the run started")
		}
	})
	t.Run("long wait", func(t *testing.T) {
		e := newEnv(t, storetest.SQLite)
		pb := e.playbook(t)
		if _, err := e.client.CreateChannel(context.Background(), bot.NewChannel{DisplayName: "Earlier"}); err != nil {
			t.Fatal(err)
		}
		e.sl.SetLimit("conversations.create", slacktest.Limit{Calls: 1, Per: time.Hour})
		e.slash(t, e.alice, e.general.ID, "run")
		resp, err := e.sl.Submit(context.Background(), e.view(t, dialogs.StartRun),
			map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Limited"})
		e.settle(t)
		if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "Slack is limiting") {
			t.Errorf("submit: %v, status %d: %s; want the modal to say that Slack is limiting the bot", err, resp.Status, resp.Body)
		}
		for _, s := range e.sl.Said() {
			if strings.Contains(s.Text, "internal error") {
				t.Errorf("alice was told %q (%s)", s.Text, s.Via)
			}
		}
	})
}
