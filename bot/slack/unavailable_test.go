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

// TestDatabaseUnavailable sends what Slack sends while the bot's Postgres
// is unreachable: each user is told to try again shortly in a 200 Slack
// shows (not "invalid signature", not Slack's generic failure for a 401
// or 503): a command in its reply, a click in an ephemeral message, a
// modal submission under the modal's first input; an options request gets
// an empty list. Once the database is back the same command works,
// without a restart.
func TestDatabaseUnavailable(t *testing.T) {
	ctx := context.Background()
	db, outage := storetest.OpenPostgresOutage(t)
	e := newEnvOn(t, db)
	pb := e.playbook(t)
	e.slash(t, e.alice, e.general.ID, "run")
	e.submit(t, e.view(t, dialogs.StartRun), map[string]string{dialogs.StartRunPlaybook: pb.ID, dialogs.StartRunName: "Outage"})
	ch, ok := e.sl.ChannelByName("outage")
	if !ok {
		t.Fatal("no run channel")
	}
	r := e.run(t, ch.ID)
	e.slash(t, e.bob, ch.ID, "update")
	update := e.view(t, dialogs.StatusUpdate)
	e.slash(t, e.carol, ch.ID, "check")
	check := e.view(t, dialogs.CheckItem)
	help := slacktest.Slash{UserID: e.alice.ID, ChannelID: e.general.ID, Text: "help"}

	outage.Stop()
	resp, err := e.sl.SlashCommand(ctx, help)
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "try again shortly") {
		t.Errorf("a command during the outage: %v, status %d: %s; want 200 saying to try again shortly", err, resp.Status, resp.Body)
	}
	click, err := e.sl.Click(ctx, e.carol.ID, ch.ID, r.ChecklistPostID, "item-0-0")
	if err != nil || click.Status != http.StatusOK {
		t.Errorf("a click during the outage: %v, status %d, want 200", err, click.Status)
	}
	e.wantEphemeral(t, e.carol.ID, "try again shortly")
	sub, err := e.sl.Submit(ctx, update, map[string]string{dialogs.StatusMessage: "Still down.", dialogs.StatusReminder: "0"})
	if err != nil || sub.Status != http.StatusOK || !strings.Contains(string(sub.Body), `"response_action":"errors"`) ||
		!strings.Contains(string(sub.Body), "try again shortly") {
		t.Errorf("a submission during the outage: %v, status %d: %s; want 200 with errors saying to try again shortly", err, sub.Status, sub.Body)
	}
	opts, err := e.sl.Suggest(ctx, check, dialogs.CheckItemItem, "page")
	if err != nil || opts.Status != http.StatusOK || string(opts.Body) != `{"options":[]}`+"\n" {
		t.Errorf("an options request during the outage: %v, status %d: %q; want 200 with no options", err, opts.Status, opts.Body)
	}

	outage.Start()
	resp, err = e.sl.SlashCommand(ctx, help)
	if err != nil || resp.Status != http.StatusOK || strings.Contains(string(resp.Body), "try again") {
		t.Errorf("the command after the outage: %v, status %d: %s; want its answer", err, resp.Status, resp.Body)
	}
	e.submit(t, update, map[string]string{dialogs.StatusMessage: "Back.", dialogs.StatusReminder: "0"})
	e.wantMessage(t, ch.ID, "Back.")
}

var _ = slack.InteractivityPath
