package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
)

// historyKeys are the keys of a run's history in its JSON.
var historyKeys = []string{"timeline_events", "status_updates", "timeline_events_total", "status_updates_total"}

// addEvents appends n timeline events to the run, straight to the store
// (as n changes of the run would), each with a new ID and a summary of
// one length, from eventAt on, and returns them.
func addEvents(t *testing.T, e *env, runID string, n int, eventAt int64) []bot.TimelineEvent {
	t.Helper()
	events := make([]bot.TimelineEvent, n)
	for i := range events {
		events[i] = bot.TimelineEvent{ID: bot.NewID(), CreateAt: eventAt + int64(i), EventAt: eventAt + int64(i),
			EventType: bot.EventItemUpdated, Summary: fmt.Sprintf("event %06d", i), CreatorUserID: e.userID}
	}
	_, err := e.db.UpdateRun(context.Background(), runID, func(*bot.Run) (bot.RunChange, error) {
		return bot.RunChange{Events: events}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// listItems returns the raw items of a listPlaybookRuns query, and the
// size of the body.
func listItems(t *testing.T, e *env, query string) ([]map[string]any, int) {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	r := e.call(t, "GET", "/runs?team_id="+e.teamID+query, nil).want(t, http.StatusOK)
	r.decode(t, &l)
	return l.Items, len(r.body)
}

func TestListRunsInclude(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		a, b := e.createRun(t, pb, "A"), e.createRun(t, pb, "B")
		e.call(t, "POST", "/runs/"+a.ID+"/status", map[string]any{"message": "Looking"}).want(t, http.StatusOK)

		items, _ := listItems(t, e, "")
		if len(items) != 2 {
			t.Fatalf("got %d items, want 2", len(items))
		}
		for _, it := range items {
			for _, k := range historyKeys {
				if v, ok := it[k]; ok {
					t.Errorf("run %v listed without include: got %s = %v, want no such key", it["id"], k, v)
				}
			}
		}

		for _, query := range []string{"&include=timeline_events,status_updates",
			"&include=status_updates&include=timeline_events", "&include=timeline_events,+status_updates"} {
			items, _ := listItems(t, e, query)
			for _, it := range items {
				events, _ := it["timeline_events"].([]any)
				updates, ok := it["status_updates"].([]any)
				if !ok {
					t.Fatalf("%s: run %v has no status_updates list: %v", query, it["id"], it)
				}
				wantEvents, wantUpdates := 1, 0 // created, nothing else
				if it["id"] == a.ID {
					wantEvents, wantUpdates = 2, 1 // and a status update
				}
				if len(events) != wantEvents || it["timeline_events_total"] != float64(wantEvents) ||
					len(updates) != wantUpdates || (wantUpdates > 0 && it["status_updates_total"] != float64(wantUpdates)) {
					t.Errorf("%s: run %v: got %d events (total %v), %d status updates (total %v); want %d, %d",
						query, it["id"], len(events), it["timeline_events_total"], len(updates), it["status_updates_total"], wantEvents, wantUpdates)
				}
			}
		}
		items, _ = listItems(t, e, "&include=timeline_events")
		for _, it := range items {
			if _, ok := it["timeline_events"].([]any); !ok {
				t.Errorf("include=timeline_events: run %v has no timeline_events", it["id"])
			}
			if _, ok := it["status_updates"]; ok {
				t.Errorf("include=timeline_events: run %v has status_updates", it["id"])
			}
		}
		if items, _ := listItems(t, e, "&include="); len(items) != 2 || items[0]["timeline_events"] != nil {
			t.Errorf("empty include: got %v, want two runs without history", items)
		}

		for _, bad := range []string{"checklists", "timeline_events,everything", "TIMELINE_EVENTS"} {
			eb := e.call(t, "GET", "/runs?team_id="+e.teamID+"&include="+bad, nil).wantError(t, http.StatusBadRequest)
			if msg := eb.Error + " " + eb.Details; !strings.Contains(msg, "timeline_events, status_updates") {
				t.Errorf("include=%s: got error %+v, want it to name timeline_events, status_updates", bad, eb)
			}
		}

		// The run by ID keeps its history.
		var raw map[string]any
		e.call(t, "GET", "/runs/"+b.ID, nil).want(t, http.StatusOK).decode(t, &raw)
		if _, ok := raw["timeline_events"].([]any); !ok || raw["timeline_events_total"] != float64(1) {
			t.Errorf("run by ID: got timeline_events %v, total %v; want a list of 1", raw["timeline_events"], raw["timeline_events_total"])
		}
		if _, ok := raw["status_updates"].([]any); !ok {
			t.Errorf("run by ID: got status_updates %v, want a list", raw["status_updates"])
		}
	})
}

// TestListPageSizeBounded checks that a list page does not grow when one
// of its runs gains thousands of events: not at all without include, and
// not past the bound with it.
func TestListPageSizeBounded(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		busy := e.createRun(t, pb, "Busy")
		e.createRun(t, pb, "Quiet")
		e.createRun(t, pb, "Other")
		const include = "&include=timeline_events,status_updates"
		_, before := listItems(t, e, "")

		addEvents(t, e, busy.ID, 3000, 1_800_000_000_000)
		_, plain := listItems(t, e, "")
		_, bounded := listItems(t, e, include)
		var run map[string]any
		byID := e.call(t, "GET", "/runs/"+busy.ID, nil).want(t, http.StatusOK)
		byID.decode(t, &run)

		addEvents(t, e, busy.ID, 3000, 1_800_000_100_000)
		_, plainAfter := listItems(t, e, "")
		_, boundedAfter := listItems(t, e, include)
		byIDAfter := e.call(t, "GET", "/runs/"+busy.ID, nil).want(t, http.StatusOK)

		if plain != before || plainAfter != before {
			t.Errorf("page without include: got %d bytes, then %d and %d after 3,000 and 6,000 events; want %d each",
				before, plain, plainAfter, before)
		}
		if boundedAfter != bounded {
			t.Errorf("page with include: got %d bytes at 3,000 events, %d at 6,000; want the same", bounded, boundedAfter)
		}
		if len(byIDAfter.body) != len(byID.body) {
			t.Errorf("run by ID: got %d bytes at 3,000 events, %d at 6,000; want the same", len(byID.body), len(byIDAfter.body))
		}
		if events, _ := run["timeline_events"].([]any); len(events) != bot.HistoryLimit || run["timeline_events_total"] != float64(3001) {
			t.Errorf("run by ID: got %d events of %v, want %d of 3001", len(events), run["timeline_events_total"], bot.HistoryLimit)
		}
		t.Logf("%s: page of 3 runs: %d bytes without include, %d with it (one run with 6,001 events); run by ID %d bytes",
			e.kind, plainAfter, boundedAfter, len(byIDAfter.body))
	})
}

// TestExportTimelineWhole checks that the export of a run with more events
// than a run carries, or an export reads at a time, has every event once,
// in time order, in every format; and that an event older than the newest
// the run carries can still be deleted.
func TestExportTimelineWhole(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		run := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Long")
		added := addEvents(t, e, run.ID, 2500, 1_800_000_000_000)
		gone := added[10] // well before the newest HistoryLimit
		e.call(t, "DELETE", "/runs/"+run.ID+"/timeline/"+gone.ID, nil).want(t, http.StatusNoContent)

		// The deletion is recorded at the service's clock, before the
		// added events: created, deletion, the added ones but the deleted.
		want := []string{run.TimelineEvents[0].ID, "deletion"}
		for _, ev := range added {
			if ev.ID != gone.ID {
				want = append(want, ev.ID)
			}
		}
		got := e.getRun(t, run.ID)
		if got.TimelineEventsTotal != len(want) || len(got.TimelineEvents) != bot.HistoryLimit {
			t.Fatalf("run: got %d events of %d, want %d of %d", len(got.TimelineEvents), got.TimelineEventsTotal, bot.HistoryLimit, len(want))
		}

		var doc struct {
			Events []struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"events"`
		}
		r := e.call(t, "GET", "/runs/"+run.ID+"/timeline", nil).want(t, http.StatusOK)
		r.decode(t, &doc)
		var ids []string
		for _, ev := range doc.Events {
			if ev.Type == bot.EventEventDeleted {
				ev.ID = "deletion"
			}
			ids = append(ids, ev.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("JSON export: got %d events, want %d, in order", len(ids), len(want))
		}

		body := e.call(t, "GET", "/runs/"+run.ID+"/timeline?format=csv", nil).want(t, http.StatusOK).body
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want)+1 || rows[3][3] != "event 000000" || rows[len(rows)-1][3] != "event 002499" {
			t.Errorf("CSV export: got %d rows (%v ... %v), want a header and %d events", len(rows), rows[1], rows[len(rows)-1], len(want))
		}
		md := e.call(t, "GET", "/runs/"+run.ID+"/timeline?format=markdown", nil).want(t, http.StatusOK).body
		if n := bytes.Count(md, []byte("\n| 20")); n != len(want) {
			t.Errorf("Markdown export: got %d event rows, want %d", n, len(want))
		}
	})
}

// failingTimeline is a store whose TimelineEvents fails after its first
// page.
type failingTimeline struct {
	bot.Store
	pages atomic.Int32
}

var errTimelineRead = errors.New("timeline read failed")

func (s *failingTimeline) TimelineEvents(ctx context.Context, runID, after string, limit int) (bot.TimelinePage, error) {
	if s.pages.Add(1) > 1 {
		return bot.TimelinePage{}, errTimelineRead
	}
	return s.Store.TimelineEvents(ctx, runID, after, limit)
}

// TestExportTimelineCutShort checks that an export whose store read fails
// after the first bytes went out is cut short, so that no client takes it
// for a whole file, and that the cause is logged.
func TestExportTimelineCutShort(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	run := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Long")
	addEvents(t, e, run.ID, 2500, 1_800_000_000_000)

	logs := &syncBuffer{}
	svc := bot.NewService(bot.Config{Store: &failingTimeline{Store: e.db}})
	srv := httptest.NewServer(api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(logs, nil))}))
	defer srv.Close()
	req, err := http.NewRequest("GET", srv.URL+api.BasePath+"/runs/"+run.ID+"/timeline?format=csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("got status %d, %d bytes and read error %v; want 200 cut short with a read error", res.StatusCode, len(body), err)
	}
	if !bytes.HasPrefix(body, []byte("time,who,type,summary,details\n")) {
		t.Errorf("got body starting %q, want the CSV header", body[:min(len(body), 40)])
	}
	found := false
	for _, l := range logs.lines(t) {
		if s, _ := l["error"].(string); strings.Contains(s, errTimelineRead.Error()) {
			found = true
		}
	}
	if !found {
		t.Errorf("no log line names the failed read; logs:\n%v", logs.lines(t))
	}
}

// TestDetailsPageBounded checks that the details page of a run with more
// events than a run carries shows the newest and says how many it leaves
// out.
func TestDetailsPageBounded(t *testing.T) {
	e := newLinkEnv(t, "sqlite")
	run := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Long")
	addEvents(t, e.env, run.ID, bot.HistoryLimit+5, 1_800_000_000_000)
	body := string(e.page(t, e.svc.DetailsURL(run), "").want(t, http.StatusOK).body)
	// The creation and the 5 oldest added are left out.
	for _, want := range []string{"6 earlier events not shown", fmt.Sprintf("event %06d", bot.HistoryLimit+4), "event 000005"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"event 000004", "earlier status updates"} {
		if strings.Contains(body, unwanted) {
			t.Errorf("page has %q", unwanted)
		}
	}
}
