package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

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

// TestChecklistBlocksDueDates: an item's due date is shown in UTC, and
// marked overdue when past and the item not closed.
func TestChecklistBlocksDueDates(t *testing.T) {
	c, _ := newClient(t)
	past := time.Date(2001, 2, 3, 4, 5, 0, 0, time.UTC).UnixMilli()
	future := time.Date(9000, 12, 1, 14, 0, 0, 0, time.UTC).UnixMilli()
	r := bot.Run{ID: strings.Repeat("r", 26), Name: "Outage", ActiveStageTitle: "A",
		Checklists: []bot.Checklist{{Title: "A", Items: []bot.ChecklistItem{
			{ID: strings.Repeat("a", 26), Title: "Late", AssigneeID: "U0BOB", DueDate: past},
			{ID: strings.Repeat("b", 26), Title: "Soon", DueDate: future},
			{ID: strings.Repeat("c", 26), Title: "Done", DueDate: past, State: bot.ItemClosed},
		}}}}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c.ChecklistBlocks(r)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Late · *overdue* (due 2001-02-03 04:05 UTC) · <@U0BOB> `0 0`",
		"Soon · due 9000-12-01 14:00 UTC `0 1`",
		"~Done~ · due 2001-02-03 04:05 UTC `0 2`",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the message lacks %q: %s", want, b.String())
		}
	}
}
