package mattermost_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// refusedClick asserts that a click was refused as Mattermost can show it:
// status 200 with an ephemeral explanation, no update of the post.
func refusedClick(t testing.TB, what string, resp *model.PostActionIntegrationResponse, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: got %v, want status 200 (Mattermost drops the body of any other)", what, err)
		return
	}
	if !strings.Contains(strings.ToLower(resp.EphemeralText), "nothing was changed") || resp.Update != nil {
		t.Errorf("%s: got %+v, want an ephemeral text saying nothing was changed, and no update", what, resp)
	}
}

// rotatedBot starts a second bot over s's store and Mattermost whose
// signer has key and accepts previous, and returns its actions URL.
func rotatedBot(t *testing.T, s *started, key []byte, previous ...[]byte) string {
	t.Helper()
	signer, err := dialogs.NewSigner(key, s.clock.Now, previous...)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(s.logs, nil))
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	client, err := mattermost.NewClient(mattermost.Config{
		URL: s.mm.URL, BotToken: s.mm.AddToken(s.bot.Id), Signer: signer, PublicURL: srv.URL, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := bot.NewService(bot.Config{Store: s.db, Chat: client, Logger: logger})
	h, err := mattermost.NewHandler(mattermost.HandlerConfig{
		Client: client, CommandTokens: []string{s.cmdToken},
		HandlerBase: commands.HandlerBase{Service: svc, Logger: logger, Dispatcher: commands.NewDispatcher(svc).WithUsers(client)},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	return srv.URL + mattermost.ActionsPath
}

// TestButtonAfterSecretChange checks point 7 of issue 8: a button posted
// before PLAYBOOKS_SECRET changed keeps working while the old secret is
// PLAYBOOKS_SECRET_PREVIOUS, and once it is not, the click is answered
// with status 200 and what to do, and changes nothing.
func TestButtonAfterSecretChange(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	oldKey, newKey := bytes.Repeat([]byte("k"), 32), bytes.Repeat([]byte("n"), 32) // the env signs with "k"s

	// Both clicks on the post as the old bot rendered it.
	_, req, err := s.mm.ActionRequest(s.carol.Id, s.postID, "c0i0")
	if err != nil {
		t.Fatal(err)
	}
	_, req2, err := s.mm.ActionRequest(s.carol.Id, s.postID, "c0i1")
	if err != nil {
		t.Fatal(err)
	}
	withPrevious := rotatedBot(t, s, newKey, oldKey)
	if resp, err := s.mm.SendAction(ctx, withPrevious, req); err != nil || resp.EphemeralText != "" {
		t.Fatalf("click signed with the previous secret: %+v, %v; want it handled", resp, err)
	}
	s.wantItem(t, s.channel, 0, 0, bot.ItemClosed)

	withoutPrevious := rotatedBot(t, s, newKey)
	resp, err := s.mm.SendAction(ctx, withoutPrevious, req2)
	refusedClick(t, "click signed with a secret the bot no longer has", resp, err)
	if !strings.Contains(resp.EphemeralText, "/playbook check") {
		t.Errorf("the refusal %q does not say what to do instead", resp.EphemeralText)
	}
	s.wantItem(t, s.channel, 0, 1, bot.ItemOpen)
	if !strings.Contains(s.logs.String(), "button click with an invalid context refused") {
		t.Error("the refused click was not logged")
	}
}

// TestStalePostRenewed checks that a click on a checklist post whose
// buttons the bot can no longer verify (its secret changed, the previous
// one is gone) gives the post new buttons, so it recovers: the first click
// is refused with 200 and says to click again, the second works. A forged
// click on a post whose buttons are valid rewrites nothing. Mattermost
// strips the buttons' contexts from every post it answers with, so the bot
// cannot compare them: it renders the post from the stored run.
func TestStalePostRenewed(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	rotated := rotatedBot(t, s, bytes.Repeat([]byte("n"), 32))

	_, req, err := s.mm.ActionRequest(s.carol.Id, s.postID, "c0i1")
	if err != nil {
		t.Fatal(err)
	}
	versions := len(s.mm.PostHistory(s.postID))
	forged := req
	forged.ChannelId = s.townSquare.Id // a click that names the post from elsewhere
	resp, err := s.mm.SendAction(ctx, rotated, forged)
	refusedClick(t, "forged click naming the stale post from another channel", resp, err)
	if got := len(s.mm.PostHistory(s.postID)); got != versions {
		t.Fatalf("a click from another channel rewrote the post (%d versions, want %d)", got, versions)
	}
	resp, err = s.mm.SendAction(ctx, rotated, req)
	refusedClick(t, "click on a post signed with the old secret", resp, err)
	if !strings.Contains(resp.EphemeralText, "click again") {
		t.Errorf("refusal %q, want it to say the post has new buttons", resp.EphemeralText)
	}
	s.wantItem(t, s.channel, 0, 1, bot.ItemOpen)
	if got := len(s.mm.PostHistory(s.postID)); got != versions+1 {
		t.Fatalf("checklist post has %d versions, want %d: it was not rendered anew", got, versions+1)
	}
	newSigner, err := dialogs.NewSigner(bytes.Repeat([]byte("n"), 32), s.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	post, _ := s.mm.Post(s.postID)
	buttons := 0
	for _, a := range post.Attachments() {
		for _, act := range a.Actions {
			buttons++
			token, _ := act.Integration.Context["token"].(string)
			if _, err := dialogs.VerifyButton(newSigner, token); err != nil {
				t.Errorf("button %s of the renewed post does not verify with the new secret: %v", act.Id, err)
			}
		}
	}
	if buttons == 0 {
		t.Error("the renewed post has no buttons")
	}

	// Another click from the old post (a second browser that has not seen
	// the rewrite yet): the post already has fresh buttons, so it is not
	// rewritten again.
	resp, err = s.mm.SendAction(ctx, rotated, req)
	refusedClick(t, "second click signed with the old secret", resp, err)
	if got := len(s.mm.PostHistory(s.postID)); got != versions+1 {
		t.Errorf("checklist post has %d versions after a second stale click, want %d: rewritten again", got, versions+1)
	}

	_, req, err = s.mm.ActionRequest(s.carol.Id, s.postID, "c0i1")
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := s.mm.SendAction(ctx, rotated, req); err != nil || resp.EphemeralText != "" {
		t.Fatalf("click on the renewed post: %+v, %v", resp, err)
	}
	s.wantItem(t, s.channel, 0, 1, bot.ItemClosed)

	versions = len(s.mm.PostHistory(s.postID))
	_, req, err = s.mm.ActionRequest(s.carol.Id, s.postID, "c0i2")
	if err != nil {
		t.Fatal(err)
	}
	req.Context["token"] = flipLast(req.Context["token"].(string))
	resp, err = s.mm.SendAction(ctx, rotated, req)
	refusedClick(t, "forged click on a fresh post", resp, err)
	if got := len(s.mm.PostHistory(s.postID)); got != versions {
		t.Errorf("a forged click on a fresh post rewrote it (%d versions, want %d)", got, versions)
	}
	if strings.Contains(resp.EphemeralText, "click again") {
		t.Errorf("forged click told %q", resp.EphemeralText)
	}
}
