package bot_test

import (
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestDueLabel: the label is the due date in UTC; overdue only strictly
// after it, and never for a closed item or one with no due date.
func TestDueLabel(t *testing.T) {
	due := time.Date(2026, 12, 1, 14, 0, 59, 0, time.FixedZone("CET", 3600)).UnixMilli()
	for _, tc := range []struct {
		name        string
		it          bot.ChecklistItem
		now         int64
		label       string
		wantOverdue bool
	}{
		{"none", bot.ChecklistItem{}, due, "", false},
		{"before", bot.ChecklistItem{DueDate: due}, due - 1, "due 2026-12-01 13:00 UTC", false},
		{"at", bot.ChecklistItem{DueDate: due}, due, "due 2026-12-01 13:00 UTC", false},
		{"after", bot.ChecklistItem{DueDate: due, State: bot.ItemInProgress}, due + 1, "due 2026-12-01 13:00 UTC", true},
		{"after, closed", bot.ChecklistItem{DueDate: due, State: bot.ItemClosed}, due + 1, "due 2026-12-01 13:00 UTC", false},
	} {
		label, overdue := bot.DueLabel(tc.it, tc.now)
		if label != tc.label || overdue != tc.wantOverdue {
			t.Errorf("%s: got %q, %v; want %q, %v", tc.name, label, overdue, tc.label, tc.wantOverdue)
		}
	}
}
