package slack_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// started is an env with a run started from the test playbook.
type started struct {
	*env
	channel string
	run     bot.Run
}

// startRun starts a run through the start-run modal.
func startRun(t testing.TB, kind string, opts ...func(*slack.HandlerConfig)) started {
	t.Helper()
	return newEnv(t, kind, opts...).startRun(t, "Refusals")
}

// startRun starts a run named name through alice's start-run modal.
func (e *env) startRun(t testing.TB, name string) started {
	t.Helper()
	pb := e.playbook(t)
	e.slash(t, e.alice, e.general.ID, "run")
	e.submit(t, e.view(t, dialogs.StartRun), map[string]string{
		dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: name,
	})
	ch, ok := e.sl.ChannelByName(strings.ToLower(name))
	if !ok {
		t.Fatal("no run channel")
	}
	return started{env: e, channel: ch.ID, run: e.run(t, ch.ID)}
}

// TestRefusals sends requests Slack did not sign, or signed long ago, or
// sent before: each gets 401 and changes nothing.
func TestRefusals(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	form := s.sl.SlashForm(slacktest.Slash{UserID: s.alice.ID, ChannelID: s.channel, Text: "check 0 0"})
	body := form.Encode()
	now := s.clock.Now()
	wrong := slacktest.Sign("another-secret", now, body)
	tampered := slacktest.Sign(signingSecret, now, body)
	tampered.Set("X-Slack-Request-Timestamp", "1"+tampered.Get("X-Slack-Request-Timestamp"))
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"unsigned", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
		{"wrong secret", wrong},
		{"other timestamp", tampered},
		{"stale", slacktest.Sign(signingSecret, now.Add(-6*time.Minute), body)},
		{"future", slacktest.Sign(signingSecret, now.Add(6*time.Minute), body)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.sl.Post(ctx, slack.CommandPath, tc.header, body)
			if err != nil || resp.Status != http.StatusUnauthorized {
				t.Errorf("got %v, status %d, want 401", err, resp.Status)
			}
			s.wantItem(t, s.channel, 0, 0, bot.ItemOpen)
		})
	}

	t.Run("replayed", func(t *testing.T) {
		h := slacktest.Sign(signingSecret, now, body)
		if resp, err := s.sl.Post(ctx, slack.CommandPath, h, body); err != nil || resp.Status != 200 {
			t.Fatalf("first: %v, status %d", err, resp.Status)
		}
		s.wantItem(t, s.channel, 0, 0, bot.ItemClosed)
		s.clock.Advance(4 * time.Minute)
		if resp, err := s.sl.Post(ctx, slack.CommandPath, h, body); err != nil || resp.Status != http.StatusUnauthorized {
			t.Errorf("replay: %v, status %d, want 401", err, resp.Status)
		}
		s.wantItem(t, s.channel, 0, 0, bot.ItemClosed) // not toggled back
	})
}

// TestInteractionRefusals checks forged button values and modal metadata
// (nothing changed, and the user told in a 200: Slack shows nothing of
// other answers), duplicate submissions (handled once), field errors and
// malformed payloads (never a 500).
func TestInteractionRefusals(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	msg, _ := s.sl.Message(s.channel, s.run.ChecklistPostID)

	t.Run("forged button", func(t *testing.T) {
		p, err := s.sl.ClickPayload(s.carol.ID, s.channel, msg.TS, "item-0-0")
		if err != nil {
			t.Fatal(err)
		}
		a := p["actions"].([]any)[0].(map[string]any)
		a["value"] = strings.Replace(a["value"].(string), "e", "f", 1)
		if resp, err := s.sl.SendPayload(ctx, slack.InteractivityPath, p); err != nil || resp.Status != http.StatusOK {
			t.Errorf("got %v, status %d, want 200", err, resp.Status)
		}
		s.wantItem(t, s.channel, 0, 0, bot.ItemOpen)
		s.wantEphemeral(t, s.carol.ID, "not valid")
	})

	t.Run("button of another channel", func(t *testing.T) {
		p, err := s.sl.ClickPayload(s.carol.ID, s.channel, msg.TS, "item-0-0")
		if err != nil {
			t.Fatal(err)
		}
		p["channel"] = map[string]any{"id": s.general.ID}
		if resp, err := s.sl.SendPayload(ctx, slack.InteractivityPath, p); err != nil || resp.Status != http.StatusOK {
			t.Errorf("got %v, status %d, want 200", err, resp.Status)
		}
		s.wantItem(t, s.channel, 0, 0, bot.ItemOpen)
		s.wantEphemeral(t, s.carol.ID, "does not belong to this channel")
	})

	s.slash(t, s.bob, s.channel, "update")
	v := s.view(t, dialogs.StatusUpdate)
	values := map[string]string{dialogs.StatusMessage: "All good.", dialogs.StatusReminder: "0"}

	t.Run("modal of another user", func(t *testing.T) {
		p := s.sl.SubmitPayload(v, values)
		p["user"] = map[string]any{"id": s.carol.ID}
		if resp, err := s.sl.SendPayload(ctx, slack.InteractivityPath, p); err != nil || resp.Status != http.StatusOK ||
			!strings.Contains(string(resp.Body), `"response_action":"errors"`) {
			t.Errorf("got %v, status %d: %s; want 200 with errors in the modal", err, resp.Status, resp.Body)
		}
		if r := s.env.run(t, s.channel); len(r.StatusUpdates) != 0 {
			t.Errorf("status updates: %v, want none", r.StatusUpdates)
		}
	})

	t.Run("forged metadata", func(t *testing.T) {
		p := s.sl.SubmitPayload(v, values)
		p["view"].(map[string]any)["private_metadata"] = s.signer.Sign(s.bob.ID, "end_run\n"+s.channel+"\n{}", time.Hour)
		if resp, err := s.sl.SendPayload(ctx, slack.InteractivityPath, p); err != nil || resp.Status != http.StatusOK ||
			!strings.Contains(string(resp.Body), `"response_action":"errors"`) {
			t.Errorf("got %v, status %d: %s; want 200 with errors in the modal", err, resp.Status, resp.Body)
		}
		if r := s.env.run(t, s.channel); !r.IsActive {
			t.Error("forged metadata ended the run")
		}
	})

	t.Run("field errors", func(t *testing.T) {
		resp, err := s.sl.Submit(ctx, v, map[string]string{dialogs.StatusReminder: "0"})
		if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), `"response_action":"errors"`) ||
			!strings.Contains(string(resp.Body), `"message":`) {
			t.Errorf("got %v, status %d: %s; want errors under message", err, resp.Status, resp.Body)
		}
	})

	t.Run("duplicate submission", func(t *testing.T) {
		for range 2 {
			s.submit(t, v, values)
			s.clock.Advance(time.Second) // a resend is signed anew
		}
		if r := s.env.run(t, s.channel); len(r.StatusUpdates) != 1 {
			t.Errorf("%d status updates, want 1", len(r.StatusUpdates))
		}
	})

	t.Run("expired modal", func(t *testing.T) {
		s.slash(t, s.bob, s.channel, "update")
		v := s.view(t, dialogs.StatusUpdate)
		s.tokens.Advance(16 * time.Minute)
		resp, err := s.sl.Submit(ctx, v, values)
		if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `"response_action":"errors"`) ||
			!strings.Contains(string(resp.Body), "run the command again") {
			t.Errorf("got %v, status %d: %s; want 200 with the modal saying it expired", err, resp.Status, resp.Body)
		}
		if r := s.env.run(t, s.channel); len(r.StatusUpdates) != 1 {
			t.Errorf("%d status updates, want 1: the expired modal posted one", len(r.StatusUpdates))
		}
	})

	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       int
	}{
		{"undecodable payload", slack.InteractivityPath, url.Values{"payload": {"{"}}, http.StatusBadRequest},
		{"no payload", slack.InteractivityPath, url.Values{}, http.StatusBadRequest},
		{"unknown type", slack.InteractivityPath, url.Values{"payload": {`{"type":"shortcut"}`}}, http.StatusOK},
		{"click without user", slack.InteractivityPath, url.Values{"payload": {`{"type":"block_actions","actions":[{"type":"button","block_id":"item-0-0","action_id":"toggle_item","value":"x"}]}`}}, http.StatusOK},
		{"options of nothing", slack.OptionsPath, url.Values{"payload": {`{"type":"block_suggestion"}`}}, http.StatusOK},
		{"options undecodable", slack.OptionsPath, url.Values{"payload": {`[]`}}, http.StatusBadRequest},
		{"command without user", slack.CommandPath, url.Values{"text": {"info"}}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.sl.Send(ctx, tc.path, tc.form)
			if err != nil || resp.Status != tc.want {
				t.Errorf("got %v, status %d: %s; want %d", err, resp.Status, resp.Body, tc.want)
			}
		})
	}
}

// TestExpiredTrigger: a modal whose trigger expired is not opened, and the
// user is told.
func TestExpiredTrigger(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	s.sl.Delay("views.open", 0)
	form := s.sl.SlashForm(slacktest.Slash{UserID: s.bob.ID, ChannelID: s.channel, Text: "update"})
	s.clock.Advance(4 * time.Second)
	resp, err := s.sl.Send(context.Background(), slack.CommandPath, form)
	if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), "could not be opened") {
		t.Errorf("got %v, status %d: %s; want an ephemeral error", err, resp.Status, resp.Body)
	}
}

// TestSlowCommand: a command slower than AckAfter is acknowledged at once
// and its result posted to the response_url.
func TestSlowCommand(t *testing.T) {
	s := startRun(t, storetest.SQLite, func(c *slack.HandlerConfig) { c.AckAfter = 50 * time.Millisecond })
	s.sl.Delay("chat.update", 300*time.Millisecond)
	resp, err := s.sl.SlashCommand(context.Background(), slacktest.Slash{UserID: s.dave.ID, ChannelID: s.channel, Text: "check 0 1"})
	if err != nil || resp.Status != 200 || !strings.Contains(string(resp.Body), "Working on it") {
		t.Errorf("slow command answered %v, status %d: %s; want an acknowledgement", err, resp.Status, resp.Body)
	}
	s.settle(t)
	if r := s.sl.Replies(); len(r) != 1 || r[0].ResponseType != "in_channel" || !strings.Contains(r[0].Text, "Checked") {
		t.Errorf("response_url replies: %+v, want one in-channel \"Checked ...\"", r)
	}
	s.wantItem(t, s.channel, 0, 1, bot.ItemClosed)
}

// TestStaleButton: a click on the button of an item removed since the
// message was rendered is told so, ephemerally; one on an item that moved
// toggles that item.
func TestStaleButton(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	p, err := s.sl.ClickPayload(s.carol.ID, s.channel, s.run.ChecklistPostID, "item-0-0")
	if err != nil {
		t.Fatal(err)
	}
	moved, err := s.sl.ClickPayload(s.carol.ID, s.channel, s.run.ChecklistPostID, "item-0-2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.DeleteItem(ctx, s.admin, s.run.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if resp, err := s.sl.SendPayload(ctx, slack.InteractivityPath, p); err != nil || resp.Status != 200 {
		t.Fatalf("click removed item: %v, status %d", err, resp.Status)
	}
	s.wantEphemeral(t, s.carol.ID, "removed from the checklist")
	if resp, err := s.sl.SendPayload(ctx, slack.InteractivityPath, moved); err != nil || resp.Status != 200 {
		t.Fatalf("click moved item: %v, status %d", err, resp.Status)
	}
	s.wantItem(t, s.channel, 0, 1, bot.ItemClosed) // "Find the blast radius", now 0 1
}

// TestReplayOtherEncoding re-sends a captured checkadd with its signature
// spelled otherwise: the same MAC in upper-case hex, or in mixed case. Each
// is the same request, refused as a replay, and the item is added once.
func TestReplayOtherEncoding(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	before := len(s.run.Checklists[0].Items)
	form := s.sl.SlashForm(slacktest.Slash{UserID: s.alice.ID, ChannelID: s.channel, Text: "checkadd 0 Captured once"})
	body := form.Encode()
	h := slacktest.Sign(signingSecret, s.clock.Now(), body)
	if resp, err := s.sl.Post(ctx, slack.CommandPath, h, body); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("first: %v, status %d: %s", err, resp.Status, resp.Body)
	}
	mac := strings.TrimPrefix(h.Get("X-Slack-Signature"), "v0=")
	mixed := []byte(mac)
	for i := range mixed {
		if i%2 == 0 {
			mixed[i] = strings.ToUpper(string(mixed[i]))[0]
		}
	}
	for name, sig := range map[string]string{
		"upper-case hex": "v0=" + strings.ToUpper(mac),
		"mixed-case hex": "v0=" + string(mixed),
	} {
		t.Run(name, func(t *testing.T) {
			if sig == h.Get("X-Slack-Signature") {
				t.Fatalf("the signature %s is not spelled otherwise", sig)
			}
			r := h.Clone()
			r.Set("X-Slack-Signature", sig)
			if resp, err := s.sl.Post(ctx, slack.CommandPath, r, body); err != nil || resp.Status != http.StatusUnauthorized {
				t.Errorf("replay: %v, status %d, want 401: %s", err, resp.Status, resp.Body)
			}
		})
	}
	if got := s.env.run(t, s.channel).Checklists[0].Items; len(got) != before+1 {
		t.Errorf("checklist 0 has %d items, want %d (one added): %v", len(got), before+1, got)
	}
}
