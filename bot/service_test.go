package bot

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if !ValidID(id) {
			t.Fatalf("NewID() = %q, not a valid ID", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
	// IDs are opaque to the core: each platform checks its own shapes
	// (mattermost.ValidID, slack.ValidID).
	for _, good := range []string{"U024BE7LH", "T061EG9R6", "C2147483705", "W0123ABCD", "u024be7lh", "a", "29_a-b", strings.Repeat("a", MaxIDLen)} {
		if !ValidID(good) {
			t.Errorf("ValidID(%q) = false, want true", good)
		}
	}
	for _, bad := range []string{"", strings.Repeat("a", MaxIDLen+1), "U024BE7LH!", "a b", "a\x00b", "\xff\xfe", "é", "../x", "a.b"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true, want false", bad)
		}
	}
	if !OwnID(NewID()) || OwnID("U024BE7LH") || OwnID(strings.Repeat("a", 27)) {
		t.Error("OwnID accepts other than the 26-character IDs NewID makes")
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"nil", nil, "", ""},
		{"bot error", Errorf(ENotFound, "run %s not found", "x"), ENotFound, "run x not found"},
		{"wrapped", fmt.Errorf("load: %w", FieldErrorf("title", "title is required")), EInvalid, "title is required"},
		{"other", errors.New("pq: connection refused"), EInternal, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := ErrorMessage(tt.err); got != tt.msg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.msg)
			}
		})
	}
}

func TestCheckPage(t *testing.T) {
	tests := []struct {
		name          string
		page, perPage int
		want          int
		wantErr       string // field named in the error, "" for none
	}{
		{"default per page", 0, 0, MaxPerPage, ""},
		{"explicit", 3, 50, 50, ""},
		{"max", 0, MaxPerPage, MaxPerPage, ""},
		{"negative page", -1, 10, 0, "page"},
		{"negative per page", 0, -1, 0, "per_page"},
		{"absurd per page", 0, 1 << 30, 0, "per_page"},
		{"offset overflows", math.MaxInt64, MaxPerPage, 0, "page"},
		{"offset wraps negative", math.MaxInt64/MaxPerPage + 1, MaxPerPage, 0, "page"},
		{"default per page overflows", math.MaxInt64, 0, 0, "page"},
		{"past any result", MaxPageOffset + 1, 1, 0, "page"},
		{"last possible page", MaxPageOffset / MaxPerPage, MaxPerPage, MaxPerPage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkPage(tt.page, tt.perPage)
			var e *Error
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("checkPage(%d, %d) error %v, want none", tt.page, tt.perPage, err)
			case tt.wantErr != "" && (!errors.As(err, &e) || e.Field != tt.wantErr):
				t.Fatalf("checkPage(%d, %d) error %v, want one about %s", tt.page, tt.perPage, err, tt.wantErr)
			case tt.wantErr == "" && got != tt.want:
				t.Errorf("checkPage(%d, %d) = %d, want %d", tt.page, tt.perPage, got, tt.want)
			}
		})
	}
}

func TestPreparePlaybook(t *testing.T) {
	team, user := NewID(), NewID()
	valid := func() Playbook {
		return Playbook{Title: "Outage", TeamID: team, Checklists: []Checklist{
			{Title: "Triage", Items: []ChecklistItem{{Title: "Page", State: ItemClosed, StateModified: 5}, {Title: "Bridge", Command: "/zoom start"}}},
			{Title: "Fix"},
		}}
	}
	tests := []struct {
		name   string
		change func(*Playbook)
		field  string // "" when valid
	}{
		{"valid", func(*Playbook) {}, ""},
		{"no title", func(p *Playbook) { p.Title = "  " }, "title"},
		{"long title", func(p *Playbook) { p.Title = strings.Repeat("x", MaxTitleLen+1) }, "title"},
		{"bad team", func(p *Playbook) { p.TeamID = "team.1" }, "team_id"},
		{"nil checklists", func(p *Playbook) { p.Checklists = nil }, "checklists"},
		{"untitled checklist", func(p *Playbook) { p.Checklists[1].Title = "" }, "checklists.title"},
		{"untitled item", func(p *Playbook) { p.Checklists[0].Items[0].Title = "" }, "title"},
		{"command without slash", func(p *Playbook) { p.Checklists[0].Items[1].Command = "zoom" }, "command"},
		{"bad member", func(p *Playbook) { p.MemberIDs = []string{"no pe"} }, "member_ids"},
		{"default owner enabled without id", func(p *Playbook) { p.DefaultOwnerEnabled = true }, "default_owner_id"},
		{"default owner", func(p *Playbook) { p.DefaultOwnerEnabled, p.DefaultOwnerID = true, user }, ""},
		{"announcement enabled without channel", func(p *Playbook) { p.AnnouncementChannelEnabled = true }, "announcement_channel_id"},
		{"webhook not http", func(p *Playbook) { p.WebhookOnCreationURL = "ftp://x" }, "webhook_on_creation_url"},
		{"webhook relative", func(p *Playbook) { p.WebhookOnStatusUpdateURL = "/hook" }, "webhook_on_status_update_url"},
		{"webhook enabled without url", func(p *Playbook) { p.WebhookOnStatusUpdateEnabled = true }, "webhook_on_status_update_url"},
		{"invalid utf8", func(p *Playbook) { p.Description = "\xff" }, "description"},
		{"NUL in title", func(p *Playbook) { p.Title = "a\x00b" }, "title"},
		{"NUL in item description", func(p *Playbook) { p.Checklists[0].Items[0].Description = "\x00" }, "description"},
		{"too many items", func(p *Playbook) {
			for range 3 {
				p.Checklists = append(p.Checklists, Checklist{Title: "more", Items: make([]ChecklistItem, MaxItems/3+1)})
			}
		}, "checklists"},
		{"too many in one checklist", func(p *Playbook) { p.Checklists[1].Items = make([]ChecklistItem, MaxItemsPerList+1) }, "checklists.items"},
	}
	s := NewService(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(&p)
			err := s.preparePlaybook(&p)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("preparePlaybook: %v, want no error", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != EInvalid || e.Field != tt.field {
				t.Fatalf("preparePlaybook error = %v, want EInvalid about %s", err, tt.field)
			}
		})
	}

	p := valid()
	p.MemberIDs = []string{user, user}
	if err := s.preparePlaybook(&p); err != nil {
		t.Fatal(err)
	}
	if p.NumStages != 2 || p.NumSteps != 2 {
		t.Errorf("stages, steps = %d, %d, want 2, 2", p.NumStages, p.NumSteps)
	}
	if diff := cmp.Diff([]string{user}, p.MemberIDs); diff != "" {
		t.Errorf("member_ids not deduplicated (-want +got):\n%s", diff)
	}
	it := p.Checklists[0].Items[0]
	if it.State != ItemOpen || it.StateModified != 0 || !ValidID(it.ID) {
		t.Errorf("template item = %+v, want open, never modified, with an ID", it)
	}
	if p.Checklists[1].Items == nil {
		t.Errorf("empty checklist has nil items, want [] in JSON")
	}
}

func TestCopyChecklists(t *testing.T) {
	src := []Checklist{{ID: "a", Title: "T", Items: []ChecklistItem{{ID: "b", Title: "I", State: ItemClosed}}}}
	got := copyChecklists(src, NewID)
	got[0].Items[0].Title = "changed"
	if src[0].Items[0].Title != "I" {
		t.Errorf("copy shares items with its source")
	}
	if got[0].ID == "a" || got[0].Items[0].ID == "b" || got[0].Items[0].State != ItemOpen {
		t.Errorf("copy = %+v, want new IDs and open items", got)
	}
}

func TestActorCanTeam(t *testing.T) {
	a, b := NewID(), NewID()
	if !(Actor{TeamIDs: []string{a}}).CanTeam(a) || (Actor{TeamIDs: []string{a}}).CanTeam(b) {
		t.Errorf("team-limited actor: want access to its team only")
	}
	if !(Actor{Admin: true}).CanTeam(b) {
		t.Errorf("admin: want access to every team")
	}
}
