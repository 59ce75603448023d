package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/commands"
)

// TestTimelineLongRun checks that the timeline command of a run with more
// events than a run carries (bot.HistoryLimit) shows its newest and counts
// every earlier one, not only those the run carries.
func TestTimelineLongRun(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		e := f.newEnv(t)
		const added = bot.HistoryLimit + 30
		events := make([]bot.TimelineEvent, added)
		for i := range events {
			at := now.UnixMilli() + 1000 + int64(i)
			events[i] = bot.TimelineEvent{ID: bot.NewID(), CreateAt: at, EventAt: at, EventType: bot.EventItemUpdated,
				Summary: fmt.Sprintf("event %d", i), CreatorUserID: f.alice}
		}
		if _, err := f.db.UpdateRun(context.Background(), e.run.ID, func(*bot.Run) (bot.RunChange, error) {
			return bot.RunChange{Events: events}, nil
		}); err != nil {
			t.Fatal(err)
		}
		got := f.d.Dispatch(context.Background(), commands.Request{Actor: e.actor, TeamID: e.team, ChannelID: e.run.ChannelID, Text: "timeline"})
		// The run has its creation and the added events; 20 are shown.
		want := fmt.Sprintf("(%d earlier events not shown)\n", 1+added-20)
		if !strings.Contains(got.Text, want) || !strings.HasSuffix(got.Text, fmt.Sprintf(": event %d\n", added-1)) {
			t.Errorf("got text %q, want it to say %q and end with the newest event", got.Text, want)
		}
	})
}
