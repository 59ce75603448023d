package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

// hostileInputs are requests whose text or IDs no store may be asked to
// hold or look up: NUL (which Postgres refuses and SQLite keeps), bytes
// that are not UTF-8, IDs of the wrong shape, pages past any result. Each
// must get 400 naming the field, the same on every store. In path, {run},
// {pb}, {team}, {chan} are a run, a playbook, the team and the run's channel;
// in a body, \u0000 is JSON's NUL and \xff a byte that is not UTF-8.
func hostileInputs() []badInput {
	pbBody := func(field, value string) string {
		b := map[string]string{"title": `"a"`, "description": `"d"`, "checklists": `[{"title":"c","items":[{"title":"i","description":"x","command":"/c"}]}]`}
		switch field {
		case "checklists.title":
			b["checklists"] = `[{"title":` + value + `,"items":[]}]`
		case "checklists.items.title", "checklists.items.description", "checklists.items.command":
			f := strings.TrimPrefix(field, "checklists.items.")
			b["checklists"] = `[{"title":"c","items":[{"title":"i","` + f + `":` + value + `}]}]`
		default:
			b[field] = value
		}
		return `{"title":` + b["title"] + `,"description":` + b["description"] + `,"team_id":"{team}","create_public_playbook_run":true,"checklists":` + b["checklists"] + `}`
	}
	var out []badInput
	add := func(name, method, path, body, field string) {
		out = append(out, badInput{name: name, method: method, path: path, body: body, status: 400, field: field})
	}
	for _, v := range []struct{ name, json string }{{"NUL", `"a\u0000b"`}, {"not UTF-8", "\"a\xffb\""}} {
		// Bodies.
		for _, f := range []string{"title", "description", "checklists.title", "checklists.items.title", "checklists.items.description", "checklists.items.command"} {
			field := f
			if v.name == "NUL" && strings.HasPrefix(f, "checklists.items.") {
				field = strings.TrimPrefix(f, "checklists.items.") // the Service names an item's own field
			}
			if v.name == "NUL" && f == "checklists.items.command" {
				continue // a command must start with /, checked first
			}
			add(v.name+" in playbook "+f, "POST", "/playbooks", pbBody(f, v.json), field)
			add(v.name+" in playbook update "+f, "PUT", "/playbooks/{pb}", pbBody(f, v.json), field)
		}
		add(v.name+" in run name", "POST", "/runs", `{"name":`+v.json+`,"playbook_id":"{pb}"}`, "name")
		add(v.name+" in run description", "POST", "/runs", `{"name":"a","description":`+v.json+`,"playbook_id":"{pb}"}`, "description")
		add(v.name+" in status message", "POST", "/runs/{run}/status", `{"message":`+v.json+`}`, "message")
		add(v.name+" in new item title", "POST", "/runs/{run}/checklists/0/add", `{"title":`+v.json+`}`, "title")
		add(v.name+" in new item description", "POST", "/runs/{run}/checklists/0/add", `{"title":"a","description":`+v.json+`}`, "description")
		add(v.name+" in renamed item title", "PUT", "/runs/{run}/checklists/0/item/0", `{"title":`+v.json+`,"command":""}`, "title")
		add(v.name+" in new state", "PUT", "/runs/{run}/checklists/0/item/0/state", `{"new_state":`+v.json+`}`, "new_state")
		add(v.name+" in assignee", "PUT", "/runs/{run}/checklists/0/item/0/assignee", `{"assignee_id":`+v.json+`}`, "assignee_id")
		add(v.name+" in owner", "POST", "/runs/{run}/owner", `{"owner_id":`+v.json+`}`, "owner_id")
	}
	// Query strings.
	for _, v := range []struct{ name, esc string }{{"NUL", "%00"}, {"not UTF-8", "%FF"}} {
		add(v.name+" in search_term", "GET", "/runs?team_id={team}&search_term=a"+v.esc, "", "search_term")
		add(v.name+" in channels search_term", "GET", "/runs/channels?team_id={team}&search_term=a"+v.esc, "", "search_term")
		add(v.name+" in team_id", "GET", "/runs?team_id={team}"+v.esc, "", "team_id")
		add(v.name+" in owner_user_id", "GET", "/runs?team_id={team}&owner_user_id=a"+v.esc, "", "owner_user_id")
		add(v.name+" in participant_id", "GET", "/runs?team_id={team}&participant_id=a"+v.esc, "", "participant_id")
		add(v.name+" in owners team_id", "GET", "/runs/owners?team_id=a"+v.esc, "", "team_id")
		add(v.name+" in playbooks team_id", "GET", "/playbooks?team_id=a"+v.esc, "", "team_id")
		add(v.name+" in autocomplete channel", "GET", "/runs/checklist-autocomplete?channel_ID={chan}"+v.esc, "", "channel_id")
	}
	// Path IDs this server makes: NUL, not UTF-8, and the wrong shape, on every route with one.
	for _, bad := range []string{"%00", "a%00b", "%FF", "%C3%28", "bob", strings.Repeat("a", 27)} {
		run := "/runs/" + bad
		for _, r := range []struct{ method, path, body string }{
			{"GET", run, ""}, {"PATCH", run, `{"active_stage":0}`}, {"GET", run + "/metadata", ""},
			{"PUT", run + "/end", ""}, {"POST", run + "/end", ""}, {"PUT", run + "/restart", ""},
			{"POST", run + "/status", `{"message":"a"}`}, {"PUT", run + "/finish", ""},
			{"POST", run + "/owner", `{"owner_id":"{team}"}`}, {"POST", run + "/next-stage-dialog", `{"state":"0"}`},
			{"POST", run + "/checklists/0/add", `{"title":"a"}`}, {"PUT", run + "/checklists/0/reorder", `{"item_num":0,"new_location":0}`},
			{"PUT", run + "/checklists/0/item/0", `{"title":"a","command":""}`}, {"DELETE", run + "/checklists/0/item/0", ""},
			{"PUT", run + "/checklists/0/item/0/state", `{"new_state":"closed"}`},
			{"PUT", run + "/checklists/0/item/0/assignee", `{"assignee_id":""}`},
			{"PUT", run + "/checklists/0/item/0/run", ""},
			{"GET", run + "/timeline", ""},
		} {
			add(fmt.Sprintf("run id %s: %s %s", bad, r.method, strings.TrimPrefix(r.path, run)), r.method, r.path, r.body, "id")
		}
		add("event id "+bad, "DELETE", "/runs/{run}/timeline/"+bad+"/", "", "event_id")
		pb := "/playbooks/" + bad
		for _, r := range []struct{ method, path, body string }{
			{"GET", pb, ""}, {"DELETE", pb, ""}, {"GET", pb + "/autofollows", ""},
			{"PUT", pb, `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[]}`},
			{"PUT", pb + "/autofollows/{team}", ""}, {"DELETE", pb + "/autofollows/{team}", ""},
		} {
			add(fmt.Sprintf("playbook id %s: %s %s", bad, r.method, strings.TrimPrefix(r.path, pb)), r.method, r.path, r.body, "id")
		}
	}
	// Chat IDs are opaque to the core (each platform checks its own shapes):
	// NUL, not UTF-8, other characters and too long.
	for _, bad := range []string{"%00", "a%00b", "%FF", "%C3%28", "bob.smith", strings.Repeat("a", bot.MaxIDLen+1)} {
		add("channel id "+bad, "GET", "/runs/channel/"+bad, "", "channel_id")
		add("follower id "+bad, "PUT", "/playbooks/{pb}/autofollows/"+bad, "", "user_id")
	}
	// Pages that overflow the offset or ask past any possible result.
	for _, list := range []string{"/runs", "/playbooks"} {
		for _, q := range []string{
			"page=9223372036854775807&per_page=1000", "page=9223372036854775807", "page=18446744073709551616",
			"page=9223372036854776&per_page=1000", // page × per_page wraps to a negative offset
			fmt.Sprintf("page=%d&per_page=1", bot.MaxPageOffset+1),
			fmt.Sprintf("page=%d&per_page=1000", bot.MaxPageOffset/1000+1),
		} {
			add(list+" "+q, "GET", list+"?team_id={team}&"+q, "", "page")
		}
	}
	return out
}

// TestHostileInput checks that text and IDs no store can take, and pages
// past any result, get 400 naming the field on both stores, change
// nothing, and log no internal error.
func TestHostileInput(t *testing.T) {
	forEachKind(t, fakeChat{}, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		r := e.createRun(t, pb, "Outage run")
		before := snapshot(t, e, r.ID, pb)
		ids := strings.NewReplacer("{run}", r.ID, "{pb}", pb, "{team}", e.teamID, "{chan}", r.ChannelID)
		for _, tt := range hostileInputs() {
			t.Run(tt.name, func(t *testing.T) {
				var body any
				if tt.body != nil && tt.body != "" {
					body = ids.Replace(tt.body.(string))
				}
				res := e.call(t, tt.method, ids.Replace(tt.path), body)
				got := res.wantError(t, tt.status)
				if !strings.Contains(got.Details, "field "+tt.field) {
					t.Errorf("got %+v, want details naming field %s", got, tt.field)
				}
			})
		}
		if diff := cmp.Diff(before, snapshot(t, e, r.ID, pb)); diff != "" {
			t.Errorf("state changed (-before +after):\n%s", diff)
		}
		for _, l := range e.logs.lines(t) {
			if s, _ := l["status"].(float64); s >= 500 {
				t.Errorf("logged a %v: %v", s, l)
			}
		}
	})
}

// TestLastPage checks that has_more is false on the last page and on any
// page past it, on both stores, so a client paging until has_more is false
// stops.
func TestLastPage(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		for i := range 3 {
			e.createRun(t, pb, fmt.Sprintf("Run %d", i))
			if i > 0 {
				e.createPlaybook(t, e.playbookBody(fmt.Sprintf("Outage %d", i)))
			}
		}
		for _, list := range []string{"/runs", "/playbooks"} {
			for _, tt := range []struct {
				page, items int
				more        bool
			}{{0, 2, true}, {1, 1, false}, {2, 0, false}, {bot.MaxPageOffset / 2, 0, false}} {
				var got struct {
					TotalCount int   `json:"total_count"`
					HasMore    bool  `json:"has_more"`
					Items      []any `json:"items"`
				}
				e.call(t, "GET", fmt.Sprintf("%s?team_id=%s&per_page=2&page=%d", list, e.teamID, tt.page), nil).want(t, http.StatusOK).decode(t, &got)
				if got.TotalCount != 3 || got.HasMore != tt.more || len(got.Items) != tt.items {
					t.Errorf("%s page %d: got total %d, has_more %t, %d items; want 3, %t, %d",
						list, tt.page, got.TotalCount, got.HasMore, len(got.Items), tt.more, tt.items)
				}
			}
		}
	})
}
