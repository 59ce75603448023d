package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// The HTTP API is fuzzed through its real router and handlers over a real
// store, one target per kind of store:
//
//	go test -run '^$' -fuzz '^FuzzAPISQLite$' -fuzztime 60s -parallel 1 ./api/
//	go test -run '^$' -fuzz '^FuzzAPIPostgres$' -fuzztime 60s -parallel 1 ./api/
//
// A request is a method, a path under api.BasePath (or, starting with ~,
// from the root, as the details page is), a query string and a body. In
// them, {run}, {pb}, {team}, {user}, {chan} and {event} stand for a run,
// its playbook, its team, the token's user, the run's channel and one of
// its timeline events, and {pb2} for a playbook to archive, so that the
// fuzzer reaches past the lookups. Any
// 5xx fails, and so does an API error without the spec's error body. The
// seeds, which plain go test runs, are a valid request for every route and
// the inputs that once got 500s.

// fuzzMethods are the methods a fuzzed request may have.
var fuzzMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// fuzzSeed is one seed request.
type fuzzSeed struct {
	method      string
	path, query string
	body        string
}

func fuzzSeeds() []fuzzSeed {
	pb := `{"title":"Outage","description":"d","team_id":"{team}","create_public_playbook_run":true,` +
		`"member_ids":["{user}"],"checklists":[{"title":"Triage","items":[{"title":"Page","command":"/page","description":"x"}]}],` +
		`"webhook_on_status_update_url":"https://hooks.example.com/x","webhook_on_status_update_enabled":true}`
	run, item := "/runs/{run}", "/runs/{run}/checklists/0/item/0"
	seeds := []fuzzSeed{
		// A valid request for every route.
		{"GET", "/runs", "team_id={team}&statuses=InProgress,Finished&sort=name&direction=asc&page=0&per_page=10&search_term=out", ""},
		{"POST", "/runs", "", `{"name":"Run","playbook_id":"{pb}","owner_user_id":"{user}","team_id":"{team}","description":"d"}`},
		{"POST", "/runs/dialog", "", `{"user_id":"{user}","team_id":"{team}","submission":{"playbookID":"{pb}","playbookRunName":"Run"}}`},
		{"GET", "/runs/owners", "team_id={team}", ""},
		{"GET", "/runs/channels", "team_id={team}&status=all&search_term=a", ""},
		{"GET", "/runs/checklist-autocomplete", "channel_ID={chan}", ""},
		{"GET", "/runs/channel/{chan}", "", ""},
		{"GET", run, "", ""},
		{"PATCH", run, "", `{"active_stage":0}`},
		{"GET", run + "/metadata", "", ""},
		{"PUT", run + "/end", "", ""},
		{"POST", run + "/end", "", `{"cancelled":true}`},
		{"PUT", run + "/restart", "", ""},
		{"POST", run + "/status", "", `{"message":"all good","reminder":600}`},
		{"PUT", run + "/finish", "", ""},
		{"POST", run + "/owner", "", `{"owner_id":"{user}"}`},
		{"POST", run + "/next-stage-dialog", "", `{"state":"0"}`},
		{"POST", "/runs/{run}/checklists/0/add", "", `{"title":"New","state":"in_progress","assignee_id":"{user}","command":"/x","description":"y"}`},
		{"PUT", "/runs/{run}/checklists/0/add", "", `{"title":"New"}`},
		{"PUT", "/runs/{run}/checklists/0/reorder", "", `{"item_num":0,"new_location":0}`},
		{"PUT", item, "", `{"title":"Renamed","command":"/r"}`},
		{"DELETE", "/runs/{run}/checklists/0/item/1", "", ""},
		{"PUT", item + "/state", "", `{"new_state":"closed"}`},
		{"PUT", item + "/assignee", "", `{"assignee_id":"{user}"}`},
		{"PUT", item + "/run", "", ""},
		{"POST", item + "/run", "", ""},
		{"DELETE", run + "/timeline/{event}/", "", ""},
		{"DELETE", run + "/timeline/{event}", "", ""},
		{"GET", run + "/timeline", "format=csv", ""},
		{"GET", "/playbooks", "team_id={team}&sort=stages&direction=desc&with_archived=true&page=1&per_page=5", ""},
		{"POST", "/playbooks", "", pb},
		{"GET", "/playbooks/{pb}", "", ""},
		{"PUT", "/playbooks/{pb}", "", pb},
		{"DELETE", "/playbooks/{pb2}", "", ""},
		{"GET", "/playbooks/{pb}/autofollows", "", ""},
		{"PUT", "/playbooks/{pb}/autofollows/{user}", "", ""},
		{"DELETE", "/playbooks/{pb}/autofollows/{user}", "", ""},
		{"GET", "~/runs/{run}", "", ""},
		{"HEAD", "~/runs/{run}", "sig=1.x", ""},

		// Inputs that got 500s on Postgres (issue 9, point 4).
		{"POST", "/playbooks", "", strings.Replace(pb, `"Outage"`, `"Out\u0000age"`, 1)},
		{"POST", "/playbooks", "", strings.Replace(pb, `"Page"`, "\"Pa\xffge\"", 1)},
		{"POST", "/runs", "", `{"name":"R\u0000","playbook_id":"{pb}"}`},
		{"POST", run + "/status", "", `{"message":"\u0000"}`},
		{"POST", "/runs/{run}/checklists/0/add", "", `{"title":"a","description":"\u0000"}`},
		{"GET", "/runs", "team_id={team}&search_term=%00", ""},
		{"GET", "/runs", "team_id={team}&search_term=%FF", ""},
		{"GET", "/runs/a%00b", "", ""},
		{"GET", "/runs/%FF%FE", "", ""},
		{"PUT", "/runs/%00/end", "", ""},
		{"POST", "/runs/%C3%28/status", "", `{"message":"a"}`},
		{"GET", "/playbooks/%00", "", ""},
		{"GET", "/runs/channel/%00", "", ""},
		{"GET", "/runs/checklist-autocomplete", "channel_ID=%00", ""},
		{"DELETE", run + "/timeline/%FF/", "", ""},
		{"GET", "~/runs/%00", "sig=1.x", ""},
		{"GET", "/runs", "team_id={team}&page=9223372036854775807&per_page=1000", ""},
		{"GET", "/runs", "team_id={team}&page=9223372036854776&per_page=1000", ""},
		{"GET", "/playbooks", "team_id={team}&page=9223372036854775807", ""},
		{"GET", "/runs", "team_id={team}&page=99999999999999999999", ""},
		{"PATCH", run, "", `{"active_stage":9223372036854775807}`},
		{"PUT", "/runs/{run}/checklists/9223372036854775807/item/-9223372036854775808/state", "", `{"new_state":"closed"}`},
		{"PUT", "/runs/{run}/checklists/0/reorder", "", `{"item_num":-1,"new_location":9223372036854775807}`},
		{"POST", run + "/status", "", `{"message":"a","reminder":1e308}`},
		{"POST", run + "/next-stage-dialog", "", `{"state":"9223372036854775808"}`},
	}
	return seeds
}

// fuzzServer is the API over a store of one kind, with a run to aim at.
type fuzzServer struct {
	handler http.Handler
	logs    *syncBuffer
	token   string
	ids     *strings.Replacer
}

func newFuzzServer(tb testing.TB, kind string) *fuzzServer {
	db := storetest.Open(tb, kind)
	svc := bot.NewService(bot.Config{Store: db, Chat: fakeChat{}})
	logs := &syncBuffer{}
	s := &fuzzServer{
		handler: api.New(api.Config{Service: svc, Logger: slog.New(slog.NewTextHandler(logs, nil))}),
		logs:    logs,
	}
	ctx := context.Background()
	user, team := bot.NewID(), bot.NewID()
	a := bot.Actor{UserID: user, TeamIDs: []string{team}}
	var err error
	if s.token, _, err = svc.CreateToken(ctx, user, []string{team}, false); err != nil {
		tb.Fatal(err)
	}
	pb, err := svc.CreatePlaybook(ctx, a, bot.Playbook{Title: "Outage", TeamID: team, CreatePublicPlaybookRun: true,
		Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page", Command: "/page"}, {Title: "Fix"}}}}})
	if err != nil {
		tb.Fatal(err)
	}
	run, err := svc.CreateRun(ctx, a, bot.NewRun{Name: "Outage run", PlaybookID: pb.ID})
	if err != nil {
		tb.Fatal(err)
	}
	pb2, err := svc.CreatePlaybook(ctx, a, bot.Playbook{Title: "To archive", TeamID: team, Checklists: []bot.Checklist{}})
	if err != nil {
		tb.Fatal(err)
	}
	s.ids = strings.NewReplacer("{run}", run.ID, "{pb2}", pb2.ID, "{pb}", pb.ID, "{team}", team, "{user}", user,
		"{chan}", run.ChannelID, "{event}", run.TimelineEvents[0].ID)
	return s
}

// serve sends one request as a client on the wire would, and fails t on a
// 5xx or an API error without the spec's body. Requests that the HTTP
// server itself would refuse before any handler are skipped.
func (s *fuzzServer) serve(t *testing.T, method, auth uint8, path, query string, body []byte) {
	m := fuzzMethods[int(method)%len(fuzzMethods)]
	path, query = s.ids.Replace(path), s.ids.Replace(query)
	body = []byte(s.ids.Replace(string(body)))
	target, inAPI := api.BasePath+path, true
	if rest, ok := strings.CutPrefix(path, "~"); ok {
		target, inAPI = rest, false
	}
	if query != "" {
		target += "?" + query
	}
	// http.ReadRequest parses the request line as the server does.
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(m + " " + target + " HTTP/1.1\r\nHost: pb.example.com\r\n\r\n")))
	if err != nil || req.RequestURI != target {
		return
	}
	req.Body = http.NoBody
	if len(body) > 0 {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	switch auth % 4 {
	case 0, 1:
		req.Header.Set("Authorization", "Bearer "+s.token)
	case 2:
		req.Header.Set("Authorization", "Bearer pbk_"+query)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	s.logs.reset()
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	res := rec.Result()
	if res.StatusCode >= 500 {
		t.Fatalf("%s %q: %d %s\nbody: %q\nlog: %s", m, target, res.StatusCode, rec.Body.Bytes(), body, s.logs.String())
	}
	if !inAPI || res.StatusCode < 400 || m == "HEAD" || res.StatusCode == http.StatusTooManyRequests {
		return
	}
	var eb map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || len(eb) != 2 || eb["error"] == "" || eb["details"] == "" {
		t.Fatalf("%s %q: %d with body %q, want the spec's error body", m, target, res.StatusCode, rec.Body.Bytes())
	}
}

func fuzzAPI(f *testing.F, kind string) {
	s := newFuzzServer(f, kind)
	for _, sd := range fuzzSeeds() {
		m := uint8(0)
		for i, name := range fuzzMethods {
			if name == sd.method {
				m = uint8(i)
			}
		}
		f.Add(m, uint8(0), sd.path, sd.query, []byte(sd.body))
	}
	f.Add(uint8(0), uint8(3), "/runs/{run}", "", []byte(nil))                         // no token
	f.Add(uint8(1), uint8(2), "/runs/{run}/status", "%00", []byte(`{"message":"a"}`)) // a bad one
	f.Fuzz(func(t *testing.T, method, auth uint8, path, query string, body []byte) {
		s.serve(t, method, auth, path, query, body)
	})
}

func FuzzAPISQLite(f *testing.F)   { fuzzAPI(f, storetest.SQLite) }
func FuzzAPIPostgres(f *testing.F) { fuzzAPI(f, storetest.Postgres) }

func (b *syncBuffer) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
