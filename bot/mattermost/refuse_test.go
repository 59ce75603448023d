package mattermost_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
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
// is missing, forged, expired, or was issued for another user or dialog
// gets 401 and changes nothing, and that a cancelled one does nothing.
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
			}{
				{"missing state", func(r *model.SubmitDialogRequest) { r.State = "" }},
				{"forged signature", func(r *model.SubmitDialogRequest) { r.State = flipLast(r.State) }},
				{"forged payload", func(r *model.SubmitDialogRequest) { r.State = "x" + r.State }},
				{"another user", func(r *model.SubmitDialogRequest) { r.UserId = s.bob.Id }},
				{"another dialog", func(r *model.SubmitDialogRequest) { r.CallbackId = dialogs.StatusUpdate }},
				{"a button's token", func(r *model.SubmitDialogRequest) { r.State = s.buttonToken(t, "c0i0") }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					req, err := mmtest.DialogSubmission(d, nil)
					if err != nil {
						t.Fatal(err)
					}
					tc.tamper(&req)
					_, err = s.mm.SendDialogSubmission(ctx, d.URL, req)
					refused(t, "end-run submission", err)
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
				_, err := s.mm.SubmitDialog(ctx, d, nil)
				refused(t, "end-run submission after 16 minutes", err)
				if r := s.run(t, s.channel); !r.IsActive {
					t.Error("the run was ended by an expired dialog")
				}
			})
		})
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

// TestLookupRefused checks that a dynamic lookup needs the dialog's state.
func TestLookupRefused(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	s.slash(t, s.alice, s.channel, "check")
	d := s.dialog(t, dialogs.CheckItem)
	if _, err := s.mm.Lookup(context.Background(), d, dialogs.CheckItemItem, ""); err != nil {
		t.Fatalf("lookup with the dialog's state: %v", err)
	}
	d.UserID = s.bob.Id
	_, err := s.mm.Lookup(context.Background(), d, dialogs.CheckItemItem, "")
	refused(t, "lookup as another user", err)
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
