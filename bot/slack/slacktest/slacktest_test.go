package slacktest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
)

// clock is a clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newSlack(t *testing.T) (*slacktest.Server, *slackgo.Client, *clock) {
	t.Helper()
	c := &clock{t: time.Now()}
	s := slacktest.New(t, c.Now)
	return s, slackgo.New(s.BotToken, slackgo.OptionAPIURL(s.URL)), c
}

// A method over its tier answers 429 with Retry-After until its window has
// room again, on the double's clock; limits can be tightened or lifted.
func TestRateLimits(t *testing.T) {
	s, api, clk := newSlack(t)
	ctx := context.Background()
	alice := s.AddUser("alice")
	for i := range slacktest.Tier3.Calls {
		if _, _, err := api.GetConversationsForUserContext(ctx, &slackgo.GetConversationsForUserParameters{UserID: alice.ID}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	clk.Advance(20 * time.Second)
	_, _, err := api.GetConversationsForUserContext(ctx, &slackgo.GetConversationsForUserParameters{UserID: alice.ID})
	var rl *slackgo.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 40*time.Second {
		t.Fatalf("call 51 within a minute: got %v, want a rate limit with Retry-After 40s", err)
	}
	clk.Advance(40 * time.Second)
	if _, _, err := api.GetConversationsForUserContext(ctx, &slackgo.GetConversationsForUserParameters{UserID: alice.ID}); err != nil {
		t.Errorf("after Retry-After: %v", err)
	}
	if got := s.RateLimited(); len(got) != 1 || got[0] != "users.conversations" {
		t.Errorf("RateLimited() = %v, want [users.conversations]", got)
	}

	ch := s.AddChannel("general", s.BotUserID)
	for i := range slacktest.PostMessage.Calls {
		if _, _, err := api.PostMessageContext(ctx, ch.ID, slackgo.MsgOptionText("hi", false)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, ch.ID, slackgo.MsgOptionText("hi", false)); !errors.As(err, &rl) {
		t.Errorf("a message past the burst: got %v, want a rate limit", err)
	}
	s.SetLimit("chat.postMessage", slacktest.Limit{})
	if _, _, err := api.PostMessageContext(ctx, ch.ID, slackgo.MsgOptionText("hi", false)); err != nil {
		t.Errorf("with the limit lifted: %v", err)
	}
	s.RateLimits(false)
	for range 60 {
		if _, _, err := api.GetConversationsForUserContext(ctx, &slackgo.GetConversationsForUserParameters{UserID: alice.ID}); err != nil {
			t.Fatalf("with limits off: %v", err)
		}
	}
}

// Messages over the Block Kit limits are refused with invalid_blocks;
// a block ID an update reuses is reported.
func TestBlockKitLimits(t *testing.T) {
	s, api, _ := newSlack(t)
	ctx := context.Background()
	ch := s.AddChannel("general", s.BotUserID)
	section := func(id, text string) slackgo.Block {
		return slackgo.NewSectionBlock(slackgo.NewTextBlockObject("mrkdwn", text, false, false), nil, nil, slackgo.SectionBlockOptionBlockID(id))
	}
	long := strings.Repeat("x", 3001)
	opt := slackgo.NewOptionBlockObject(strings.Repeat("v", 76), slackgo.NewTextBlockObject("plain_text", "x", false, false), nil)
	for name, blocks := range map[string][]slackgo.Block{
		"long section": {section("a", long)},
		"option value": {slackgo.NewActionBlock("acts", slackgo.NewOptionsSelectBlockElement("static_select",
			slackgo.NewTextBlockObject("plain_text", "Pick", false, false), "pick", opt))},
		"51 blocks": func() []slackgo.Block {
			var bs []slackgo.Block
			for range 51 {
				bs = append(bs, slackgo.NewDividerBlock())
			}
			return bs
		}(),
	} {
		_, _, err := api.PostMessageContext(ctx, ch.ID, slackgo.MsgOptionBlocks(blocks...))
		if err == nil || err.Error() != "invalid_blocks" {
			t.Errorf("%s: got %v, want invalid_blocks", name, err)
		}
	}
	_, ts, err := api.PostMessageContext(ctx, ch.ID, slackgo.MsgOptionText("v1", false), slackgo.MsgOptionBlocks(section("a", "one"), section("b", "two")))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch.ID, ts, slackgo.MsgOptionText("v2", false),
		slackgo.MsgOptionBlocks(section("a", "one"), section("c", "three"))); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(ch.ID, ts); len(m.ReusedBlockIDs) != 1 || m.ReusedBlockIDs[0] != "a" {
		t.Errorf("ReusedBlockIDs = %v, want [a]", m.ReusedBlockIDs)
	}
	var said []string
	for _, x := range s.Said() {
		said = append(said, x.Via+": "+x.Text)
	}
	if got := strings.Join(said, "|"); !strings.Contains(got, "chat.update: three") || !strings.Contains(got, "chat.postMessage: v1") {
		t.Errorf("Said() = %v, want the texts of both versions", said)
	}
}

// views.update replaces an open view by ID, refusing a stale hash and a
// view over the modal limits.
func TestViewsUpdate(t *testing.T) {
	s, api, _ := newSlack(t)
	ctx := context.Background()
	alice := s.AddUser("alice")
	form := s.SlashForm(slacktest.Slash{UserID: alice.ID, ChannelID: "C0", Text: "x"})
	modal := func(title string) slackgo.ModalViewRequest {
		return slackgo.ModalViewRequest{Type: slackgo.VTModal, Title: slackgo.NewTextBlockObject("plain_text", title, false, false),
			Blocks: slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewSectionBlock(slackgo.NewTextBlockObject("plain_text", "hi", false, false), nil, nil)}}}
	}
	if _, err := api.OpenViewContext(ctx, form.Get("trigger_id"), modal(strings.Repeat("t", 25))); err == nil {
		t.Error("a 25-character title: got no error")
	}
	form = s.SlashForm(slacktest.Slash{UserID: alice.ID, ChannelID: "C0", Text: "x"})
	v, err := api.OpenViewContext(ctx, form.Get("trigger_id"), modal("First"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("Second"), "", "stale", v.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("stale hash: got %v, want hash_conflict", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal("Second"), "", v.Hash, v.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := s.View(v.ID)
	if title := got.View["title"].(map[string]any)["text"]; title != "Second" || got.Updates != 1 {
		t.Errorf("view after update: title %v, %d updates; want Second, 1", title, got.Updates)
	}
}

// An answer later than AckDeadline is dropped, as Slack drops it.
func TestAckDeadline(t *testing.T) {
	s, _, _ := newSlack(t)
	s.AllowLate()
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(slacktest.AckDeadline + 200*time.Millisecond)
		}
		w.Write([]byte(`{"text":"ok"}`))
	}))
	defer bot.Close()
	s.SetBot(bot.URL, "secret")
	if resp, err := s.Send(context.Background(), "/fast", nil); err != nil || resp.Status != 200 {
		t.Errorf("fast: %+v, %v", resp, err)
	}
	resp, err := s.Send(context.Background(), "/slow", nil)
	if !errors.Is(err, slacktest.ErrTimedOut) || !resp.TimedOut || resp.Status != 0 || resp.Body != nil {
		t.Errorf("slow: %+v, %v; want a dropped answer", resp, err)
	}
	if late := s.LateAnswers(); len(late) != 1 || late[0].Path != "/slow" {
		t.Errorf("LateAnswers() = %+v, want /slow", late)
	}
}
