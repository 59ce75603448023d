package dialogs

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/playbooks-bot/playbooks/bot"
)

func TestItemOptions(t *testing.T) {
	r := testRun()
	for _, tc := range []struct {
		name  string
		query string
		want  []Option
	}{
		{"all, open first", "", []Option{
			{"[ ] Scale up checkout", "1 1"},
			{"[ ] Tell support", "1 2"},
			{"[ ] Write the postmortem", "2 0"},
			{"[x] Page on-call", "0 0"},
			{"[x] Open a bridge", "0 1"},
			{"[x] Roll back the deploy", "1 0"},
		}},
		{"case-insensitive substring", "THE", []Option{
			{"[ ] Write the postmortem", "2 0"},
			{"[x] Roll back the deploy", "1 0"},
		}},
		{"spaces trimmed", "  bridge ", []Option{{"[x] Open a bridge", "0 1"}}},
		{"no match", "zzz", []Option{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ItemOptions(r, tc.query)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ItemOptions(%q) mismatch (-want +got):\n%s", tc.query, diff)
			}
		})
	}
}

func TestItemOptionsLimit(t *testing.T) {
	var r bot.Run
	for c := range 3 {
		l := bot.Checklist{Title: fmt.Sprint("list ", c)}
		for i := range 20 {
			it := bot.ChecklistItem{Title: fmt.Sprintf("task %d.%d", c, i)}
			if c == 0 {
				it.State = bot.ItemClosed // the first list is done: its items come last
			}
			l.Items = append(l.Items, it)
		}
		r.Checklists = append(r.Checklists, l)
	}
	got := ItemOptions(r, "task")
	if len(got) != MaxLookupOptions {
		t.Fatalf("got %d options, want %d", len(got), MaxLookupOptions)
	}
	if got[0].Value != "1 0" || got[24].Value != "2 4" {
		t.Errorf("got first %q and last %q, want \"1 0\" and \"2 4\" (open items first)", got[0].Value, got[24].Value)
	}
}
