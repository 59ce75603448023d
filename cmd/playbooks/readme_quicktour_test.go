package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// The README's short tour is the sh block between these markers.
const (
	quickTourBegin = "<!-- quicktour:begin"
	quickTourEnd   = "<!-- quicktour:end"
)

// TestReadmeQuickTour runs the short tour of README.md command by command,
// as TestReadmeTour runs the full one: serve on a fresh SQLite file with
// no variable set, a token, a playbook, a run of it, an item checked, and
// the timeline exported, each answer checked.
func TestReadmeQuickTour(t *testing.T) {
	needTools(t, "the README's short tour")
	readme := readDoc(t, "README.md")
	blocks := shBlocks(t, readme, quickTourBegin, quickTourEnd)
	tr := newTourRunner(t, "README.md short tour")
	tr.steps = quickTourSteps(tr)
	tr.runBlocks(t, blocks)
	// The README's two commands come first, as CI and newcomers read them.
	if !strings.HasPrefix(readme, "# playbooks\n\n```sh\ngo run ./cmd/playbooks serve ") ||
		!strings.Contains(readme, "\n./scripts/test ") {
		t.Error("README.md must open with its two commands: go run ./cmd/playbooks serve and ./scripts/test")
	}
}

// quickTourSteps are the curls of the short tour, in order.
func quickTourSteps(tr *tourRunner) []tourStep {
	return []tourStep{
		{"create a playbook", "POST", apiPath("/playbooks"), http.StatusCreated,
			func(t *testing.T, _ string, a tourAnswer) error {
				var created struct{ ID string }
				if err := json.Unmarshal(a.body, &created); err != nil || !bot.OwnID(created.ID) {
					return fmt.Errorf("want {\"id\": ...}: %v", err)
				}
				tr.learnt["PLAYBOOK_ID"] = created.ID
				return nil
			}},
		{"start a run", "POST", apiPath("/runs"), http.StatusCreated,
			func(t *testing.T, _ string, a tourAnswer) error {
				var r bot.Run
				if err := json.Unmarshal(a.body, &r); err != nil || !bot.OwnID(r.ID) {
					return fmt.Errorf("want the run: %v", err)
				}
				if r.PlaybookID != tr.learnt["PLAYBOOK_ID"] || len(r.Checklists) == 0 || !r.IsActive {
					return fmt.Errorf("got a run of playbook %s with %d checklists, active %v; want an active one of %s",
						r.PlaybookID, len(r.Checklists), r.IsActive, tr.learnt["PLAYBOOK_ID"])
				}
				tr.learnt["RUN_ID"] = r.ID
				return nil
			}},
		{"check an item", "PUT", tr.runPath(`/checklists/0/item/0/state`), http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				if r := tr.getRun(t); r.Checklists[0].Items[0].State != bot.ItemClosed {
					return fmt.Errorf("the first item is %q, want closed", r.Checklists[0].Items[0].State)
				}
				return nil
			}},
		{"export the timeline", "GET", tr.runPath("/timeline"), http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				item := tr.lastRun.Checklists[0].Items[0].Title
				for _, want := range []string{"# Timeline: " + tr.lastRun.Name, item + " checked"} {
					if !strings.Contains(string(a.body), want) {
						return fmt.Errorf("the export lacks %q", want)
					}
				}
				return nil
			}},
	}
}
