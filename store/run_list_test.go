package store_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store"
)

// seedRuns stores five runs of team1 and one of team2 and returns team1's,
// in creation order. Names are lower case so that every collation orders
// them alike.
func seedRuns(t *testing.T, db *store.DB) []bot.Run {
	t.Helper()
	ctx := context.Background()
	mk := func(id, name, owner string, active bool, createAt, endAt int64, channel string, participants ...string) bot.Run {
		r := testRun(id, "team1", name, owner)
		r.IsActive, r.CreateAt, r.EndAt, r.ChannelID = active, createAt, endAt, channel
		r.CurrentStatus = bot.StatusFinished
		if active {
			r.CurrentStatus = bot.StatusInProgress
		}
		r.ParticipantIDs = append([]string{owner}, participants...)
		slices.Sort(r.ParticipantIDs)
		return r
	}
	runs := []bot.Run{
		mk("r1", "alpha incident", "o1", true, 100, 0, "c1", "u1"),
		mk("r2", "bravo outage", "o2", false, 200, 250, "c2"),
		mk("r3", "charlie 100% down", "o1", true, 300, 0, "", "u2"),
		mk("r4", "delta_x", "o3", false, 400, 450, "c4", "u1"),
		mk("r5", "echo", "o2", true, 500, 0, "c5"),
	}
	runs[4].Public = true // r5's channel is public
	other := mk("r9", "alpha elsewhere", "o9", true, 150, 0, "c9", "u1")
	other.TeamID = "team2"
	for _, r := range append(slices.Clone(runs), other) {
		if err := db.CreateRun(ctx, r, []bot.TimelineEvent{testEvent("ev-"+r.ID, r.CreateAt, r.CreateAt)}); err != nil {
			t.Fatal(err)
		}
	}
	// One run with a status update, to see that lists carry them.
	_, err := db.UpdateRun(ctx, "r2", func(r *bot.Run) (bot.RunChange, error) {
		return bot.RunChange{StatusUpdate: &bot.StatusUpdate{ID: "su-r2", UserID: "o2", Message: "done", CreateAt: 260}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs { // as Run returns them
		if runs[i], err = db.Run(ctx, runs[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	return runs
}

// withoutHistory returns copies of runs without their status updates and
// timeline, as lists return them by default.
func withoutHistory(runs []bot.Run) []bot.Run {
	out := slices.Clone(runs)
	for i := range out {
		out[i].StatusUpdates, out[i].TimelineEvents = nil, nil
		out[i].StatusUpdatesTotal, out[i].TimelineEventsTotal = 0, 0
	}
	return out
}

func runIDs(runs []bot.Run) []string {
	ids := []string{}
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// compareRuns orders runs as ListRuns does for the sort field, before the
// tie-break by ID.
func compareRuns(field string, a, b bot.Run) int {
	switch field {
	case "id":
		return 0
	case "name":
		return cmp.Compare(a.Name, b.Name)
	case "is_active":
		return cmp.Compare(boolInt(a.IsActive), boolInt(b.IsActive))
	case "create_at":
		return cmp.Compare(a.CreateAt, b.CreateAt)
	case "end_at":
		return cmp.Compare(a.EndAt, b.EndAt)
	case "team_id":
		return cmp.Compare(a.TeamID, b.TeamID)
	case "owner_user_id":
		return cmp.Compare(a.OwnerUserID, b.OwnerUserID)
	}
	panic("unknown sort field " + field)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestListRunsFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		runs := seedRuns(t, db)
		for _, tt := range []struct {
			name string
			f    bot.RunFilter
			want []string
		}{
			{"team only", bot.RunFilter{}, []string{"r1", "r2", "r3", "r4", "r5"}},
			{"in progress", bot.RunFilter{Statuses: []string{bot.StatusInProgress}}, []string{"r1", "r3", "r5"}},
			{"finished", bot.RunFilter{Statuses: []string{bot.StatusFinished}}, []string{"r2", "r4"}},
			{"both statuses", bot.RunFilter{Statuses: []string{bot.StatusFinished, bot.StatusInProgress}},
				[]string{"r1", "r2", "r3", "r4", "r5"}},
			{"owner", bot.RunFilter{OwnerID: "o1"}, []string{"r1", "r3"}},
			{"participant", bot.RunFilter{ParticipantID: "u1"}, []string{"r1", "r4"}},
			{"owner is a participant", bot.RunFilter{ParticipantID: "o2"}, []string{"r2", "r5"}},
			{"search ignores case", bot.RunFilter{SearchTerm: "ALPHA"}, []string{"r1"}},
			{"search substring", bot.RunFilter{SearchTerm: "o"}, []string{"r2", "r3", "r5"}},
			{"search % is literal", bot.RunFilter{SearchTerm: "%"}, []string{"r3"}},
			{"search _ is literal", bot.RunFilter{SearchTerm: "_"}, []string{"r4"}},
			{"search backslash", bot.RunFilter{SearchTerm: `\`}, []string{}},
			{"all filters", bot.RunFilter{Statuses: []string{bot.StatusInProgress}, OwnerID: "o1",
				ParticipantID: "u2", SearchTerm: "down"}, []string{"r3"}},
			{"visible: in no private channel: public and channel-less only", bot.RunFilter{OnlyVisible: true}, []string{"r3", "r5"}},
			{"visible: in c1 and c4", bot.RunFilter{OnlyVisible: true, VisibleChannelIDs: []string{"c4", "c1"}},
				[]string{"r1", "r3", "r4", "r5"}},
			{"visible: taking part grants nothing", bot.RunFilter{OnlyVisible: true, ParticipantID: "o2"}, []string{"r5"}},
			{"visible: another team's channel widens nothing", bot.RunFilter{OnlyVisible: true, VisibleChannelIDs: []string{"c9"}},
				[]string{"r3", "r5"}},
			{"visible: channel list without OnlyVisible filters nothing", bot.RunFilter{VisibleChannelIDs: []string{"c1"}},
				[]string{"r1", "r2", "r3", "r4", "r5"}},
			{"other team", bot.RunFilter{TeamID: "team2"}, []string{"r9"}},
			{"unknown team", bot.RunFilter{TeamID: "team9"}, []string{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.f
				if f.TeamID == "" {
					f.TeamID = "team1"
				}
				f.Sort, f.Direction, f.PerPage = "create_at", "asc", 100
				got, err := db.ListRuns(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(tt.want, runIDs(got.Items)); diff != "" {
					t.Errorf("IDs mismatch (-want +got):\n%s", diff)
				}
				if got.TotalCount != len(tt.want) {
					t.Errorf("got total %d, want %d", got.TotalCount, len(tt.want))
				}
			})
		}

		// Items are runs without their history, unless asked for: then
		// as Run returns them.
		got, err := db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "asc", PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(withoutHistory(runs), got.Items); diff != "" {
			t.Errorf("listed runs mismatch (-want +got):\n%s", diff)
		}
		got, err = db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "asc", PerPage: 100,
			Include: bot.RunInclude{TimelineEvents: true, StatusUpdates: true}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(runs, got.Items); diff != "" {
			t.Errorf("listed runs with history mismatch (-want +got):\n%s", diff)
		}

		_, err = db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", PerPage: 10, Sort: "name; DROP TABLE runs"})
		wantCode(t, err, bot.EInvalid)
		_, err = db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", PerPage: 10, Direction: "up"})
		wantCode(t, err, bot.EInvalid)
	})
}

func TestListRunsSort(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		runs := seedRuns(t, db)
		for _, field := range bot.RunSortFields {
			for _, dir := range []string{"asc", "desc"} {
				t.Run(field+" "+dir, func(t *testing.T) {
					want := slices.Clone(runs)
					slices.SortFunc(want, func(a, b bot.Run) int {
						c := cmp.Or(compareRuns(field, a, b), cmp.Compare(a.ID, b.ID))
						if dir == "desc" {
							return -c
						}
						return c
					})
					got, err := db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", Sort: field, Direction: dir, PerPage: 100})
					if err != nil {
						t.Fatal(err)
					}
					if diff := gocmp.Diff(runIDs(want), runIDs(got.Items)); diff != "" {
						t.Errorf("order mismatch (-want +got):\n%s", diff)
					}
					channels, err := db.RunChannels(ctx, bot.RunFilter{TeamID: "team1", Sort: field, Direction: dir, PerPage: 1})
					if err != nil {
						t.Fatal(err)
					}
					var wantChannels []string
					for _, r := range want {
						if r.ChannelID != "" {
							wantChannels = append(wantChannels, r.ChannelID)
						}
					}
					if diff := gocmp.Diff(wantChannels, channels); diff != "" {
						t.Errorf("RunChannels mismatch (-want +got):\n%s", diff)
					}
				})
			}
		}
	})
}

func TestListRunsPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedRuns(t, db)
		for _, tt := range []struct {
			page, perPage int
			want          []string
			wantPages     int
			wantMore      bool
		}{
			{0, 2, []string{"r5", "r4"}, 3, true},
			{1, 2, []string{"r3", "r2"}, 3, true},
			{2, 2, []string{"r1"}, 3, false},
			{3, 2, []string{}, 3, false},
			{0, 5, []string{"r5", "r4", "r3", "r2", "r1"}, 1, false},
			{1, 4, []string{"r1"}, 2, false},
			{0, 1, []string{"r5"}, 5, true},
		} {
			f := bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "desc", Page: tt.page, PerPage: tt.perPage}
			got, err := db.ListRuns(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, runIDs(got.Items)); diff != "" {
				t.Errorf("page %d of %d: IDs mismatch (-want +got):\n%s", tt.page, tt.perPage, diff)
			}
			if got.Items == nil {
				t.Errorf("page %d of %d: got nil Items, want an empty slice", tt.page, tt.perPage)
			}
			if got.TotalCount != 5 || got.PageCount != tt.wantPages || got.HasMore != tt.wantMore {
				t.Errorf("page %d of %d: got total %d, pages %d, has_more %t; want 5, %d, %t", tt.page, tt.perPage,
					got.TotalCount, got.PageCount, got.HasMore, tt.wantPages, tt.wantMore)
			}
		}
	})
}

// TestListRunsVisibilityPaging: runs hidden by visibility are neither
// on a page nor in the counts.
func TestListRunsVisibilityPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedRuns(t, db)
		// Visible: r1 (in c1), r3 (no channel), r5 (public); hidden: r2, r4.
		for _, tt := range []struct {
			page      int
			want      []string
			wantPages int
			wantMore  bool
		}{
			{0, []string{"r5", "r3"}, 2, true},
			{1, []string{"r1"}, 2, false},
			{2, []string{}, 2, false},
		} {
			got, err := db.ListRuns(ctx, bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "desc",
				Page: tt.page, PerPage: 2, OnlyVisible: true, VisibleChannelIDs: []string{"c1"}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, runIDs(got.Items)); diff != "" {
				t.Errorf("page %d: IDs mismatch (-want +got):\n%s", tt.page, diff)
			}
			if got.TotalCount != 3 || got.PageCount != tt.wantPages || got.HasMore != tt.wantMore {
				t.Errorf("page %d: got total %d, pages %d, has_more %t; want 3, %d, %t", tt.page,
					got.TotalCount, got.PageCount, got.HasMore, tt.wantPages, tt.wantMore)
			}
		}
	})
}

func TestPrivateRunChannels(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedRuns(t, db)
		// A private run of another platform, to see the platform come back.
		slack := testRun("r6", "team1", "foxtrot", "o4")
		slack.ChannelID, slack.Platform = "c6", "slack"
		if err := db.CreateRun(ctx, slack, nil); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			f    bot.RunFilter
			want []bot.RunChannel
		}{
			{"team: private runs with a channel, not r3 (none) nor r5 (public)", bot.RunFilter{TeamID: "team1"},
				[]bot.RunChannel{{ChannelID: "c1"}, {ChannelID: "c2"}, {ChannelID: "c4"}, {ChannelID: "c6", Platform: "slack"}}},
			{"filtered like the list", bot.RunFilter{TeamID: "team1", Statuses: []string{bot.StatusFinished}, ParticipantID: "u1"},
				[]bot.RunChannel{{ChannelID: "c4"}}},
			{"visibility and paging ignored", bot.RunFilter{TeamID: "team1", OwnerID: "o1", OnlyVisible: true, Page: 3, PerPage: 1},
				[]bot.RunChannel{{ChannelID: "c1"}}},
			{"other team", bot.RunFilter{TeamID: "team2"}, []bot.RunChannel{{ChannelID: "c9"}}},
			{"unknown team", bot.RunFilter{TeamID: "team9"}, []bot.RunChannel{}},
		} {
			got, err := db.PrivateRunChannels(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

func TestRunOwnersAndChannels(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedRuns(t, db)
		for _, tt := range []struct {
			name string
			f    bot.RunFilter
			want []string
		}{
			{"team1", bot.RunFilter{TeamID: "team1"}, []string{"o1", "o2", "o3"}},
			{"team2", bot.RunFilter{TeamID: "team2"}, []string{"o9"}},
			{"team9", bot.RunFilter{TeamID: "team9"}, []string{}},
			// o3 owns only r4, private to c4; o1 owns r3, which has no channel.
			{"visible: in no private channel", bot.RunFilter{TeamID: "team1", OnlyVisible: true}, []string{"o1", "o2"}},
			{"visible: in c4", bot.RunFilter{TeamID: "team1", OnlyVisible: true, VisibleChannelIDs: []string{"c4"}},
				[]string{"o1", "o2", "o3"}},
			{"other filters ignored", bot.RunFilter{TeamID: "team1", OwnerID: "o9", Statuses: []string{bot.StatusFinished}},
				[]string{"o1", "o2", "o3"}},
		} {
			got, err := db.RunOwners(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RunOwners %s mismatch (-want +got):\n%s", tt.name, diff)
			}
		}

		for _, tt := range []struct {
			name string
			f    bot.RunFilter
			want []string
		}{
			{"all pages, in order", bot.RunFilter{TeamID: "team1", Sort: "create_at", Direction: "desc", Page: 1, PerPage: 1},
				[]string{"c5", "c4", "c2", "c1"}},
			{"filtered", bot.RunFilter{TeamID: "team1", Statuses: []string{bot.StatusInProgress}, Sort: "create_at", PerPage: 1},
				[]string{"c1", "c5"}},
			{"none", bot.RunFilter{TeamID: "team9", PerPage: 1}, []string{}},
			{"visible: in c2", bot.RunFilter{TeamID: "team1", Sort: "create_at", OnlyVisible: true, VisibleChannelIDs: []string{"c2"}},
				[]string{"c2", "c5"}},
		} {
			got, err := db.RunChannels(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RunChannels %s mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}
