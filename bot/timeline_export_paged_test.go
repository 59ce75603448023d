package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestExportRunTimelinePages checks that the export the Service writes,
// reading the store a page at a time, is byte for byte the export of the
// whole timeline at once (ExportTimeline, whose forms the golden files
// hold), for a run with events over three pages, ties and hostile text
// included; and that a failing page fails the export.
func TestExportRunTimelinePages(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, kind)
			now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			svc := bot.NewService(bot.Config{Store: db, Now: func() time.Time { return now }})
			admin := bot.Actor{UserID: bot.NewID(), Admin: true}
			pb, err := svc.CreatePlaybook(ctx, admin, bot.Playbook{Title: "P", TeamID: bot.NewID(), Checklists: []bot.Checklist{}})
			if err != nil {
				t.Fatal(err)
			}
			run, err := svc.CreateRun(ctx, admin, bot.NewRun{Name: "Long | run", PlaybookID: pb.ID})
			if err != nil {
				t.Fatal(err)
			}
			events := make([]bot.TimelineEvent, 2345)
			for i := range events {
				at := now.UnixMilli() + int64(i/3) // three events a millisecond
				events[i] = bot.TimelineEvent{ID: bot.NewID(), CreateAt: at, EventAt: at, EventType: bot.EventItemUpdated,
					Summary: fmt.Sprintf("=event %d | \"x\"", i), Details: "line\nnext", CreatorUserID: admin.UserID}
			}
			if _, err := db.UpdateRun(ctx, run.ID, func(*bot.Run) (bot.RunChange, error) {
				return bot.RunChange{Events: events}, nil
			}); err != nil {
				t.Fatal(err)
			}
			whole := run
			whole.TimelineEvents = append(run.TimelineEvents, events...)
			for _, format := range bot.TimelineFormats {
				x, err := svc.ExportRunTimeline(ctx, admin, run.ID, format)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := x.Write(ctx, &got); err != nil {
					t.Fatal(err)
				}
				want, _, err := bot.ExportTimeline(whole, format, now)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want, got.Bytes()) {
					i := 0
					for i < min(len(want), got.Len()) && want[i] == got.Bytes()[i] {
						i++
					}
					t.Errorf("%s: paged export differs from the whole one (%d bytes, want %d) at byte %d: got %q, want %q",
						format, got.Len(), len(want), i, got.Bytes()[i:min(i+80, got.Len())], want[i:min(i+80, len(want))])
				}
			}

			failing := bot.NewService(bot.Config{Store: &failingPages{Store: db, after: 1}, Now: func() time.Time { return now }})
			x, err := failing.ExportRunTimeline(ctx, admin, run.ID, bot.FormatCSV)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := x.Write(ctx, &got); !errors.Is(err, errPageFailed) {
				t.Errorf("export with a failing second page: got error %v, want %v", err, errPageFailed)
			}
		})
	}
}

var errPageFailed = errors.New("page failed")

// failingPages is a store whose TimelineEvents fails after its first
// after pages.
type failingPages struct {
	bot.Store
	after int
}

func (s *failingPages) TimelineEvents(ctx context.Context, runID, cursor string, limit int) (bot.TimelinePage, error) {
	if s.after == 0 {
		return bot.TimelinePage{}, errPageFailed
	}
	s.after--
	return s.Store.TimelineEvents(ctx, runID, cursor, limit)
}
