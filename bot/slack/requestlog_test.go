package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot/slack"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// wantLogLine asserts that exactly one "chat request" log line has every
// one of fields (as key=value).
func (e *env) wantLogLine(t *testing.T, fields ...string) {
	t.Helper()
	n := 0
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
		n++
	}
	if n != 1 {
		t.Errorf("%d chat request log lines with %q, want 1; logs:\n%s", n, fields, e.logs.String())
	}
}

// TestRequestLog checks point 8 of issue 8 on Slack: one Info line per
// request Slack sends, with the route, the subcommand or the interaction's
// type, callback ID and action, the user, the status and the duration,
// and nothing a user typed.
func TestRequestLog(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	ctx := context.Background()
	pb := e.playbook(t)
	alice := "user_id=" + e.alice.ID

	e.slash(t, e.alice, e.general.ID, "run")
	e.wantLogLine(t, "level=INFO", "platform=slack", "route=command", "command=run", alice, "channel_id="+e.general.ID, "status=200")
	const secretText = "the-db-password-is-hunter2"
	e.submit(t, e.view(t, dialogs.StartRun), map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Outage", dialogs.StartRunDescription: secretText})
	e.wantLogLine(t, "route=interactivity", "type=view_submission", "callback_id=start_run", alice, "status=200")

	ch, ok := e.sl.ChannelByName("outage")
	if !ok {
		t.Fatal("no run channel")
	}
	r := e.run(t, ch.ID)
	msg, _ := e.sl.Message(ch.ID, r.ChecklistPostID)
	if resp, err := e.sl.Click(ctx, e.carol.ID, ch.ID, msg.TS, "item-0-0"); err != nil || resp.Status != 200 {
		t.Fatalf("click: %+v, %v", resp, err)
	}
	e.wantLogLine(t, "route=interactivity", "type=block_actions", "action="+slack.ToggleActionID, "user_id="+e.carol.ID, "channel_id="+ch.ID, "status=200")

	e.slash(t, e.alice, ch.ID, secretText)
	e.wantLogLine(t, "route=command", "command=unknown", alice)

	form := e.sl.SlashForm(slacktest.Slash{UserID: e.bob.ID, ChannelID: ch.ID, Text: "info"})
	resp, err := e.sl.Post(ctx, "/slack/command", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())
	if err != nil || resp.Status != http.StatusUnauthorized {
		t.Fatalf("unsigned command: %+v, %v; want 401", resp, err)
	}
	e.wantLogLine(t, "route=command", "status=401")

	if strings.Contains(e.logs.String(), secretText) {
		t.Errorf("the logs contain what a user typed")
	}
}
