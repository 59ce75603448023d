package mattermost_test

import (
	"context"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// wantLogLine asserts that exactly one "chat request" log line has every
// one of fields (as key=value), and returns it.
func (e *env) wantLogLine(t *testing.T, fields ...string) string {
	t.Helper()
	var found []string
lines:
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if !strings.Contains(line, `msg="chat request"`) {
			continue
		}
		for _, f := range fields {
			if !strings.Contains(line+" ", " "+f+" ") {
				continue lines
			}
		}
		found = append(found, line)
	}
	if len(found) != 1 {
		t.Errorf("%d chat request log lines with %q, want 1; logs:\n%s", len(found), fields, e.logs.String())
		return ""
	}
	return found[0]
}

// TestRequestLog checks point 8 of issue 8: one Info line per request
// Mattermost sends (slash command, dialog submission, button click) with
// the route, the subcommand, callback ID or button action, the user, the
// run when known, the status and the duration, and never a state, a
// context, a token or what a user typed.
func TestRequestLog(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	run := "run_id=" + s.r.ID
	alice, carol := "user_id="+s.alice.Id, "user_id="+s.carol.Id

	s.wantLogLine(t, "level=INFO", "platform=mattermost", "route=command", "command=run", alice, "channel_id="+s.townSquare.Id, "status=200")
	start := s.wantLogLine(t, "route=dialog", "callback_id=start_run", alice, "status=200")
	if !strings.Contains(start, "duration=") {
		t.Errorf("no duration in %q", start)
	}

	buttonToken := s.buttonToken(t, "c0i0")
	if resp, err := s.mm.Click(ctx, s.carol.Id, s.postID, "c0i0"); err != nil || resp.EphemeralText != "" {
		t.Fatalf("click: %+v, %v", resp, err)
	}
	s.wantLogLine(t, "route=actions", "action=toggle_item", carol, run, "status=200")

	const secretText = "the-db-password-is-hunter2"
	s.slash(t, s.alice, s.channel, "update")
	d := s.dialog(t, dialogs.StatusUpdate)
	s.submit(t, d, map[string]any{dialogs.StatusMessage: secretText, dialogs.StatusReminder: "900"})
	s.wantLogLine(t, "route=command", "command=update", alice, "channel_id="+s.channel)
	s.wantLogLine(t, "route=dialog", "callback_id=status_update", alice, run, "status=200")

	s.slash(t, s.alice, s.channel, secretText)
	s.wantLogLine(t, "route=command", "command=unknown", alice)

	url, req, err := s.mm.ActionRequest(s.carol.Id, s.postID, "c0i1")
	if err != nil {
		t.Fatal(err)
	}
	req.Context["token"] = flipLast(req.Context["token"].(string))
	if _, err := s.mm.SendAction(ctx, url, req); err != nil {
		t.Fatal(err)
	}
	s.wantLogLine(t, "route=actions", "action=refused", carol, "status=200")

	_, err = s.mm.SlashCommand(ctx, mmtest.Slash{UserID: s.bob.Id, ChannelID: s.channel, Text: "info", Token: "forged"})
	refused(t, "forged command token", err)
	s.wantLogLine(t, "route=command", "command=info", "user_id="+s.bob.Id, "status=401")

	logs := s.logs.String()
	for name, secret := range map[string]string{
		"dialog state": d.Dialog.State, "button token": buttonToken, "command token": s.cmdToken, "status text": secretText,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain the %s %q", name, secret)
		}
	}
}
