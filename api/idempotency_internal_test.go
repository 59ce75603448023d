package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// TestIdempotencyKeyAfterCrash: a process that died after committing a
// creation and its key, before recording the answer, left a key without
// an answer. The repeat creates nothing and gets the answer rendered from
// what the key names.
func TestIdempotencyKeyAfterCrash(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, kind)
			svc := bot.NewService(bot.Config{Store: db})
			h := New(Config{Service: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			userID, teamID := bot.NewID(), bot.NewID()
			token, _, err := svc.CreateToken(ctx, userID, []string{teamID}, false)
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.Authenticate(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			send := func(path, key string, body []byte) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", BasePath+path, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(idempotencyHeader, key)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w
			}
			// crashedKey is the key a request to path with body recorded.
			crashedKey := func(op, path, key string, body []byte) bot.IdempotencyKey {
				return bot.IdempotencyKey{
					Scope: actorScope(a) + " " + op + " " + BasePath + path,
					Key:   key, Fingerprint: fingerprint("POST", BasePath+path, body),
				}
			}

			pbBody := []byte(`{"title":"Incident","team_id":"` + teamID + `","create_public_playbook_run":true,"checklists":[{"title":"Triage","items":[{"title":"Page"}]}],"member_ids":[]}`)
			pb, err := svc.CreatePlaybookOnce(ctx, a, crashedKey("createPlaybook", "/playbooks", "pb", pbBody), bot.Playbook{
				Title: "Incident", TeamID: teamID, CreatePublicPlaybookRun: true,
				Checklists: []bot.Checklist{{Title: "Triage", Items: []bot.ChecklistItem{{Title: "Page"}}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			w := send("/playbooks", "pb", pbBody)
			wantRendered(t, w, http.StatusCreated, BasePath+"/playbooks/"+pb.ID)
			var created createdID
			if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || created.ID != pb.ID {
				t.Errorf("playbook repeat: got body %s, want the id %s", w.Body, pb.ID)
			}

			runBody := []byte(`{"name":"Outage","playbook_id":"` + pb.ID + `","team_id":"` + teamID + `"}`)
			run, err := svc.CreateRunOnce(ctx, a, crashedKey("createPlaybookRunFromPost", "/runs", "run", runBody),
				bot.NewRun{Name: "Outage", PlaybookID: pb.ID, TeamID: teamID})
			if err != nil {
				t.Fatal(err)
			}
			w = send("/runs", "run", runBody)
			wantRendered(t, w, http.StatusCreated, BasePath+"/runs/"+run.ID)
			var got bot.Run
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.ID != run.ID || got.Name != "Outage" {
				t.Errorf("run repeat: got body %s, want run %s", w.Body, run.ID)
			}

			statusPath := "/runs/" + run.ID + "/status"
			statusBody := []byte(`{"message":"Mitigated"}`)
			if _, err := svc.UpdateStatusOnce(ctx, a, crashedKey("status", statusPath, "st", statusBody), run.ID, "Mitigated", 0); err != nil {
				t.Fatal(err)
			}
			wantRendered(t, send(statusPath, "st", statusBody), http.StatusOK, "")

			runs, err := db.ListRuns(ctx, bot.RunFilter{TeamID: teamID, PerPage: 100})
			if err != nil {
				t.Fatal(err)
			}
			if runs.TotalCount != 1 {
				t.Errorf("got %d runs, want 1", runs.TotalCount)
			}
			if r, err := db.Run(ctx, run.ID); err != nil || len(r.StatusUpdates) != 1 {
				t.Errorf("got status updates %v (error %v), want 1", r.StatusUpdates, err)
			}
			pbs, err := db.ListPlaybooks(ctx, bot.PlaybookFilter{TeamID: teamID, PerPage: 100})
			if err != nil {
				t.Fatal(err)
			}
			if pbs.TotalCount != 1 {
				t.Errorf("got %d playbooks, want 1", pbs.TotalCount)
			}
		})
	}
}

// wantRendered fails t unless w is a replayed answer with the given status
// and Location.
func wantRendered(t *testing.T, w *httptest.ResponseRecorder, status int, location string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("got status %d, want %d: %s", w.Code, status, w.Body)
	}
	if got := w.Header().Get("Location"); got != location {
		t.Errorf("got Location %q, want %q", got, location)
	}
	if got := w.Header().Get(replayedHeader); got != "true" {
		t.Errorf("got %s %q, want true", replayedHeader, got)
	}
}

// TestKeyLocks: a second holder of a key waits for the first; a waiter
// whose request ends gives up; entries go once released.
func TestKeyLocks(t *testing.T) {
	var l keyLocks
	unlock, err := l.lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.lock(ctx, "k"); err == nil {
		t.Fatal("a second lock of a held key with an ended context: got nil error, want the context's")
	}
	other, err := l.lock(ctx, "other") // free: taken even with an ended context's select racing
	if err == nil {
		other()
	}
	got := make(chan struct{})
	go func() {
		u, err := l.lock(context.Background(), "k")
		if err == nil {
			u()
		}
		close(got)
	}()
	unlock()
	<-got
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) != 0 {
		t.Errorf("got %d keys held after every release, want 0", len(l.m))
	}
}
