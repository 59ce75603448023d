package slack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestChecklistBlocksEnded checks the checklist message of an ended run: it
// says so, links the details page, names assignees, and has no buttons;
// the same run active has one button per item.
func TestChecklistBlocksEnded(t *testing.T) {
	c, _ := newClient(t)
	r := bot.Run{ID: strings.Repeat("r", 26), Name: "Outage", ActiveStageTitle: "A",
		DetailsURL: "https://pb.example.com/runs/" + strings.Repeat("r", 26) + "?sig=1.x",
		Checklists: []bot.Checklist{{Title: "A", Items: []bot.ChecklistItem{
			{ID: strings.Repeat("a", 26), Title: "Page", AssigneeID: "U0BOB"},
			{ID: strings.Repeat("b", 26), Title: "Fix", State: bot.ItemClosed},
		}}}}
	buttons := func(r bot.Run) (int, string) {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c.ChecklistBlocks(r)); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), `"type":"button"`), b.String()
	}
	n, text := buttons(r)
	if n != 0 {
		t.Errorf("the ended run's message has %d buttons, want none", n)
	}
	for _, want := range []string{"*Ended.*", "<" + r.DetailsURL + "|Details>", "Page · <@U0BOB> `0 0`", "`/playbook restart`"} {
		if !strings.Contains(text, want) {
			t.Errorf("the ended run's message lacks %q: %s", want, text)
		}
	}
	r.IsActive = true
	if n, _ := buttons(r); n != 2 {
		t.Errorf("the active run's message has %d buttons, want 2", n)
	}
}
