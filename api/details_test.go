package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// linkEnv is an env whose service signs details links, whose public URL is
// the test server itself, and whose clock a test can move.
type linkEnv struct {
	*env
	root string // the server's URL, without the API's base path
	ms   *atomic.Int64
}

// forEachKindLinks is forEachKind over linkEnvs.
func forEachKindLinks(t *testing.T, fn func(t *testing.T, e *linkEnv)) {
	t.Helper()
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newLinkEnv(t, kind))
		})
	}
}

// newLinkEnv starts an API server on 127.0.0.1 over a fresh store of kind.
func newLinkEnv(t *testing.T, kind string) *linkEnv {
	t.Helper()
	db := storetest.Open(t, kind)
	ms := &atomic.Int64{}
	ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	srv := httptest.NewUnstartedServer(nil)
	root := "http://" + srv.Listener.Addr().String()
	svc := bot.NewService(bot.Config{
		Store: db, Chat: fakeChat{}, PublicURL: root, LinkSecret: []byte("0123456789abcdef0123456789abcdef"),
		Now: func() time.Time { return time.UnixMilli(ms.Add(1)) },
	})
	logs := &syncBuffer{}
	srv.Config.Handler = api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	srv.Start()
	t.Cleanup(srv.Close)
	e := &env{
		kind: kind, db: db, svc: svc, client: srv.Client(), base: root + api.BasePath,
		logs: logs, userID: bot.NewID(), teamID: bot.NewID(),
	}
	e.token = e.newToken(t, e.userID, e.teamID)
	return &linkEnv{env: e, root: root, ms: ms}
}

// page GETs url (absolute) with the given bearer token ("" for none).
func (e *linkEnv) page(t *testing.T, rawURL, token string) response {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	path := u.Path
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	// send prefixes the API's base path; the page lives outside it.
	saved := e.base
	e.base = e.root
	defer func() { e.base = saved }()
	return e.send(t, "GET", path, h, nil)
}

// detailedRun creates a run of two checklists with a checked item, an
// item in progress with an assignee, two status updates and its timeline.
func (e *linkEnv) detailedRun(t *testing.T, name string) bot.Run {
	t.Helper()
	ctx := context.Background()
	r := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), name)
	a := bot.Actor{UserID: e.userID, TeamIDs: []string{e.teamID}}
	steps := []func() (bot.Run, error){
		func() (bot.Run, error) {
			ri, err := e.svc.SetItemState(ctx, a, r.ID, 0, 0, bot.ItemClosed)
			return ri.Run, err
		},
		func() (bot.Run, error) {
			ri, err := e.svc.SetItemState(ctx, a, r.ID, 0, 1, bot.ItemClosed)
			return ri.Run, err
		},
		func() (bot.Run, error) {
			ri, err := e.svc.SetItemState(ctx, a, r.ID, 1, 0, bot.ItemInProgress)
			return ri.Run, err
		},
		func() (bot.Run, error) {
			ri, _, err := e.svc.SetItemAssignee(ctx, a, r.ID, 1, 0, e.userID)
			return ri.Run, err
		},
		func() (bot.Run, error) {
			return e.svc.UpdateStatus(ctx, a, r.ID, "Database failed over; investigating.", 0)
		},
		func() (bot.Run, error) { return e.svc.UpdateStatus(ctx, a, r.ID, "Fix deployed, monitoring.", 0) },
	}
	for i, step := range steps {
		var err error
		if r, err = step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return r
}

// wantNoRunData fails t when an error page shows anything of the run.
func wantNoRunData(t *testing.T, res response, r bot.Run) {
	t.Helper()
	for _, s := range []string{r.Name, "Triage", "Gather logs", "Fix deployed"} {
		if strings.Contains(string(res.body), s) {
			t.Errorf("error page (status %d) shows %q:\n%s", res.status, s, res.body)
		}
	}
}

func TestDetailsPage(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		r := e.detailedRun(t, "Checkout is down")
		link := e.svc.DetailsURL(r)
		if !strings.HasPrefix(link, e.root+"/runs/"+r.ID+"?sig=") {
			t.Fatalf("got details URL %q, want %s/runs/%s?sig=...", link, e.root, r.ID)
		}
		plain := e.root + "/runs/" + r.ID

		t.Run("signed link", func(t *testing.T) {
			res := e.page(t, link, "").want(t, http.StatusOK)
			for h, want := range map[string]string{
				"Content-Type":            "text/html; charset=utf-8",
				"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
				"X-Frame-Options":         "DENY",
			} {
				if got := res.header.Get(h); got != want {
					t.Errorf("got %s %q, want %q", h, got, want)
				}
			}
			body := string(res.body)
			for _, want := range []string{
				"Checkout is down", "@user-" + e.userID[:6], "In progress", "Triage", "Resolve", "2/3 done", "0/2 done",
				"width:66%", "Gather logs", "all of them", "in progress", "Fix deployed, monitoring.",
				"Database failed over; investigating.", "Run started", "2025-01-01 00:00 UTC",
				`name="viewport"`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "<script") {
				t.Errorf("page has a script:\n%s", body)
			}
			newer, older := strings.Index(body, "Fix deployed"), strings.Index(body, "Database failed over")
			if newer > older {
				t.Errorf("status updates: got the newest at %d after the older at %d, want newest first", newer, older)
			}
		})
		t.Run("bearer token", func(t *testing.T) {
			res := e.page(t, plain, e.token).want(t, http.StatusOK)
			if !strings.Contains(string(res.body), "Checkout is down") {
				t.Errorf("page lacks the run's name:\n%s", res.body)
			}
		})
		for _, tc := range []struct {
			name, url, token string
			status           int
		}{
			{"missing signature", plain, "", http.StatusUnauthorized},
			{"forged signature", forge(link), "", http.StatusUnauthorized},
			{"signature of another run", strings.Replace(link, r.ID, bot.NewID(), 1), "", http.StatusUnauthorized},
			{"garbage signature", plain + "?sig=nonsense", "", http.StatusUnauthorized},
			{"unknown token", plain, "pbk_nope", http.StatusUnauthorized},
			{"other team", plain, e.newToken(t, bot.NewID(), bot.NewID()), http.StatusForbidden},
			{"unknown run by token", e.root + "/runs/" + bot.NewID(), e.token, http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.page(t, tc.url, tc.token).want(t, tc.status)
				wantNoRunData(t, res, r)
				if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("got Content-Type %q, want text/html; charset=utf-8", ct)
				}
			})
		}
		t.Run("unknown run by link", func(t *testing.T) {
			gone := e.svc.DetailsURL(bot.Run{ID: bot.NewID()})
			e.page(t, gone, "").want(t, http.StatusNotFound)
		})
		t.Run("expired link", func(t *testing.T) {
			e.ms.Add((bot.DetailsLinkTTL + time.Minute).Milliseconds())
			res := e.page(t, link, "").want(t, http.StatusUnauthorized)
			wantNoRunData(t, res, r)
			e.page(t, e.svc.DetailsURL(r), "").want(t, http.StatusOK) // a fresh link works
		})
		t.Run("finished run", func(t *testing.T) {
			a := bot.Actor{UserID: e.userID, TeamIDs: []string{e.teamID}}
			ended, err := e.svc.EndRun(context.Background(), a, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			body := string(e.page(t, e.svc.DetailsURL(ended), "").want(t, http.StatusOK).body)
			end := time.UnixMilli(ended.EndAt).UTC().Format("2006-01-02 15:04 UTC")
			for _, want := range []string{"Finished " + end, "<dt>Ended</dt><dd>" + end + "</dd>", "Run finished"} {
				if !strings.Contains(body, want) {
					t.Errorf("page of a finished run lacks %q:\n%s", want, body)
				}
			}
			if strings.Contains(body, "In progress") {
				t.Errorf("page of a finished run says In progress:\n%s", body)
			}
		})
	})
}

// forge changes one character in the middle of a link's signature.
func forge(link string) string {
	i := len(link) - 10
	c := "A"
	if link[i] == 'A' {
		c = "B"
	}
	return link[:i] + c + link[i+1:]
}

func TestDetailsPageEscapes(t *testing.T) {
	forEachKindLinks(t, func(t *testing.T, e *linkEnv) {
		r := e.createRun(t, e.createPlaybook(t, e.playbookBody("Outage")), "<script>alert(1)</script>")
		body := string(e.page(t, e.svc.DetailsURL(r), "").want(t, http.StatusOK).body)
		if strings.Contains(body, "<script>alert(1)</script>") {
			t.Errorf("page has the run's name unescaped:\n%s", body)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("page lacks the escaped name:\n%s", body)
		}
	})
}
