package api_test

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

func TestRunCopiesChecklists(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		run := e.createRun(t, pb, "First")
		p := e.getPlaybook(t, pb)
		p.Checklists = []bot.Checklist{{Title: "Only stage", Items: []bot.ChecklistItem{{Title: "Only step"}}}}
		e.call(t, "PUT", "/playbooks/"+pb, p).want(t, http.StatusOK)

		if diff := gocmp.Diff(run.Checklists, e.getRun(t, run.ID).Checklists); diff != "" {
			t.Errorf("run checklists changed with the playbook (-before +after):\n%s", diff)
		}
		later := e.createRun(t, pb, "Second")
		if len(later.Checklists) != 1 || later.Checklists[0].Title != "Only stage" || later.ActiveStageTitle != "Only stage" {
			t.Errorf("run started after the edit: got checklists %+v, want the edited one", later.Checklists)
		}
	})
}

// runIDs returns the IDs of the runs a listPlaybookRuns query returns.
func runIDs(t *testing.T, e *env, query string) []string {
	t.Helper()
	var l bot.RunList
	e.call(t, "GET", "/runs?team_id="+e.teamID+query, nil).want(t, http.StatusOK).decode(t, &l)
	ids := []string{}
	for _, r := range l.Items {
		ids = append(ids, r.ID)
	}
	if l.TotalCount != len(ids) {
		t.Errorf("%s: got total_count %d for %d items on one page", query, l.TotalCount, len(ids))
	}
	return ids
}

func TestListRunsFilters(t *testing.T) {
	forEachKind(t, fakeChat{}, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		other := bot.NewID()
		otherToken := e.newToken(t, other, e.teamID)
		start := func(token, name, owner string) bot.Run {
			var r bot.Run
			e.callAs(t, token, "POST", "/runs", map[string]any{"name": name, "playbook_id": pb, "owner_user_id": owner}).
				want(t, http.StatusCreated).decode(t, &r)
			return r
		}
		db := start(e.token, "Database outage", e.userID)   // mine
		net := start(e.token, "Network Outage", other)      // I take part, other owns
		disk := start(otherToken, "Disk full", other)       // other's only
		cpu := start(otherToken, "CPU outage in EU", other) // other's, ended
		e.callAs(t, otherToken, "PUT", "/runs/"+cpu.ID+"/end", nil).want(t, http.StatusOK)

		for _, tt := range []struct {
			name  string
			query string
			want  []string
		}{
			{name: "default is in progress", query: "", want: []string{db.ID, disk.ID, net.ID}},
			{name: "finished", query: "&statuses=Finished", want: []string{cpu.ID}},
			{name: "repeated statuses", query: "&statuses=InProgress&statuses=Finished", want: []string{cpu.ID, db.ID, disk.ID, net.ID}},
			{name: "comma-separated statuses", query: "&statuses=Finished,InProgress", want: []string{cpu.ID, db.ID, disk.ID, net.ID}},
			{name: "empty statuses", query: "&statuses=", want: []string{cpu.ID, db.ID, disk.ID, net.ID}},
			{name: "owner me", query: "&owner_user_id=me", want: []string{db.ID}},
			{name: "owner by ID", query: "&statuses=InProgress,Finished&owner_user_id=" + other, want: []string{cpu.ID, disk.ID, net.ID}},
			{name: "participant me", query: "&participant_id=me", want: []string{db.ID, net.ID}},
			{name: "participant by ID", query: "&statuses=Finished&participant_id=" + other, want: []string{cpu.ID}},
			{name: "search term", query: "&search_term=outage", want: []string{db.ID, net.ID}},
			{name: "search term any case", query: "&search_term=OUTAGE&statuses=InProgress,Finished", want: []string{cpu.ID, db.ID, net.ID}},
			{name: "search term and owner", query: "&search_term=outage&owner_user_id=" + other, want: []string{net.ID}},
			{name: "nothing matches", query: "&search_term=nothing", want: []string{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if diff := gocmp.Diff(tt.want, runIDs(t, e, tt.query+"&sort=name&direction=asc")); diff != "" {
					t.Errorf("runs mismatch (-want +got):\n%s", diff)
				}
			})
		}

		var channels []string
		e.call(t, "GET", "/runs/channels?team_id="+e.teamID+"&status=Finished", nil).want(t, http.StatusOK).decode(t, &channels)
		if diff := gocmp.Diff([]string{cpu.ChannelID}, channels); diff != "" {
			t.Errorf("getChannels status=Finished mismatch (-want +got):\n%s", diff)
		}
		e.call(t, "GET", "/runs/channels?team_id="+e.teamID+"&participant_id=me&sort=name", nil).want(t, http.StatusOK).decode(t, &channels)
		if diff := gocmp.Diff([]string{net.ChannelID, db.ChannelID}, channels); diff != "" {
			t.Errorf("getChannels participant_id=me mismatch (-want +got):\n%s", diff)
		}
		var owners []bot.OwnerInfo
		e.call(t, "GET", "/runs/owners?team_id="+e.teamID, nil).want(t, http.StatusOK).decode(t, &owners)
		want := []bot.OwnerInfo{{UserID: e.userID, Username: "user-" + e.userID[:6]}, {UserID: other, Username: "user-" + other[:6]}}
		slices.SortFunc(want, func(a, b bot.OwnerInfo) int { return strings.Compare(a.UserID, b.UserID) })
		if diff := gocmp.Diff(want, owners); diff != "" {
			t.Errorf("getOwners mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestListRunsSort(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		names := []string{"charlie", "alpha", "echo", "bravo", "delta"}
		for i, name := range names {
			var r bot.Run
			e.call(t, "POST", "/runs", map[string]any{"name": name, "playbook_id": pb, "owner_user_id": bot.NewID()}).
				want(t, http.StatusCreated).decode(t, &r)
			if i%2 == 0 {
				e.call(t, "PUT", "/runs/"+r.ID+"/end", nil).want(t, http.StatusOK)
			}
		}
		keys := map[string]func(a, b bot.Run) int{
			"id":            func(a, b bot.Run) int { return strings.Compare(a.ID, b.ID) },
			"name":          func(a, b bot.Run) int { return strings.Compare(a.Name, b.Name) },
			"is_active":     func(a, b bot.Run) int { return cmp.Compare(boolInt(a.IsActive), boolInt(b.IsActive)) },
			"create_at":     func(a, b bot.Run) int { return cmp.Compare(a.CreateAt, b.CreateAt) },
			"end_at":        func(a, b bot.Run) int { return cmp.Compare(a.EndAt, b.EndAt) },
			"team_id":       func(a, b bot.Run) int { return strings.Compare(a.TeamID, b.TeamID) },
			"owner_user_id": func(a, b bot.Run) int { return strings.Compare(a.OwnerUserID, b.OwnerUserID) },
		}
		for _, field := range bot.RunSortFields {
			for _, dir := range []string{"asc", "desc", ""} {
				t.Run(field+" "+dir, func(t *testing.T) {
					var l bot.RunList
					e.call(t, "GET", fmt.Sprintf("/runs?team_id=%s&statuses=InProgress,Finished&sort=%s&direction=%s", e.teamID, field, dir), nil).
						want(t, http.StatusOK).decode(t, &l)
					if len(l.Items) != len(names) {
						t.Fatalf("got %d runs, want %d", len(l.Items), len(names))
					}
					order := keys[field]
					if dir == "" || dir == "desc" { // desc is the default
						order = func(a, b bot.Run) int { return keys[field](b, a) }
					}
					if !slices.IsSortedFunc(l.Items, order) {
						t.Errorf("runs are not sorted by %s %s: %v", field, dir, runNames(l.Items))
					}
				})
			}
		}
		var l bot.RunList
		e.call(t, "GET", "/runs?team_id="+e.teamID+"&statuses=InProgress,Finished&sort=name&direction=asc", nil).want(t, http.StatusOK).decode(t, &l)
		if diff := gocmp.Diff([]string{"alpha", "bravo", "charlie", "delta", "echo"}, runNames(l.Items)); diff != "" {
			t.Errorf("sort by name mismatch (-want +got):\n%s", diff)
		}
		e.call(t, "GET", "/runs?team_id="+e.teamID+"&statuses=InProgress,Finished", nil).want(t, http.StatusOK).decode(t, &l)
		if diff := gocmp.Diff([]string{"delta", "bravo", "echo", "alpha", "charlie"}, runNames(l.Items)); diff != "" {
			t.Errorf("default sort (create_at desc) mismatch (-want +got):\n%s", diff)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runNames(rs []bot.Run) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestListRunsPaging(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		var all []string
		for i := range 5 {
			all = append(all, e.createRun(t, pb, fmt.Sprintf("run %d", i)).ID)
		}
		slices.Reverse(all) // newest first, the default order
		for _, tt := range []struct {
			name                 string
			page, perPage        int
			wantItems, wantPages int
			wantHasMore          bool
			wantFirst            int // index in all of the first item
		}{
			{name: "first of three", page: 0, perPage: 2, wantItems: 2, wantPages: 3, wantHasMore: true, wantFirst: 0},
			{name: "second of three", page: 1, perPage: 2, wantItems: 2, wantPages: 3, wantHasMore: true, wantFirst: 2},
			{name: "last of three", page: 2, perPage: 2, wantItems: 1, wantPages: 3, wantHasMore: false, wantFirst: 4},
			{name: "past the end", page: 3, perPage: 2, wantItems: 0, wantPages: 3, wantHasMore: false},
			{name: "exactly one page", page: 0, perPage: 5, wantItems: 5, wantPages: 1, wantHasMore: false, wantFirst: 0},
			{name: "default page size", page: 0, perPage: 0, wantItems: 5, wantPages: 1, wantHasMore: false, wantFirst: 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var l bot.RunList
				e.call(t, "GET", fmt.Sprintf("/runs?team_id=%s&page=%d&per_page=%d", e.teamID, tt.page, tt.perPage), nil).
					want(t, http.StatusOK).decode(t, &l)
				if l.TotalCount != 5 || l.PageCount != tt.wantPages || l.HasMore != tt.wantHasMore || len(l.Items) != tt.wantItems {
					t.Errorf("got total_count %d, page_count %d, has_more %v, %d items; want 5, %d, %v, %d",
						l.TotalCount, l.PageCount, l.HasMore, len(l.Items), tt.wantPages, tt.wantHasMore, tt.wantItems)
				}
				if len(l.Items) > 0 && l.Items[0].ID != all[tt.wantFirst] {
					t.Errorf("got first run %s, want %s", l.Items[0].ID, all[tt.wantFirst])
				}
			})
		}
	})
}

func TestDialogRunOwner(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		owner := bot.NewID()
		withDefault := e.playbookBody("With default owner")
		withDefault["default_owner_id"], withDefault["default_owner_enabled"] = owner, "true"
		disabled := e.playbookBody("Default owner disabled")
		disabled["default_owner_id"], disabled["default_owner_enabled"] = owner, false
		for _, tt := range []struct {
			name      string
			playbook  map[string]any
			wantOwner string
		}{
			{name: "default owner", playbook: withDefault, wantOwner: owner},
			{name: "caller", playbook: disabled, wantOwner: e.userID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				pb := e.createPlaybook(t, tt.playbook)
				var r bot.Run
				e.call(t, "POST", "/runs/dialog", map[string]any{
					"user_id":    bot.NewID(), // ignored: the token says who acts
					"submission": map[string]any{"playbookID": pb, "playbookRunName": tt.name},
				}).want(t, http.StatusCreated).decode(t, &r)
				if r.OwnerUserID != tt.wantOwner || r.ReporterUserID != e.userID {
					t.Errorf("got owner %s, reporter %s; want %s, %s", r.OwnerUserID, r.ReporterUserID, tt.wantOwner, e.userID)
				}
			})
		}
	})
}

func TestEndRun(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		run := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Outage").ID
		e.call(t, "POST", "/runs/"+run+"/end", map[string]any{"cancelled": true}).want(t, http.StatusOK)
		if !e.getRun(t, run).IsActive {
			t.Fatalf("a cancelled end dialog ended the run")
		}
		e.call(t, "POST", "/runs/"+run+"/end", nil).want(t, http.StatusOK)
		// Finishing an ended run is a no-op, as in the plugin: no new event.
		before := len(e.getRun(t, run).TimelineEvents)
		e.call(t, "PUT", "/runs/"+run+"/finish", nil).want(t, http.StatusOK)
		if after := len(e.getRun(t, run).TimelineEvents); after != before {
			t.Errorf("finishing an ended run wrote %d events, want none", after-before)
		}
		e.call(t, "PUT", "/runs/"+run+"/restart", nil).want(t, http.StatusOK)
		e.call(t, "PUT", "/runs/"+run+"/restart", nil).want(t, http.StatusOK)
		if r := e.getRun(t, run); !r.IsActive || r.CurrentStatus != bot.StatusInProgress || r.EndAt != 0 {
			t.Errorf("after restart: got is_active %v, current_status %q, end_at %d", r.IsActive, r.CurrentStatus, r.EndAt)
		}
	})
}
