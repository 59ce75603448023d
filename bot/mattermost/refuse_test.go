package mattermost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// started is an env with a run started (through the start-run dialog)
// by alice in the team.
type started struct {
	*env
	r       bot.Run
	channel string
	postID  string
}

func startRun(t testing.TB, kind string) *started {
	t.Helper()
	e := newEnv(t, kind)
	e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	e.submit(t, e.dialog(t, dialogs.StartRun), map[string]any{"name": "Database down"})
	chans := e.mm.Channels(e.team.Id)
	ch := chans[len(chans)-1].Id
	r := e.run(t, ch)
	return &started{env: e, r: r, channel: ch, postID: r.ChecklistPostID}
}

// TestSlashCommandToken checks that a slash command runs only with one of
// the registered command tokens, from the header or the form.
func TestSlashCommandToken(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"wrong token", "not-the-token"},
		{"token of another command, longer", s.cmdToken + "x"},
		{"prefix of the token", s.cmdToken[:10]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.mm.SlashCommand(ctx, mmtest.Slash{UserID: s.alice.Id, ChannelID: s.channel, Text: "finish", Token: tc.token})
			refused(t, "/playbook finish", err)
			if r := s.run(t, s.channel); !r.IsActive {
				t.Error("the run was ended by a refused command")
			}
		})
	}
	t.Run("another team's token", func(t *testing.T) {
		resp, err := s.mm.SlashCommand(ctx, mmtest.Slash{UserID: s.alice.Id, ChannelID: s.channel, Text: "info", Token: "another-teams-token"})
		if err != nil || !strings.Contains(resp.Text, "Database down") {
			t.Errorf("got %+v, %v; want the run's info", resp, err)
		}
	})
	t.Run("token in the form only", func(t *testing.T) {
		form := "channel_id=" + s.channel + "&team_id=" + s.team.Id + "&user_id=" + s.alice.Id + "&text=info&token=" + s.cmdToken
		res, err := http.Post(s.botURL+"/mattermost/command", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %d %s, want 200 application/json", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
}

// TestDialogSubmissionRefused checks that a dialog submission whose state
// is missing, forged, expired, or was issued for another user, dialog or
// channel is refused with status 200 and a message Mattermost shows (it
// drops the body of any other status), changes nothing, and is logged; and
// that a cancelled one does nothing.
func TestDialogSubmissionRefused(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			s := startRun(t, kind)
			ctx := context.Background()
			s.slash(t, s.alice, s.channel, "end")
			d := s.dialog(t, dialogs.EndRun)
			for _, tc := range []struct {
				name   string
				tamper func(*model.SubmitDialogRequest)
				want   string
			}{
				{"missing state", func(r *model.SubmitDialogRequest) { r.State = "" }, "expired"},
				{"forged signature", func(r *model.SubmitDialogRequest) { r.State = flipLast(r.State) }, "expired"},
				{"forged payload", func(r *model.SubmitDialogRequest) { r.State = "x" + r.State }, "expired"},
				{"another user", func(r *model.SubmitDialogRequest) { r.UserId = s.bob.Id }, "not opened for you"},
				{"another dialog", func(r *model.SubmitDialogRequest) { r.CallbackId = dialogs.StatusUpdate }, "expired"},
				{"another channel", func(r *model.SubmitDialogRequest) { r.ChannelId = s.townSquare.Id }, "opened in another channel"},
				{"a button's token", func(r *model.SubmitDialogRequest) { r.State = s.buttonToken(t, "c0i0") }, "expired"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					req, err := mmtest.DialogSubmission(d, nil)
					if err != nil {
						t.Fatal(err)
					}
					tc.tamper(&req)
					resp, err := s.mm.SendDialogSubmission(ctx, d.URL, req)
					s.dialogRefused(t, "end-run submission", resp, err, tc.want)
					if r := s.run(t, s.channel); !r.IsActive {
						t.Fatal("the run was ended by a refused submission")
					}
				})
			}
			t.Run("cancelled", func(t *testing.T) {
				req := model.SubmitDialogRequest{Type: "dialog_submission", CallbackId: d.Dialog.CallbackId,
					State: d.Dialog.State, UserId: d.UserID, ChannelId: d.ChannelID, TeamId: d.TeamID, Cancelled: true}
				resp, err := s.mm.SendDialogSubmission(ctx, d.URL, req)
				if err != nil || resp.Error != "" || len(resp.Errors) > 0 {
					t.Errorf("cancel: got %+v, %v; want {}", resp, err)
				}
				if r := s.run(t, s.channel); !r.IsActive {
					t.Error("the run was ended by a cancelled dialog")
				}
			})
			t.Run("expired", func(t *testing.T) {
				s.clock.Advance(16 * time.Minute)
				resp, err := s.mm.SubmitDialog(ctx, d, nil)
				s.dialogRefused(t, "end-run submission after 16 minutes", resp, err, "expired")
				if r := s.run(t, s.channel); !r.IsActive {
					t.Error("the run was ended by an expired dialog")
				}
			})
		})
	}
}

// dialogRefused asserts that a dialog submission got status 200 with an
// error that says want and what to do, and that the refusal was logged.
func (e *env) dialogRefused(t *testing.T, what string, resp *model.SubmitDialogResponse, err error, want string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: got %v, want status 200 with an error Mattermost shows", what, err)
		return
	}
	if !strings.Contains(resp.Error, want) || !strings.Contains(resp.Error, "run the command again") || len(resp.Errors) > 0 {
		t.Errorf("%s: got %+v, want an error saying %q and to run the command again", what, resp, want)
	}
	if !strings.Contains(e.logs.String(), "level=WARN msg=\"dialog submission refused\"") {
		t.Errorf("%s: the refusal was not logged as a warning", what)
	}
}

// TestButtonRefused checks that a click whose context is missing, forged,
// expired or not a button's changes nothing and is answered with status
// 200 and an explanation (Mattermost drops the body of any other status).
func TestButtonRefused(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			s := startRun(t, kind)
			ctx := context.Background()
			s.slash(t, s.alice, s.channel, "update")
			dialogState := s.dialog(t, dialogs.StatusUpdate).Dialog.State
			for _, tc := range []struct {
				name   string
				tamper func(*model.PostActionIntegrationRequest)
			}{
				{"no context", func(r *model.PostActionIntegrationRequest) { r.Context = nil }},
				{"no token", func(r *model.PostActionIntegrationRequest) { r.Context = map[string]any{"other": "x"} }},
				{"forged signature", func(r *model.PostActionIntegrationRequest) {
					r.Context["token"] = flipLast(r.Context["token"].(string))
				}},
				{"a dialog's token", func(r *model.PostActionIntegrationRequest) { r.Context["token"] = dialogState }},
				{"another channel", func(r *model.PostActionIntegrationRequest) { r.ChannelId = s.townSquare.Id }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					url, req, err := s.mm.ActionRequest(s.carol.Id, s.postID, "c0i0")
					if err != nil {
						t.Fatal(err)
					}
					tc.tamper(&req)
					resp, err := s.mm.SendAction(ctx, url, req)
					refusedClick(t, "click", resp, err)
					s.wantItem(t, s.channel, 0, 0, bot.ItemOpen)
				})
			}
			t.Run("expired", func(t *testing.T) {
				s.clock.Advance(366 * 24 * time.Hour)
				resp, err := s.mm.Click(ctx, s.carol.Id, s.postID, "c0i0")
				refusedClick(t, "click after a year", resp, err)
				s.wantItem(t, s.channel, 0, 0, bot.ItemOpen)
			})
		})
	}
}

// TestStaleButton checks that a button rendered before its item moved
// toggles that item, not the one now at its old place.
func TestStaleButton(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	ctx := context.Background()
	url, req, err := s.mm.ActionRequest(s.carol.Id, s.postID, "c0i0") // "Page the on-call engineer"
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.MoveItem(ctx, s.admin, s.r.ID, 0, 0, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.mm.SendAction(ctx, url, req); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, s.channel)
	if it := r.Checklists[0].Items[2]; it.Title != "Page the on-call engineer" || it.State != bot.ItemClosed {
		t.Errorf("item 0 2 is %q %q, want the clicked item, closed", it.Title, it.State)
	}
	if it := r.Checklists[0].Items[0]; it.State != bot.ItemOpen {
		t.Errorf("item 0 0 (%q) is %q, want it untouched", it.Title, it.State)
	}

	if _, err := s.svc.DeleteItem(ctx, s.admin, s.r.ID, 0, 2); err != nil {
		t.Fatal(err)
	}
	resp, err := s.mm.SendAction(ctx, url, req)
	if err != nil || !strings.Contains(resp.EphemeralText, "removed") {
		t.Errorf("click on a removed item: got %+v, %v; want 200 with an ephemeral explanation", resp, err)
	}
}

// buttonToken returns the signed token of a button of the checklist post.
func (s *started) buttonToken(t *testing.T, actionID string) string {
	t.Helper()
	_, req, err := s.mm.ActionRequest(s.alice.Id, s.postID, actionID)
	if err != nil {
		t.Fatal(err)
	}
	return req.Context["token"].(string)
}

// flipLast changes a character near the end of a token, in its signature.
// (Not the very last one: its two lowest bits are base64 padding, which a
// lenient decoder ignores.)
func flipLast(s string) string {
	if len(s) < 5 {
		return s + "x"
	}
	i := len(s) - 5
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestDialogReplay checks that a used dialog state is refused, whether it
// is sent straight to the bot with no authentication or submitted again
// through Mattermost (twice), and that nothing changes: one run, one status
// update.
func TestDialogReplay(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			e.playbook(t)
			ctx := context.Background()
			e.slash(t, e.alice, e.townSquare.Id, "run")
			start := e.dialog(t, dialogs.StartRun)
			values := map[string]any{dialogs.StartRunName: "Database down"}
			e.submit(t, start, values)
			ch := e.runChannel(t, "Database down")

			e.slash(t, e.bob, ch, "update")
			update := e.dialog(t, dialogs.StatusUpdate)
			statusValues := map[string]any{dialogs.StatusMessage: "Failing over.", dialogs.StatusReminder: "900"}
			e.submit(t, update, statusValues)

			for _, d := range []struct {
				dialog mmtest.OpenedDialog
				values map[string]any
			}{{start, values}, {update, statusValues}} {
				name := d.dialog.Dialog.CallbackId
				req, err := mmtest.DialogSubmission(d.dialog, d.values)
				if err != nil {
					t.Fatal(err)
				}
				resp := e.postDialog(t, req)
				e.dialogRefused(t, name+" replayed to the bot", &resp, nil, "already submitted")
				for i := range 2 {
					resp, err := e.mm.SubmitDialog(ctx, d.dialog, d.values)
					e.dialogRefused(t, fmt.Sprintf("%s submitted again through Mattermost (%d)", name, i+1), resp, err, "already submitted")
				}
			}
			if n := e.countChannels("Database down"); n != 1 {
				t.Errorf("%d run channels, want 1", n)
			}
			if r := e.run(t, ch); len(r.StatusUpdates) != 1 {
				t.Errorf("%d status updates, want 1", len(r.StatusUpdates))
			}
			if n := e.countPosts(ch, "#### Status update: Database down"); n != 1 {
				t.Errorf("%d status update posts, want 1", n)
			}
			e.noSessionLeaks(t)
		})
	}
}

// TestDialogDoubleSubmit checks that a dialog submitted several times at
// once (a double click, a client's retry) starts exactly one run, and that
// the other submissions are told why nothing happened.
func TestDialogDoubleSubmit(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			e.playbook(t)
			e.slash(t, e.alice, e.townSquare.Id, "run")
			d := e.dialog(t, dialogs.StartRun)
			const n = 4
			var (
				wg    sync.WaitGroup
				resps [n]*model.SubmitDialogResponse
				errs  [n]error
			)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resps[i], errs[i] = e.mm.SubmitDialog(context.Background(), d, map[string]any{dialogs.StartRunName: "Database down"})
				}()
			}
			wg.Wait()
			done := 0
			for i := range n {
				switch {
				case errs[i] != nil:
					t.Errorf("submission %d: %v, want status 200", i, errs[i])
				case resps[i].Error == "" && len(resps[i].Errors) == 0:
					done++
				case !strings.Contains(resps[i].Error, "already submitted"):
					t.Errorf("submission %d: got %+v, want {} or a refusal saying it was already submitted", i, resps[i])
				}
			}
			if done != 1 {
				t.Errorf("%d submissions handled, want exactly 1", done)
			}
			if got := e.countChannels("Database down"); got != 1 {
				t.Errorf("%d run channels, want 1", got)
			}
		})
	}
}

// TestDialogOtherChannel checks that a dialog's state is bound to the
// channel it was opened in: submitted from another channel it is refused
// and starts nothing; the refusal does not use it up.
func TestDialogOtherChannel(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	e.playbook(t)
	e.slash(t, e.alice, e.townSquare.Id, "run")
	d := e.dialog(t, dialogs.StartRun)
	values := map[string]any{dialogs.StartRunName: "Database down"}
	moved := d
	moved.ChannelID = e.broadcast.Id
	resp, err := e.mm.SubmitDialog(context.Background(), moved, values)
	e.dialogRefused(t, "start-run dialog of town-square submitted from incidents", resp, err, "opened in another channel")
	if n := e.countChannels("Database down"); n != 0 {
		t.Fatalf("%d run channels after the refusal, want none", n)
	}
	e.submit(t, d, values)
	if n := e.countChannels("Database down"); n != 1 {
		t.Errorf("%d run channels, want 1", n)
	}
}

// TestDialogFixAndResubmit checks that a submission with field errors does
// not use the dialog up: fixed, the same dialog goes through, once.
func TestDialogFixAndResubmit(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			e.playbook(t)
			ctx := context.Background()
			e.slash(t, e.alice, e.townSquare.Id, "run")
			d := e.dialog(t, dialogs.StartRun)
			resp, err := e.mm.SubmitDialog(ctx, d, map[string]any{dialogs.StartRunName: strings.Repeat("n", 257)})
			if err != nil || resp.Errors[dialogs.StartRunName] == "" {
				t.Fatalf("too long a name: got %+v, %v; want an error under the name", resp, err)
			}
			e.submit(t, d, map[string]any{dialogs.StartRunName: "Database down"})
			resp, err = e.mm.SubmitDialog(ctx, d, map[string]any{dialogs.StartRunName: "Database down again"})
			e.dialogRefused(t, "third submission", resp, err, "already submitted")
			if n := e.countChannels("Database down"); n != 1 {
				t.Errorf("%d run channels, want 1", n)
			}
		})
	}
}

// postDialog sends a dialog submission straight to the bot, as anyone who
// copied it could, and returns the answer, which must have status 200.
func (e *env) postDialog(t *testing.T, req model.SubmitDialogRequest) model.SubmitDialogResponse {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(e.botURL+mattermost.DialogPath, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var resp model.SubmitDialogResponse
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("direct submission: status %d, %v; want 200 with JSON", res.StatusCode, err)
	}
	return resp
}
