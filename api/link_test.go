package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// detailsLinkBody is the answer of GET /runs/{id}/details-link.
type detailsLinkBody struct {
	URL       string `json:"url"`
	ExpiresAt *int64 `json:"expires_at"`
	Signed    *bool  `json:"signed"`
	Note      string `json:"note"`
}

// getDetailsLink GETs the details link of run id with token and decodes
// the answer, which must have status 200 and every field the route
// promises.
func getDetailsLink(t *testing.T, e *env, token, id string) detailsLinkBody {
	t.Helper()
	res := e.callAs(t, token, "GET", "/runs/"+id+"/details-link", nil).want(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("got Content-Type %q, want application/json", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store: the link is a permission", cc)
	}
	var l detailsLinkBody
	res.decode(t, &l)
	if l.URL == "" || l.ExpiresAt == nil || l.Signed == nil {
		t.Fatalf("details link %s: want url, expires_at and signed", res.body)
	}
	return l
}

func TestDetailsLink(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		r := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Checkout is down")
		l := getDetailsLink(t, e.env, e.token, r.ID)
		if !strings.HasPrefix(l.URL, e.root+"/runs/"+r.ID+"?sig=") || !*l.Signed || l.Note != "" {
			t.Fatalf("got %+v, want a signed %s/runs/%s?sig=... without a note", l, e.root, r.ID)
		}
		if want := e.svc.DetailsURL(r); l.URL != want {
			t.Errorf("got url %q, want the one webhooks carry, %q", l.URL, want)
		}
		// The clock stands at 2025-01-01 00:00 UTC: 30 days on, a whole day.
		want := time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC).UnixMilli()
		if *l.ExpiresAt != want {
			t.Errorf("got expires_at %d, want %d (%s)", *l.ExpiresAt, want, time.UnixMilli(want).UTC())
		}

		// The link opens the page without a token until expires_at, and
		// not from then on.
		if body := e.page(t, l.URL, "").want(t, http.StatusOK).body; !strings.Contains(string(body), "Checkout is down") {
			t.Errorf("the page of the link lacks the run's name:\n%s", body)
		}
		e.ms.Store(*l.ExpiresAt - 2) // the clock adds 1 before each reading
		e.page(t, l.URL, "").want(t, http.StatusOK)
		e.ms.Store(*l.ExpiresAt)
		res := e.page(t, l.URL, "").want(t, http.StatusUnauthorized)
		wantNoRunData(t, res, r)
		fresh := getDetailsLink(t, e.env, e.token, r.ID)
		if fresh.URL == l.URL || *fresh.ExpiresAt <= *l.ExpiresAt {
			t.Errorf("a link asked for after expiry: got %+v, want a new one expiring after %d", fresh, *l.ExpiresAt)
		}
		e.page(t, fresh.URL, "").want(t, http.StatusOK)

		// Who may not see the run learns nothing of it: the same 404 as
		// for a run that does not exist.
		unknown := bot.NewID()
		gone := e.call(t, "GET", "/runs/"+unknown+"/details-link", nil).wantError(t, http.StatusNotFound)
		other := e.callAs(t, e.newToken(t, bot.NewID(), bot.NewID()), "GET", "/runs/"+r.ID+"/details-link", nil)
		hidden := other.wantError(t, http.StatusNotFound)
		if strings.ReplaceAll(hidden.Error, r.ID, unknown) != gone.Error {
			t.Errorf("another team's run: got error %q, want the one of an unknown run, %q", hidden.Error, gone.Error)
		}
		if strings.Contains(string(other.body), "sig=") || strings.Contains(string(other.body), "Checkout") {
			t.Errorf("another team's answer carries the run: %s", other.body)
		}
		for _, tc := range []struct {
			name, token, id string
			status          int
		}{
			{"no token", "", r.ID, http.StatusUnauthorized},
			{"unknown token", "pbk_nope", r.ID, http.StatusUnauthorized},
			{"malformed id", e.token, "not-an-id", http.StatusBadRequest},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.callAs(t, tc.token, "GET", "/runs/"+tc.id+"/details-link", nil)
				res.wantError(t, tc.status)
				if strings.Contains(string(res.body), "sig=") {
					t.Errorf("the answer carries a link: %s", res.body)
				}
			})
		}
		for _, method := range []string{"POST", "PUT", "DELETE"} {
			e.call(t, method, "/runs/"+r.ID+"/details-link", nil).wantError(t, http.StatusMethodNotAllowed)
		}
	})
}

// TestDetailsLinkWithoutPublicURL: a server that does not know its own URL
// cannot make a link, and says which setting is missing.
func TestDetailsLinkWithoutPublicURL(t *testing.T) {
	forEachKind(t, nil, func(t *testing.T, e *env) {
		r := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Checkout is down")
		eb := e.call(t, "GET", "/runs/"+r.ID+"/details-link", nil).wantError(t, http.StatusBadRequest)
		if !strings.Contains(eb.Error, "PLAYBOOKS_PUBLIC_URL") {
			t.Errorf("got error %q, want it to name PLAYBOOKS_PUBLIC_URL", eb.Error)
		}
		// Visibility comes first: a run the caller may not see is still 404.
		e.callAs(t, e.newToken(t, bot.NewID(), bot.NewID()), "GET", "/runs/"+r.ID+"/details-link", nil).wantError(t, http.StatusNotFound)
	})
}

// TestDetailsLinkUnsigned: with a public URL but no link secret, the link
// is the page's plain URL, never expiring, and the answer says that the
// page will ask for a token; it does.
func TestDetailsLinkUnsigned(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			srv := httptest.NewUnstartedServer(nil)
			root := "http://" + srv.Listener.Addr().String()
			var ms atomic.Int64
			ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
			svc := bot.NewService(bot.Config{Store: db, PublicURL: root + "/", Now: func() time.Time { return time.UnixMilli(ms.Add(1)) }})
			srv.Config.Handler = api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(&syncBuffer{}, nil))})
			srv.Start()
			t.Cleanup(srv.Close)
			e := &linkEnv{env: &env{kind: kind, db: db, svc: svc, client: srv.Client(), base: root + api.BasePath,
				logs: &syncBuffer{}, userID: bot.NewID(), teamID: bot.NewID()}, root: root, ms: &ms}
			e.token = e.newToken(t, e.userID, e.teamID)

			r := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "Checkout is down")
			l := getDetailsLink(t, e.env, e.token, r.ID)
			if l.URL != root+"/runs/"+r.ID || *l.Signed || *l.ExpiresAt != 0 {
				t.Fatalf("got %+v, want the unsigned %s/runs/%s, expires_at 0", l, root, r.ID)
			}
			if !strings.Contains(l.Note, "token") || !strings.Contains(l.Note, "PLAYBOOKS_SECRET") {
				t.Errorf("got note %q, want it to say the page asks for a token, and which setting signs links", l.Note)
			}
			res := e.page(t, l.URL, "").want(t, http.StatusUnauthorized)
			wantNoRunData(t, res, r)
			if body := e.page(t, l.URL, e.token).want(t, http.StatusOK).body; !strings.Contains(string(body), "Checkout is down") {
				t.Errorf("the page with a token lacks the run's name:\n%s", body)
			}
			var raw map[string]any
			if err := json.Unmarshal(e.call(t, "GET", "/runs/"+r.ID+"/details-link", nil).body, &raw); err != nil {
				t.Fatal(err)
			}
			if v, ok := raw["expires_at"].(float64); !ok || v != 0 {
				t.Errorf("got expires_at %v, want the number 0", raw["expires_at"])
			}
		})
	}
}

// TestDetailsLinkPrivateRun: the link of a private run goes to the members
// of its channel and admins, with either kind of token; an outsider, even
// one who takes part in the run, gets the 404 of an unknown run.
func TestDetailsLinkPrivateRun(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			v := newVisibilityEnv(t, kind)
			path := "/runs/" + v.private.ID + "/details-link"
			for caller, token := range v.tokens {
				t.Run(caller, func(t *testing.T) {
					if strings.HasPrefix(caller, "outsider") {
						body := v.call(t, token, "GET", path, nil, http.StatusNotFound, nil)
						for _, secret := range []string{"sig=", secretName, v.private.ChannelID} {
							if strings.Contains(string(body), secret) {
								t.Errorf("the outsider's answer carries %q: %s", secret, body)
							}
						}
						return
					}
					var l detailsLinkBody
					v.call(t, token, "GET", path, nil, http.StatusOK, &l)
					if l.URL != v.svc.DetailsURL(v.private) {
						t.Fatalf("got url %q, want %q", l.URL, v.svc.DetailsURL(v.private))
					}
					status, body := v.get(t, "", "GET", strings.TrimPrefix(l.URL, v.srv.URL), nil)
					if status != http.StatusOK || !strings.Contains(string(body), secretStatus) {
						t.Errorf("the link: status %d, shows the run %v; want 200 and the run", status, strings.Contains(string(body), secretStatus))
					}
				})
			}
		})
	}
}
