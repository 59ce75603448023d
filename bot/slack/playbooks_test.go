package slack_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestManyPlaybooks: a team with 150 playbooks, more than a static select
// may list. /playbook run opens the modal; its playbook select searches
// every playbook as the user types, so playbook 142 is found; the run
// starts from it.
func TestManyPlaybooks(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	ctx := context.Background()
	ids := map[int]string{}
	for i := 1; i <= 150; i++ {
		pb, err := e.svc.CreatePlaybook(ctx, e.admin, bot.Playbook{
			Title: fmt.Sprintf("Playbook %03d", i), TeamID: e.sl.Team,
			Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: fmt.Sprintf("Step of %03d", i)}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = pb.ID
	}
	if reply := e.slash(t, e.alice, e.general.ID, "run"); reply.Text != "" {
		t.Fatalf("/playbook run answered %q, want the modal opened", reply.Text)
	}
	v := e.view(t, dialogs.StartRun)
	resp, err := e.sl.Suggest(ctx, v, dialogs.StartRunPlaybook, "142")
	if err != nil || resp.Status != 200 {
		t.Fatalf("suggest: %v, status %d: %s", err, resp.Status, resp.Body)
	}
	var opts struct {
		Options []struct {
			Text  struct{ Text string } `json:"text"`
			Value string                `json:"value"`
		} `json:"options"`
	}
	if err := resp.JSON(&opts); err != nil {
		t.Fatal(err)
	}
	if len(opts.Options) != 1 || opts.Options[0].Value != ids[142] || opts.Options[0].Text.Text != "Playbook 142" {
		t.Fatalf("options for \"142\": %+v, want Playbook 142 alone", opts.Options)
	}
	if resp, _ := e.sl.Suggest(ctx, v, dialogs.StartRunPlaybook, "PLAYBOOK"); !strings.Contains(string(resp.Body), "Playbook 001") ||
		strings.Count(string(resp.Body), `"value"`) != dialogs.MaxLookupOptions {
		t.Errorf("options for \"PLAYBOOK\": %s; want the first %d by title", resp.Body, dialogs.MaxLookupOptions)
	}
	e.submit(t, v, map[string]string{dialogs.StartRunPlaybook: ids[142], dialogs.StartRunName: "From 142"})
	ch, ok := e.sl.ChannelByName("from-142")
	if !ok {
		t.Fatal("no run channel")
	}
	if r := e.run(t, ch.ID); r.PlaybookID != ids[142] || r.Checklists[0].Items[0].Title != "Step of 142" {
		t.Errorf("run from playbook %s, first item %q; want playbook 142's", r.PlaybookID, r.Checklists[0].Items[0].Title)
	}
}
