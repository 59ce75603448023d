package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// countingChat is fakeChat counting the channels it creates.
type countingChat struct {
	fakeChat
	channels atomic.Int64
}

func (c *countingChat) CreateChannel(ctx context.Context, ch bot.NewChannel) (string, error) {
	c.channels.Add(1)
	return c.fakeChat.CreateChannel(ctx, ch)
}

// clockEnv is an env whose service clock the test moves: each reading
// advances it by a millisecond, and advance jumps it.
type clockEnv struct {
	*env
	ms   *atomic.Int64
	chat *countingChat
}

func (c clockEnv) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// forEachKindClock is forEachKind with a clockEnv over a countingChat.
func forEachKindClock(t *testing.T, fn func(t *testing.T, e clockEnv)) {
	t.Helper()
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newClockEnv(t, kind))
		})
	}
}

func newClockEnv(t *testing.T, kind string) clockEnv {
	t.Helper()
	db := storetest.Open(t, kind)
	ms := &atomic.Int64{}
	ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	chat := &countingChat{}
	svc := bot.NewService(bot.Config{
		Store: db, Chat: chat,
		Now: func() time.Time { return time.UnixMilli(ms.Add(1)) },
	})
	logs := &syncBuffer{}
	srv := httptest.NewServer(api.New(api.Config{Service: svc, Logger: slog.New(slog.NewJSONHandler(logs, nil))}))
	t.Cleanup(srv.Close)
	e := &env{
		kind: kind, db: db, svc: svc, client: srv.Client(), base: srv.URL + api.BasePath,
		logs: logs, userID: bot.NewID(), teamID: bot.NewID(),
	}
	e.token = e.newToken(t, e.userID, e.teamID)
	return clockEnv{env: e, ms: ms, chat: chat}
}

// keyed sends a request with token and an Idempotency-Key (none when key
// is nil).
func (e *env) keyed(t *testing.T, token string, key *string, method, path string, body any) response {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if key != nil {
		h.Set("Idempotency-Key", *key)
	}
	return e.send(t, method, path, h, body)
}

// runCount returns how many runs the env's team has.
func (e *env) runCount(t *testing.T) int {
	t.Helper()
	l, err := e.db.ListRuns(context.Background(), bot.RunFilter{TeamID: e.teamID, PerPage: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return l.TotalCount
}

// playbookCount returns how many playbooks the env's team has.
func (e *env) playbookCount(t *testing.T) int {
	t.Helper()
	l, err := e.db.ListPlaybooks(context.Background(), bot.PlaybookFilter{TeamID: e.teamID, PerPage: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return l.TotalCount
}

func (e *env) runBody(playbookID, name string) map[string]any {
	return map[string]any{"name": name, "playbook_id": playbookID, "team_id": e.teamID, "owner_user_id": e.userID}
}

// wantSameAnswer fails t unless the repeat replays first: same status,
// Location, Content-Type and body, marked replayed.
func wantSameAnswer(t *testing.T, first, repeat response) {
	t.Helper()
	if repeat.status != first.status {
		t.Errorf("repeat: got status %d, want the first's %d; body %s", repeat.status, first.status, repeat.body)
	}
	for _, h := range []string{"Location", "Content-Type"} {
		if got, want := repeat.header.Get(h), first.header.Get(h); got != want {
			t.Errorf("repeat: got %s %q, want the first's %q", h, got, want)
		}
	}
	if !bytes.Equal(repeat.body, first.body) {
		t.Errorf("repeat: got body\n%s\nwant the first's\n%s", repeat.body, first.body)
	}
	if got := repeat.header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("repeat: got Idempotent-Replayed %q, want true", got)
	}
	if got := first.header.Get("Idempotent-Replayed"); got != "" {
		t.Errorf("first answer: got Idempotent-Replayed %q, want none", got)
	}
}

func ptr(s string) *string { return &s }

// TestIdempotentCreateRun: POST /runs repeated with one key returns the
// first answer and creates one run and one channel.
func TestIdempotentCreateRun(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		key := ptr("run-" + bot.NewID())
		first := e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		var run bot.Run
		first.decode(t, &run)
		if got, want := first.header.Get("Location"), api.BasePath+"/runs/"+run.ID; got != want {
			t.Errorf("got Location %q, want %q", got, want)
		}
		for range 2 {
			repeat := e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage"))
			wantSameAnswer(t, first, repeat)
		}
		if n := e.runCount(t); n != 1 {
			t.Errorf("got %d runs, want 1", n)
		}
		if n := e.chat.channels.Load(); n != 1 {
			t.Errorf("got %d channels created, want 1", n)
		}
		// Without a key, the same request creates another run, as before.
		e.keyed(t, e.token, nil, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		if n := e.runCount(t); n != 2 {
			t.Errorf("after a request without a key: got %d runs, want 2", n)
		}
	})
}

// TestIdempotentCreatePlaybook: POST /playbooks repeated with one key,
// sent as the draft's quoted string once and bare once, creates one
// playbook and returns the first answer.
func TestIdempotentCreatePlaybook(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		key := "pb-" + bot.NewID()
		body := e.playbookBody("Incident")
		first := e.keyed(t, e.token, &key, "POST", "/playbooks", body).want(t, http.StatusCreated)
		repeat := e.keyed(t, e.token, ptr(`"`+key+`"`), "POST", "/playbooks", body)
		wantSameAnswer(t, first, repeat)
		if n := e.playbookCount(t); n != 1 {
			t.Errorf("got %d playbooks, want 1", n)
		}
	})
}

// TestIdempotentStatusUpdate: POST /runs/{id}/status repeated with one key
// records one status update; the same key on another run is another key.
func TestIdempotentStatusUpdate(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		run := e.createRun(t, pb, "Outage")
		other := e.createRun(t, pb, "Other")
		key := ptr("status-" + bot.NewID())
		body := map[string]any{"message": "Mitigated", "reminder": 600}
		first := e.keyed(t, e.token, key, "POST", "/runs/"+run.ID+"/status", body).want(t, http.StatusOK)
		repeat := e.keyed(t, e.token, key, "POST", "/runs/"+run.ID+"/status", body)
		wantSameAnswer(t, first, repeat)
		if got := e.getRun(t, run.ID).StatusUpdates; len(got) != 1 {
			t.Errorf("got %d status updates, want 1: %+v", len(got), got)
		}
		e.keyed(t, e.token, key, "POST", "/runs/"+other.ID+"/status", body).want(t, http.StatusOK)
		if got := e.getRun(t, other.ID).StatusUpdates; len(got) != 1 {
			t.Errorf("same key on another run: got %d status updates, want 1", len(got))
		}
	})
}

// TestIdempotencyKeyReused: the same key with another body is refused with
// 422 and creates nothing, for each operation.
func TestIdempotencyKeyReused(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		run := e.createRun(t, pb, "Outage")
		for _, tt := range []struct {
			name, path  string
			first, next any
			count       func() int
		}{
			{"runs", "/runs", e.runBody(pb, "A"), e.runBody(pb, "B"), func() int { return e.runCount(t) }},
			{"playbooks", "/playbooks", e.playbookBody("A"), e.playbookBody("B"), func() int { return e.playbookCount(t) }},
			{"status", "/runs/" + run.ID + "/status", map[string]any{"message": "A"}, map[string]any{"message": "B"},
				func() int { return len(e.getRun(t, run.ID).StatusUpdates) }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				key := ptr(bot.NewID())
				first := e.keyed(t, e.token, key, "POST", tt.path, tt.first)
				if first.status >= 300 {
					t.Fatalf("first: got status %d: %s", first.status, first.body)
				}
				before := tt.count()
				eb := e.keyed(t, e.token, key, "POST", tt.path, tt.next).wantError(t, http.StatusUnprocessableEntity)
				if !strings.Contains(eb.Error, "Idempotency-Key") {
					t.Errorf("got error %q, want it to name the Idempotency-Key", eb.Error)
				}
				if after := tt.count(); after != before {
					t.Errorf("got %d after the refused request, want %d: nothing created", after, before)
				}
				// The first request still replays.
				wantSameAnswer(t, first, e.keyed(t, e.token, key, "POST", tt.path, tt.first))
			})
		}
	})
}

// TestIdempotencyKeyPerUser: two users sending one key get two runs.
func TestIdempotencyKeyPerUser(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		other := e.newToken(t, bot.NewID(), e.teamID)
		key := ptr("shared-key")
		var a, b bot.Run
		e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated).decode(t, &a)
		r := e.keyed(t, other, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		r.decode(t, &b)
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another user's request was answered as a replay")
		}
		if a.ID == b.ID {
			t.Errorf("both users got run %s, want two runs", a.ID)
		}
		if n := e.runCount(t); n != 2 {
			t.Errorf("got %d runs, want 2", n)
		}
	})
}

// TestIdempotencyKeyConcurrent: eight concurrent requests with one key
// create one run and all get its answer.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		key := ptr("concurrent-" + bot.NewID())
		const n = 8
		got := make([]response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage"))
			}()
		}
		wg.Wait()
		replayed := 0
		for i, r := range got {
			if r.status != http.StatusCreated {
				t.Errorf("request %d: got status %d, want 201: %s", i, r.status, r.body)
			}
			if !bytes.Equal(r.body, got[0].body) {
				t.Errorf("request %d: got body %s, want the same as request 0's %s", i, r.body, got[0].body)
			}
			if r.header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != n-1 {
			t.Errorf("got %d replayed answers, want %d", replayed, n-1)
		}
		if c := e.runCount(t); c != 1 {
			t.Errorf("got %d runs, want 1", c)
		}
		if c := e.chat.channels.Load(); c != 1 {
			t.Errorf("got %d channels created, want 1", c)
		}
	})
}

// TestIdempotencyKeyExpires: after 24 h the key is new again.
func TestIdempotencyKeyExpires(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		key := ptr("daily")
		var first, second bot.Run
		e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated).decode(t, &first)
		e.advance(bot.IdempotencyTTL - time.Minute)
		r := e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		if r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("a minute before expiry: the repeat was not replayed")
		}
		e.advance(time.Minute)
		r = e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		r.decode(t, &second)
		if r.header.Get("Idempotent-Replayed") != "" || second.ID == first.ID {
			t.Errorf("after expiry: got run %s (replayed %q), want a new run", second.ID, r.header.Get("Idempotent-Replayed"))
		}
		if n := e.runCount(t); n != 2 {
			t.Errorf("got %d runs, want 2", n)
		}
	})
}

// TestIdempotencyKeyInvalid: a malformed key is a 400 that names the
// header, and nothing is created.
func TestIdempotencyKeyInvalid(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		for _, tt := range []struct {
			name   string
			values []string
		}{
			{"empty", []string{""}},
			{"too long", []string{strings.Repeat("k", 256)}},
			{"not ASCII", []string{"clé"}},
			{"control character", []string{"a\tb"}},
			{"two headers", []string{"a", "b"}},
			{"unterminated quoted string", []string{`"abc`}},
			{"bad escape", []string{`"a\b"`}},
			{"empty quoted string", []string{`""`}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				h := http.Header{"Authorization": {"Bearer " + e.token}, "Idempotency-Key": tt.values}
				eb := e.send(t, "POST", "/runs", h, e.runBody(pb, "Outage")).wantError(t, http.StatusBadRequest)
				if !strings.Contains(eb.Error+eb.Details, "Idempotency-Key") {
					t.Errorf("got error %+v, want it to name the Idempotency-Key", eb)
				}
			})
		}
		if n := e.runCount(t); n != 0 {
			t.Errorf("got %d runs, want none", n)
		}
		// The longest key is fine.
		e.keyed(t, e.token, ptr(strings.Repeat("k", 255)), "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
	})
}

// TestIdempotencyKeyFailedRequest: a request that fails does not use up its
// key: the corrected request with the same key creates, once.
func TestIdempotencyKeyFailedRequest(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		key := ptr("retry-" + bot.NewID())
		bad := e.runBody(pb, "Outage")
		bad["playbook_id"] = bot.NewID() // no such playbook
		e.keyed(t, e.token, key, "POST", "/runs", bad).wantError(t, http.StatusBadRequest)
		e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "")).wantError(t, http.StatusBadRequest)
		first := e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		if first.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("first successful request answered as a replay")
		}
		wantSameAnswer(t, first, e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")))
		if n := e.runCount(t); n != 1 {
			t.Errorf("got %d runs, want 1", n)
		}
		// A refused status update (no message) does not take its key
		// either.
		skey := ptr("status-" + bot.NewID())
		var run bot.Run
		first.decode(t, &run)
		e.keyed(t, e.token, skey, "POST", "/runs/"+run.ID+"/status", map[string]any{"message": ""}).wantError(t, http.StatusBadRequest)
		e.keyed(t, e.token, skey, "POST", "/runs/"+run.ID+"/status", map[string]any{"message": "ok"}).want(t, http.StatusOK)
		if got := e.getRun(t, run.ID).StatusUpdates; len(got) != 1 {
			t.Errorf("got %d status updates, want 1", len(got))
		}
	})
}

// TestIdempotencyKeyContract: answers with a key, first and replayed, keep
// to the spec.
func TestIdempotencyKeyContract(t *testing.T) {
	c := loadContract(t)
	e := newClockEnv(t, storetest.SQLite)
	pb := e.createPlaybook(t, e.playbookBody("Incident"))
	key := ptr("contract")
	for i := range 2 {
		r := e.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage")).want(t, http.StatusCreated)
		req, err := http.NewRequest("POST", "http://localhost"+api.BasePath+"/runs", bytes.NewReader(encodeBody(t, e.runBody(pb, "Outage"))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if reqErr, resErr := c.check(req, r.status, r.body); reqErr != nil || resErr != nil {
			t.Errorf("answer %d: request error %v, response error %v", i, reqErr, resErr)
		}
	}
	if n := e.runCount(t); n != 1 {
		t.Errorf("got %d runs, want 1", n)
	}
}

// TestIdempotencyKeyReplicas: eight concurrent requests with one key, sent
// to two replicas (each with its own in-process key locks) over one
// database: the key's primary key lets one run be created, and every
// request gets that run.
func TestIdempotencyKeyReplicas(t *testing.T) {
	forEachKindClock(t, func(t *testing.T, e clockEnv) {
		pb := e.createPlaybook(t, e.playbookBody("Incident"))
		second := httptest.NewServer(api.New(api.Config{Service: e.svc, Logger: slog.New(slog.NewJSONHandler(e.logs, nil))}))
		t.Cleanup(second.Close)
		replicaB := *e.env
		replicaB.base, replicaB.client = second.URL+api.BasePath, second.Client()
		key := ptr("replicas-" + bot.NewID())
		const n = 8
		got := make([]response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := e.env
				if i%2 == 1 {
					to = &replicaB
				}
				got[i] = to.keyed(t, e.token, key, "POST", "/runs", e.runBody(pb, "Outage"))
			}()
		}
		wg.Wait()
		fresh := 0
		for i, r := range got {
			var run, first bot.Run
			r.want(t, http.StatusCreated).decode(t, &run)
			got[0].decode(t, &first)
			if run.ID != first.ID {
				t.Errorf("request %d: got run %s, want %s as request 0", i, run.ID, first.ID)
			}
			if r.header.Get("Idempotent-Replayed") == "" {
				fresh++
			}
		}
		if fresh != 1 {
			t.Errorf("got %d answers not replayed, want 1", fresh)
		}
		if c := e.runCount(t); c != 1 {
			t.Errorf("got %d runs, want 1", c)
		}
	})
}
