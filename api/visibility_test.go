package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// visibilityEnv is the API over a real store, with Mattermost (mmtest, over
// HTTP) as its chat platform and its token authority, and a private run:
// alice (who started it) and dave (its owner) are in its channel; bob was
// assigned an item, so takes part in it, then left the channel.
type visibilityEnv struct {
	mm       *mmtest.Server
	svc      *bot.Service
	srv      *httptest.Server
	team     *model.Team
	bob      *model.User
	dave     *model.User
	private  bot.Run
	public   bot.Run
	tokens   map[string]string // caller → bearer token
	alicePBK string
}

// secret is the private run's name and the text of its status update:
// neither may reach an outsider in any answer.
const (
	secretName   = "Secret outage"
	secretStatus = "SECRET-STATUS the vault is open"
	secretItem   = "Rotate the vault keys"
)

func newVisibilityEnv(t *testing.T, kind string) *visibilityEnv {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.buf.String())
		}
	})
	v := &visibilityEnv{mm: mmtest.New(t)}
	v.team = v.mm.AddTeam("acme")
	_, botToken := v.mm.AddBot("playbooks", v.team.Id)
	alice := v.mm.AddUser("alice", v.team.Id)
	v.bob, v.dave = v.mm.AddUser("bob", v.team.Id), v.mm.AddUser("dave", v.team.Id)
	root := v.mm.AddAdmin("root", v.team.Id)

	signer, err := dialogs.NewSigner(bytes.Repeat([]byte("k"), 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(v.srv.Close)
	client, err := mattermost.NewClient(mattermost.Config{URL: v.mm.URL, BotToken: botToken, Signer: signer,
		PublicURL: v.srv.URL, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	v.svc = bot.NewService(bot.Config{
		Store: storetest.Open(t, kind), Chat: client, DefaultPlatform: mattermost.Platform,
		ExternalAuth: mattermost.NewTokenAuth(v.mm.URL, nil, 0),
		PublicURL:    v.srv.URL, LinkSecret: bytes.Repeat([]byte("l"), 32), Logger: logger,
	})
	handler = api.New(api.Config{Service: v.svc, Logger: logger})

	pbk := func(userID string, admin bool) string {
		teams := []string{v.team.Id}
		if admin {
			teams = nil
		}
		secret, _, err := v.svc.CreateToken(ctx, userID, teams, admin)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	v.alicePBK = pbk(alice.Id, false)
	v.tokens = map[string]string{
		"outsider, REST token":       pbk(v.bob.Id, false),
		"outsider, Mattermost token": v.mm.AddToken(v.bob.Id),
		"member, REST token":         v.alicePBK,
		"member, Mattermost token":   v.mm.AddToken(alice.Id),
		"admin, REST token":          pbk(root.Id, true),
		"admin, Mattermost token":    v.mm.AddToken(root.Id),
	}

	playbook := func(public bool, item string) string {
		var pb struct{ ID string }
		v.call(t, v.alicePBK, "POST", "/playbooks", map[string]any{
			"title": "Outage", "team_id": v.team.Id, "create_public_playbook_run": public,
			"checklists": []any{map[string]any{"title": "Triage", "items": []any{
				map[string]any{"title": "Page the DBA"}, map[string]any{"title": item}}}},
		}, http.StatusCreated, &pb)
		return pb.ID
	}
	v.call(t, v.alicePBK, "POST", "/runs", map[string]any{"name": secretName, "playbook_id": playbook(false, secretItem),
		"team_id": v.team.Id, "owner_user_id": v.dave.Id}, http.StatusCreated, &v.private)
	v.call(t, v.alicePBK, "POST", "/runs", map[string]any{"name": "Open outage", "playbook_id": playbook(true, "Check the dashboards"),
		"team_id": v.team.Id, "owner_user_id": alice.Id}, http.StatusCreated, &v.public)
	v.call(t, v.alicePBK, "POST", "/runs/"+v.private.ID+"/status", map[string]any{"message": secretStatus}, http.StatusOK, nil)
	if v.private.ChannelID == "" || v.private.Public || !slices.Contains(v.mm.Members(v.private.ChannelID), v.dave.Id) {
		t.Fatalf("private run %+v, channel members %v", v.private, v.mm.Members(v.private.ChannelID))
	}

	// Assigning bob adds him to the private channel (issue 8, point 5) ...
	v.call(t, v.alicePBK, "PUT", "/runs/"+v.private.ID+"/checklists/0/item/0/assignee",
		map[string]any{"assignee_id": v.bob.Id}, http.StatusOK, nil)
	if !slices.Contains(v.mm.Members(v.private.ChannelID), v.bob.Id) {
		t.Fatalf("assigning bob did not add him to the private channel: %v", v.mm.Members(v.private.ChannelID))
	}
	// ... then he leaves it: he takes part in the run, but is an outsider.
	v.mm.RemoveChannelMember(v.private.ChannelID, v.bob.Id)
	return v
}

// call sends a request to the API with token and decodes the answer into
// out (when not nil); the status must be want.
func (v *visibilityEnv) call(t *testing.T, token, method, path string, body any, want int, out any) []byte {
	t.Helper()
	status, b := v.get(t, token, method, api.BasePath+path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// get sends a request to the server (path from its root) and returns the
// status and body.
func (v *visibilityEnv) get(t *testing.T, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(encodeBody(t, body))
	}
	req, err := http.NewRequest(method, v.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := v.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// TestPrivateRunVisibility covers every read endpoint of the REST API, the
// details page and the timeline exports for a private run, for an outsider
// of its channel who takes part in it (with our token and with his
// Mattermost token), a channel member and an admin (each with both kinds
// of token): the outsider gets the spec's 403 or 404 for the run itself
// and finds it in no list, count, owners or channel list, and no answer
// of his carries its name or status; the others see it everywhere.
func TestPrivateRunVisibility(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			v := newVisibilityEnv(t, kind)
			id, ch, team := v.private.ID, v.private.ChannelID, v.team.Id
			has := func(s string) func([]byte) bool { return func(b []byte) bool { return bytes.Contains(b, []byte(s)) } }
			var total int // of the last list listed read
			listed := func(b []byte) bool {
				var l bot.RunList
				if err := json.Unmarshal(b, &l); err != nil {
					t.Fatalf("run list %s: %v", b, err)
				}
				total = l.TotalCount
				return slices.ContainsFunc(l.Items, func(r bot.Run) bool { return r.ID == id })
			}
			reads := []struct {
				name   string
				path   string // under api.BasePath
				hidden int    // the status when the caller may not see the run; 200: the answer leaves it out
				shows  func([]byte) bool
				// onlyParticipants: the answer shows the run only to those
				// who take part in it (participant_id=me), even if they see it.
				onlyParticipants bool
				// others: for a run list, the total_count of the other
				// runs it matches (the public run), for every caller.
				others int
			}{
				{name: "getPlaybookRun", path: "/runs/" + id, hidden: 403, shows: has(secretStatus)},
				{name: "getPlaybookRunByChannelId", path: "/runs/channel/" + ch, hidden: 404, shows: has(secretStatus)},
				{name: "getPlaybookRunMetadata", path: "/runs/" + id + "/metadata", hidden: 403, shows: has(`"channel_name":"secret-outage"`)},
				{name: "getChecklistAutocomplete", path: "/runs/checklist-autocomplete?channel_ID=" + ch, hidden: 404, shows: has(secretItem)},
				{name: "exportTimeline json", path: "/runs/" + id + "/timeline", hidden: 403, shows: has(secretStatus)},
				{name: "exportTimeline markdown", path: "/runs/" + id + "/timeline?format=markdown", hidden: 403, shows: has(secretStatus)},
				{name: "exportTimeline csv", path: "/runs/" + id + "/timeline?format=csv", hidden: 403, shows: has(secretStatus)},
				{name: "listPlaybookRuns", path: "/runs?team_id=" + team, hidden: 200, shows: listed, others: 1},
				{name: "listPlaybookRuns paged", path: "/runs?team_id=" + team + "&statuses=InProgress&statuses=Finished&per_page=1&sort=name&direction=desc",
					hidden: 200, shows: listed, others: 1},
				{name: "listPlaybookRuns participant me", path: "/runs?team_id=" + team + "&participant_id=me", hidden: 200, shows: listed, onlyParticipants: true},
				{name: "listPlaybookRuns owner", path: "/runs?team_id=" + team + "&owner_user_id=" + v.dave.Id, hidden: 200, shows: listed},
				{name: "listPlaybookRuns search", path: "/runs?team_id=" + team + "&search_term=secret", hidden: 200, shows: listed},
				{name: "getOwners", path: "/runs/owners?team_id=" + team, hidden: 200, shows: has(v.dave.Id)},
				{name: "getChannels", path: "/runs/channels?team_id=" + team, hidden: 200, shows: has(ch)},
				{name: "getChannels participant", path: "/runs/channels?team_id=" + team + "&participant_id=" + v.bob.Id, hidden: 200, shows: has(ch)},
			}
			for caller, token := range v.tokens {
				outsider := strings.HasPrefix(caller, "outsider")
				participant := !strings.HasPrefix(caller, "admin") // alice started the run; bob was assigned
				for _, rd := range reads {
					t.Run(caller+"/"+rd.name, func(t *testing.T) {
						status, body := v.get(t, token, "GET", api.BasePath+rd.path, nil)
						sees := !outsider && (participant || !rd.onlyParticipants)
						switch {
						case outsider && status != rd.hidden:
							t.Fatalf("status %d, want %d: %s", status, rd.hidden, body)
						case !outsider && status != http.StatusOK:
							t.Fatalf("status %d, want 200: %s", status, body)
						case status == http.StatusOK && rd.shows(body) != sees:
							t.Errorf("the private run shown: %v, want %v: %s", rd.shows(body), sees, body)
						}
						if strings.HasPrefix(rd.name, "listPlaybookRuns") {
							want := rd.others
							if rd.onlyParticipants && strings.HasPrefix(caller, "member") {
								want = 1 // alice started the public run too
							}
							if sees {
								want++
							}
							if total != want {
								t.Errorf("total_count %d, want %d: %s", total, want, body)
							}
						}
						if outsider {
							for _, secret := range []string{secretName, secretStatus, secretItem, v.dave.Id} {
								if bytes.Contains(body, []byte(secret)) {
									t.Errorf("the outsider's answer carries %q: %s", secret, body)
								}
							}
						}
					})
				}

				// The details page with a token is judged by the token.
				t.Run(caller+"/details page", func(t *testing.T) {
					status, body := v.get(t, token, "GET", "/runs/"+id, nil)
					want := http.StatusOK
					if outsider {
						want = http.StatusForbidden
					}
					if status != want || bytes.Contains(body, []byte(secretStatus)) == outsider {
						t.Errorf("status %d, want %d; shows the status update: %v", status, want, bytes.Contains(body, []byte(secretStatus)))
					}
				})
			}

			// A signed details link is a permission of its own: whoever
			// holds it reads that run's page, token or no token.
			link, err := url.Parse(v.svc.DetailsURL(v.private))
			if err != nil {
				t.Fatal(err)
			}
			if status, body := v.get(t, "", "GET", link.RequestURI(), nil); status != http.StatusOK || !bytes.Contains(body, []byte(secretStatus)) {
				t.Errorf("signed link: status %d, shows the run %v; want 200 and the run", status, bytes.Contains(body, []byte(secretStatus)))
			}

			// Who may not see the run may not change it: 403 and nothing changes.
			for _, caller := range []string{"outsider, REST token", "outsider, Mattermost token"} {
				if status, body := v.get(t, v.tokens[caller], "PUT", api.BasePath+"/runs/"+id+"/checklists/0/item/1/state",
					map[string]string{"new_state": bot.ItemClosed}); status != http.StatusForbidden {
					t.Errorf("%s changes an item: status %d, want 403: %s", caller, status, body)
				}
				if status, body := v.get(t, v.tokens[caller], "POST", api.BasePath+"/runs/"+id+"/owner",
					map[string]string{"owner_id": v.bob.Id}); status != http.StatusForbidden {
					t.Errorf("%s makes himself owner: status %d, want 403: %s", caller, status, body)
				}
			}
			var r bot.Run
			v.call(t, v.alicePBK, "GET", "/runs/"+id, nil, http.StatusOK, &r)
			if r.Checklists[0].Items[1].State != bot.ItemOpen || r.OwnerUserID != v.dave.Id || slices.Contains(v.mm.Members(ch), v.bob.Id) {
				t.Errorf("after the outsider's refused changes: item %q, owner %s, members %v",
					r.Checklists[0].Items[1].State, r.OwnerUserID, v.mm.Members(ch))
			}
		})
	}
}
