package dialogs

import (
	"fmt"
	"strings"
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

// bigRun is a run with n items in lists of 20, the first list all checked.
func bigRun(n int) bot.Run {
	r := bot.Run{ID: runID, Name: "Big"}
	for c := 0; n > 0; c++ {
		l := bot.Checklist{Title: fmt.Sprint("list ", c)}
		for i := 0; i < 20 && n > 0; i, n = i+1, n-1 {
			it := bot.ChecklistItem{Title: fmt.Sprintf("task %d.%d", c, i)}
			if c == 0 {
				it.State = bot.ItemClosed // the first list is done: its items come last
			}
			l.Items = append(l.Items, it)
		}
		r.Checklists = append(r.Checklists, l)
	}
	return r
}

func TestItemOptionsAll(t *testing.T) {
	got := ItemOptions(bigRun(130), "task")
	if len(got) != 130 {
		t.Fatalf("got %d options, want all 130", len(got))
	}
	if got[0].Value != "1 0" || got[109].Value != "6 9" || got[110].Value != "0 0" {
		t.Errorf("got %q, %q, %q at 0, 109, 110; want \"1 0\", \"6 9\", \"0 0\" (open items first)", got[0].Value, got[109].Value, got[110].Value)
	}
}

// TestCheckItemDialogOptions checks that the item select lists the run's
// items when it opens, at most MaxStaticOptions, and that the introduction
// says so (and what to do) only when some are left out.
func TestCheckItemDialogOptions(t *testing.T) {
	for _, tc := range []struct {
		items, listed int
		note          bool
	}{{0, 0, false}, {6, 6, false}, {100, 100, false}, {101, 100, true}, {130, 100, true}} {
		t.Run(fmt.Sprint(tc.items), func(t *testing.T) {
			r := bigRun(tc.items)
			d := CheckItemDialog(r)
			opts := d.Elements[0].Options
			if len(opts) != tc.listed {
				t.Fatalf("got %d options, want %d", len(opts), tc.listed)
			}
			if diff := cmp.Diff(ItemOptions(r, "")[:tc.listed], opts); diff != "" {
				t.Errorf("options are not the run's items, open first (-want +got):\n%s", diff)
			}
			note := fmt.Sprintf("The run has %d items: only the first 100 are listed (open ones first). For another, use `/playbook check <checklist> <item>`.", tc.items)
			if got := strings.Contains(d.IntroText, note); got != tc.note {
				t.Errorf("intro %q: has the note: %v, want %v", d.IntroText, got, tc.note)
			}
			if err := Validate(d); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}
