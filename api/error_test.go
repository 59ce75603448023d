package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/playbooks-bot/playbooks/bot"
)

// badInput is a request that must fail and change nothing. In path, {run}
// and {pb} are a run and a playbook, {new} an ID of nothing.
type badInput struct {
	name   string
	method string
	path   string
	body   any
	auth   string // "" e's token; or none, garbage, revoked, basic, other-team
	status int
	want   string // in the error message
	field  string // the field the details name
}

func TestBadInput(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		run := e.createRun(t, pb, "Outage run").ID
		secret, tok, err := e.svc.CreateToken(context.Background(), e.userID, []string{e.teamID}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RevokeToken(context.Background(), tok.ID); err != nil {
			t.Fatal(err)
		}
		tokens := map[string]string{
			"": e.token, "none": "", "garbage": "pbk_garbage", "revoked": secret,
			"other-team": e.newToken(t, e.userID, bot.NewID()),
		}
		before := snapshot(t, e, run, pb)
		for _, tt := range badInputs() {
			t.Run(tt.name, func(t *testing.T) {
				ids := strings.NewReplacer("{run}", run, "{pb}", pb, "{new}", bot.NewID(), "{team}", e.teamID)
				path, body := ids.Replace(tt.path), tt.body
				if b, ok := body.(string); ok {
					body = ids.Replace(b)
				}
				h := http.Header{}
				switch tt.auth {
				case "none":
				case "basic":
					h.Set("Authorization", "Basic "+e.token)
				default:
					h.Set("Authorization", "Bearer "+tokens[tt.auth])
				}
				r := e.send(t, tt.method, path, h, body)
				got := r.wantError(t, tt.status)
				if !strings.Contains(got.Error, tt.want) {
					t.Errorf("got error %q, want it to contain %q", got.Error, tt.want)
				}
				if tt.field != "" && !strings.Contains(got.Details, "field "+tt.field) {
					t.Errorf("got details %q, want them to name field %s", got.Details, tt.field)
				}
				if tt.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("got WWW-Authenticate %q, want Bearer", r.header.Get("WWW-Authenticate"))
				}
				if diff := cmp.Diff(before, snapshot(t, e, run, pb)); diff != "" {
					t.Errorf("state changed (-before +after):\n%s", diff)
				}
			})
		}
	})
}

// snapshot returns the run and playbook as the API shows them, and the
// numbers of runs and playbooks of the team.
func snapshot(t *testing.T, e *env, run, pb string) map[string]any {
	t.Helper()
	s := map[string]any{}
	for key, path := range map[string]string{
		"run": "/runs/" + run, "playbook": "/playbooks/" + pb,
		"runs":      "/runs?team_id=" + e.teamID + "&statuses=InProgress,Finished",
		"playbooks": "/playbooks?team_id=" + e.teamID + "&with_archived=true",
	} {
		var v map[string]any
		e.call(t, "GET", path, nil).want(t, http.StatusOK).decode(t, &v)
		if key == "runs" || key == "playbooks" {
			s[key] = v["total_count"]
			continue
		}
		s[key] = v
	}
	return s
}

func badInputs() []badInput {
	status := "/runs/{run}/status"
	item := "/runs/{run}/checklists/0/item/0"
	return []badInput{
		// Bodies.
		{name: "malformed JSON", method: "POST", path: status, body: `{"message":`, status: 400, want: "not valid JSON"},
		{name: "JSON syntax error", method: "POST", path: status, body: `{"message" "a"}`, status: 400, want: "not valid JSON"},
		{name: "trailing data", method: "POST", path: status, body: `{"message":"a"} {"message":"b"}`, status: 400, want: "after the JSON object"},
		{name: "empty body", method: "POST", path: status, body: "", status: 400, want: "body is required"},
		{name: "body is an array", method: "POST", path: status, body: `["a"]`, status: 400, want: "must be a JSON object"},
		{name: "body too large", method: "POST", path: status, body: `{"message":"` + strings.Repeat("a", 2<<20) + `"}`, status: 413, want: "too large"},
		{name: "message wrong type", method: "POST", path: status, body: `{"message":5}`, status: 400, want: "message must be a string", field: "message"},
		{name: "message missing", method: "POST", path: status, body: `{"reminder":60}`, status: 400, want: "message is required", field: "message"},
		{name: "message blank", method: "POST", path: status, body: `{"message":"  "}`, status: 400, field: "message"},
		{name: "reminder fraction", method: "POST", path: status, body: `{"message":"a","reminder":1.5}`, status: 400, want: "whole number", field: "reminder"},
		{name: "reminder negative", method: "POST", path: status, body: `{"message":"a","reminder":-60}`, status: 400, field: "reminder"},
		{name: "reminder string", method: "POST", path: status, body: `{"message":"a","reminder":"600"}`, status: 400, want: "reminder must be a number", field: "reminder"},
		{name: "reminder too large", method: "POST", path: status, body: `{"message":"a","reminder":1e12}`, status: 400, field: "reminder"},
		{name: "active_stage missing", method: "PATCH", path: "/runs/{run}", body: `{}`, status: 400, want: "active_stage is required", field: "active_stage"},
		{name: "active_stage string", method: "PATCH", path: "/runs/{run}", body: `{"active_stage":"1"}`, status: 400, want: "active_stage must be an integer", field: "active_stage"},
		{name: "active_stage fraction", method: "PATCH", path: "/runs/{run}", body: `{"active_stage":1.5}`, status: 400, field: "active_stage"},
		{name: "active_stage huge", method: "PATCH", path: "/runs/{run}", body: `{"active_stage":123456789012345678901234567890}`, status: 400, want: "out of range", field: "active_stage"},
		{name: "active_stage out of range", method: "PATCH", path: "/runs/{run}", body: `{"active_stage":9}`, status: 400, field: "active_stage"},
		{name: "active_stage negative", method: "PATCH", path: "/runs/{run}", body: `{"active_stage":-1}`, status: 400, field: "active_stage"},
		{name: "next stage not a number", method: "POST", path: "/runs/{run}/next-stage-dialog", body: `{"state":"abc"}`, status: 400, field: "state"},
		{name: "next stage missing", method: "POST", path: "/runs/{run}/next-stage-dialog", body: `{}`, status: 400, field: "state"},
		{name: "next stage out of range", method: "POST", path: "/runs/{run}/next-stage-dialog", body: `{"state":"7"}`, status: 400},
		{name: "owner_id missing", method: "POST", path: "/runs/{run}/owner", body: `{"owner":"x"}`, status: 400, want: "owner_id is required", field: "owner_id"},
		{name: "owner_id not an ID", method: "POST", path: "/runs/{run}/owner", body: `{"owner_id":"bob.smith"}`, status: 400, field: "owner_id"},

		// Checklist items.
		{name: "new_state missing", method: "PUT", path: item + "/state", body: `{"state":"closed"}`, status: 400, want: "new_state is required", field: "new_state"},
		{name: "new_state unknown", method: "PUT", path: item + "/state", body: `{"new_state":"done"}`, status: 400, field: "new_state"},
		{name: "new_state wrong type", method: "PUT", path: item + "/state", body: `{"new_state":true}`, status: 400, want: "must be a string", field: "new_state"},
		{name: "checklist out of range", method: "PUT", path: "/runs/{run}/checklists/9/item/0/state", body: `{"new_state":"closed"}`, status: 400, field: "checklist"},
		{name: "checklist negative", method: "PUT", path: "/runs/{run}/checklists/-1/item/0/state", body: `{"new_state":"closed"}`, status: 400, field: "checklist"},
		{name: "item out of range", method: "PUT", path: "/runs/{run}/checklists/0/item/99/state", body: `{"new_state":"closed"}`, status: 400, field: "item"},
		{name: "checklist not an integer", method: "PUT", path: "/runs/{run}/checklists/x/item/0/state", body: `{"new_state":"closed"}`, status: 400, want: "checklist must be an integer", field: "checklist"},
		{name: "item not an integer", method: "PUT", path: "/runs/{run}/checklists/0/item/1.5/state", body: `{"new_state":"closed"}`, status: 400, want: "item must be an integer", field: "item"},
		{name: "reorder item_num missing", method: "PUT", path: "/runs/{run}/checklists/0/reorder", body: `{"new_location":1}`, status: 400, want: "item_num is required", field: "item_num"},
		{name: "reorder new_location missing", method: "PUT", path: "/runs/{run}/checklists/0/reorder", body: `{"item_num":1}`, status: 400, want: "new_location is required", field: "new_location"},
		{name: "reorder new_location out of range", method: "PUT", path: "/runs/{run}/checklists/0/reorder", body: `{"item_num":0,"new_location":9}`, status: 400, field: "new_location"},
		{name: "reorder item_num string", method: "PUT", path: "/runs/{run}/checklists/0/reorder", body: `{"item_num":"0","new_location":1}`, status: 400, field: "item_num"},
		{name: "add title missing", method: "POST", path: "/runs/{run}/checklists/0/add", body: `{"command":"/x"}`, status: 400, want: "title is required", field: "title"},
		{name: "add title empty", method: "POST", path: "/runs/{run}/checklists/0/add", body: `{"title":""}`, status: 400, field: "title"},
		{name: "add state unknown", method: "POST", path: "/runs/{run}/checklists/0/add", body: `{"title":"a","state":"done"}`, status: 400, field: "state"},
		{name: "add assignee not an ID", method: "PUT", path: "/runs/{run}/checklists/0/add", body: `{"title":"a","assignee_id":"bob.smith"}`, status: 400, field: "assignee_id"},
		{name: "add command without slash", method: "POST", path: "/runs/{run}/checklists/0/add", body: `{"title":"a","command":"echo"}`, status: 400, field: "command"},
		{name: "add to missing checklist", method: "POST", path: "/runs/{run}/checklists/5/add", body: `{"title":"a"}`, status: 400, field: "checklist"},
		{name: "rename title missing", method: "PUT", path: item, body: `{"command":"/x"}`, status: 400, want: "title is required", field: "title"},
		{name: "assignee missing", method: "PUT", path: item + "/assignee", body: `{}`, status: 400, want: "assignee_id is required", field: "assignee_id"},
		{name: "assignee not an ID", method: "PUT", path: item + "/assignee", body: `{"assignee_id":"bob.smith"}`, status: 400, field: "assignee_id"},
		{name: "run command without chat", method: "PUT", path: item + "/run", status: 400, want: "no chat platform configured"},
		{name: "delete item out of range", method: "DELETE", path: "/runs/{run}/checklists/1/item/2", status: 400, field: "item"},

		// Unknown IDs.
		{name: "unknown run", method: "GET", path: "/runs/{new}", status: 404},
		{name: "unknown run metadata", method: "GET", path: "/runs/{new}/metadata", status: 404},
		{name: "unknown run change", method: "PUT", path: "/runs/{new}/checklists/0/item/0/state", body: `{"new_state":"closed"}`, status: 404},
		{name: "unknown run end", method: "PUT", path: "/runs/{new}/end", status: 404},
		{name: "unknown channel", method: "GET", path: "/runs/channel/{new}", status: 404},
		{name: "unknown timeline event", method: "DELETE", path: "/runs/{run}/timeline/{new}/", status: 404},
		{name: "unknown playbook", method: "GET", path: "/playbooks/{new}", status: 404},
		{name: "unknown playbook update", method: "PUT", path: "/playbooks/{new}", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[]}`, status: 404},
		{name: "unknown playbook delete", method: "DELETE", path: "/playbooks/{new}", status: 404},
		{name: "unknown playbook autofollows", method: "GET", path: "/playbooks/{new}/autofollows", status: 404},

		// Creating runs.
		{name: "run name missing", method: "POST", path: "/runs", body: `{"playbook_id":"{pb}"}`, status: 400, want: "name is required", field: "name"},
		{name: "run playbook_id missing", method: "POST", path: "/runs", body: `{"name":"a"}`, status: 400, want: "playbook_id is required", field: "playbook_id"},
		{name: "run playbook unknown", method: "POST", path: "/runs", body: `{"name":"a","playbook_id":"{new}"}`, status: 400, field: "playbook_id"},
		{name: "run name wrong type", method: "POST", path: "/runs", body: `{"name":5,"playbook_id":"{pb}"}`, status: 400, field: "name"},
		{name: "run team mismatch", method: "POST", path: "/runs", body: `{"name":"a","playbook_id":"{pb}","team_id":"{new}"}`, status: 400, field: "team_id"},
		{name: "dialog playbookID missing", method: "POST", path: "/runs/dialog", body: `{"submission":{"playbookRunName":"a"}}`, status: 400, field: "submission.playbookID"},
		{name: "dialog name missing", method: "POST", path: "/runs/dialog", body: `{"submission":{"playbookID":"{pb}"}}`, status: 400, field: "submission.playbookRunName"},
		{name: "dialog playbookID number", method: "POST", path: "/runs/dialog", body: `{"submission":{"playbookID":5,"playbookRunName":"a"}}`, status: 400, want: "must be a string", field: "submission.playbookID"},
		{name: "dialog state garbage", method: "POST", path: "/runs/dialog", body: `{"state":"nope","submission":{"playbookID":"{pb}","playbookRunName":"a"}}`, status: 400, field: "state"},

		// Query strings.
		{name: "runs team_id missing", method: "GET", path: "/runs", status: 400, want: "team_id is required", field: "team_id"},
		{name: "runs sort unknown", method: "GET", path: "/runs?team_id={team}&sort=bogus", status: 400, field: "sort"},
		{name: "runs direction unknown", method: "GET", path: "/runs?team_id={team}&direction=up", status: 400, field: "direction"},
		{name: "runs status unknown", method: "GET", path: "/runs?team_id={team}&statuses=InProgress&statuses=Bogus", status: 400, field: "statuses"},
		{name: "runs status unknown in list", method: "GET", path: "/runs?team_id={team}&statuses=Finished,Bogus", status: 400, field: "statuses"},
		{name: "runs per_page negative", method: "GET", path: "/runs?team_id={team}&per_page=-1", status: 400, field: "per_page"},
		{name: "runs per_page huge", method: "GET", path: "/runs?team_id={team}&per_page=1000000", status: 400, field: "per_page"},
		{name: "runs per_page not an integer", method: "GET", path: "/runs?team_id={team}&per_page=ten", status: 400, want: "per_page must be an integer", field: "per_page"},
		{name: "runs page negative", method: "GET", path: "/runs?team_id={team}&page=-1", status: 400, field: "page"},
		{name: "runs page not an integer", method: "GET", path: "/runs?team_id={team}&page=1.5", status: 400, field: "page"},
		{name: "runs owner not an ID", method: "GET", path: "/runs?team_id={team}&owner_user_id=bob.smith", status: 400, field: "owner_user_id"},
		{name: "channels status unknown", method: "GET", path: "/runs/channels?team_id={team}&status=active", status: 400, field: "status"},
		{name: "channels team_id missing", method: "GET", path: "/runs/channels", status: 400, field: "team_id"},
		{name: "owners team_id missing", method: "GET", path: "/runs/owners", status: 400, field: "team_id"},
		{name: "autocomplete channel missing", method: "GET", path: "/runs/checklist-autocomplete", status: 400, field: "channel_ID"},
		{name: "playbooks team_id missing", method: "GET", path: "/playbooks", status: 400, field: "team_id"},
		{name: "playbooks sort unknown", method: "GET", path: "/playbooks?team_id={team}&sort=name", status: 400, field: "sort"},
		{name: "playbooks direction unknown", method: "GET", path: "/playbooks?team_id={team}&direction=down", status: 400, field: "direction"},
		{name: "playbooks with_archived garbage", method: "GET", path: "/playbooks?team_id={team}&with_archived=maybe", status: 400, field: "with_archived"},
		{name: "playbooks per_page huge", method: "GET", path: "/playbooks?team_id={team}&per_page=1000000", status: 400, field: "per_page"},
		{name: "playbooks page negative", method: "GET", path: "/playbooks?team_id={team}&page=-3", status: 400, field: "page"},

		// Playbooks.
		{name: "playbook title missing", method: "POST", path: "/playbooks", body: `{"team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":[]}`, status: 400, want: "title is required", field: "title"},
		{name: "playbook team_id missing", method: "POST", path: "/playbooks", body: `{"title":"a","create_public_playbook_run":true,"checklists":[],"member_ids":[]}`, status: 400, want: "team_id is required", field: "team_id"},
		{name: "playbook create_public_playbook_run missing", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","checklists":[],"member_ids":[]}`, status: 400, want: "create_public_playbook_run is required", field: "create_public_playbook_run"},
		{name: "playbook checklists missing", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"member_ids":[]}`, status: 400, want: "checklists is required", field: "checklists"},
		{name: "playbook default_owner_enabled garbage", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":[],"default_owner_enabled":"maybe"}`, status: 400, want: "must be a boolean", field: "default_owner_enabled"},
		{name: "playbook default_owner_enabled number", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":[],"default_owner_enabled":1}`, status: 400, field: "default_owner_enabled"},
		{name: "playbook default owner enabled without owner", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":[],"default_owner_enabled":"true"}`, status: 400, field: "default_owner_id"},
		{name: "playbook checklists not an array", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":{},"member_ids":[]}`, status: 400, want: "checklists must be an array", field: "checklists"},
		{name: "playbook item title wrong type", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[{"title":"c","items":[{"title":3}]}],"member_ids":[]}`, status: 400, field: "checklists.items.title"},
		{name: "playbook webhook not http", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":[],"webhook_on_creation_url":"ftp://x"}`, status: 400, field: "webhook_on_creation_url"},
		{name: "playbook member not an ID", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":["bob.smith"]}`, status: 400, field: "member_ids"},
		{name: "playbook update id mismatch", method: "PUT", path: "/playbooks/{pb}", body: `{"id":"{new}","title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[]}`, status: 400, field: "id"},
		{name: "playbook update other team", method: "PUT", path: "/playbooks/{pb}", body: `{"title":"a","team_id":"{new}","create_public_playbook_run":true,"checklists":[]}`, status: 400, field: "team_id"},
		{name: "playbook update title missing", method: "PUT", path: "/playbooks/{pb}", body: `{"team_id":"{team}","create_public_playbook_run":true,"checklists":[]}`, status: 400, field: "title"},
		{name: "playbook update malformed", method: "PUT", path: "/playbooks/{pb}", body: `{"title":`, status: 400},
		{name: "follow user not an ID", method: "PUT", path: "/playbooks/{pb}/autofollows/bob.smith", status: 400, field: "user_id"},

		// Authentication and teams.
		{name: "no token", method: "GET", path: "/runs/{run}", auth: "none", status: 401, want: "missing bearer token"},
		{name: "garbage token", method: "GET", path: "/runs/{run}", auth: "garbage", status: 401, want: "invalid or revoked"},
		{name: "revoked token", method: "PUT", path: item + "/state", body: `{"new_state":"closed"}`, auth: "revoked", status: 401, want: "invalid or revoked"},
		{name: "basic scheme", method: "GET", path: "/runs/{run}", auth: "basic", status: 401, want: "Bearer"},
		{name: "no token on unknown run", method: "GET", path: "/runs/{new}", auth: "none", status: 401},
		{name: "other team run", method: "GET", path: "/runs/{run}", auth: "other-team", status: 403},
		{name: "other team change", method: "PUT", path: item + "/state", body: `{"new_state":"closed"}`, auth: "other-team", status: 403},
		{name: "other team end", method: "PUT", path: "/runs/{run}/end", auth: "other-team", status: 403},
		{name: "other team runs list", method: "GET", path: "/runs?team_id={team}", auth: "other-team", status: 403},
		{name: "other team playbook", method: "GET", path: "/playbooks/{pb}", auth: "other-team", status: 403},
		{name: "other team playbook delete", method: "DELETE", path: "/playbooks/{pb}", auth: "other-team", status: 403},
		{name: "other team playbook create", method: "POST", path: "/playbooks", body: `{"title":"a","team_id":"{team}","create_public_playbook_run":true,"checklists":[],"member_ids":[]}`, auth: "other-team", status: 403},
		{name: "other team run create", method: "POST", path: "/runs", body: `{"name":"a","playbook_id":"{pb}"}`, auth: "other-team", status: 403},

		// Routes.
		{name: "unknown route", method: "GET", path: "/nothing/here", status: 404, want: "no such API route"},
		{name: "path not clean", method: "DELETE", path: "/playbooks//{pb}", status: 404, want: "no such API route"},
		{name: "method not allowed", method: "PATCH", path: "/playbooks", status: 405, want: "not allowed"},
	}
}

// TestMethodNotAllowed checks a 405 lists the allowed methods.
func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, "sqlite", nil)
	r := e.call(t, "POST", "/runs/"+bot.NewID()+"/end/x", nil)
	r.wantError(t, http.StatusNotFound)
	r = e.call(t, "DELETE", "/runs", nil)
	got := r.wantError(t, http.StatusMethodNotAllowed)
	if allow := r.header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("got Allow %q, want %q", allow, "GET, POST")
	}
	if !strings.Contains(got.Details, "GET, POST") {
		t.Errorf("got details %q, want the allowed methods", got.Details)
	}
}

// TestInternalError checks a failure of the store shows only "internal
// error" and the request ID, and is logged once, with its cause.
func TestInternalError(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		pb := e.createPlaybook(t, e.playbookBody("Outage"))
		if err := e.db.Close(); err != nil {
			t.Fatal(err)
		}
		r := e.call(t, "GET", "/playbooks/"+pb, nil)
		got := r.wantError(t, http.StatusInternalServerError)
		id := r.header.Get("X-Request-Id")
		if got.Error != "internal error" || id == "" || !strings.Contains(got.Details, id) {
			t.Errorf("got %+v with X-Request-Id %q, want internal error and the request ID in the details", got, id)
		}
		if strings.Contains(string(r.body), "closed") {
			t.Errorf("got body %s, want no cause shown", r.body)
		}
		var logged []map[string]any
		for _, l := range e.logs.lines(t) {
			if l["request_id"] == id {
				logged = append(logged, l)
			}
		}
		if len(logged) != 1 {
			t.Fatalf("got %d log records for request %s, want 1", len(logged), id)
		}
		if l := logged[0]; l["level"] != "ERROR" || l["status"] != float64(500) || !strings.Contains(l["error"].(string), "closed") {
			t.Errorf("got log record %v, want an ERROR with status 500 and the cause", l)
		}
	})
}
