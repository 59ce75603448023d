package mmtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// TestCommandResponseSlackParsing checks that the text of a command's
// answer is converted as Mattermost converts Slack markup, inside
// backticks too, unless the answer sets skip_slack_parsing; and that a
// button's ephemeral_text gets its links converted the same way.
func TestCommandResponseSlackParsing(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	text := "Usage: `/playbook assign <checklist> <item> <@user|user-id>` <!here> <@" + w.user.Id + "> <@nobody>"
	converted := "Usage: `/playbook assign <checklist> <item> [user-id](@user)` @here @alice <@nobody>"
	for i, tc := range []struct {
		name   string
		answer model.CommandResponse
		want   string
	}{
		{"ephemeral", model.CommandResponse{ResponseType: "ephemeral", Text: text}, converted},
		{"ephemeral, skip_slack_parsing", model.CommandResponse{ResponseType: "ephemeral", Text: text, SkipSlackParsing: true}, text},
		{"in_channel", model.CommandResponse{ResponseType: "in_channel", Text: text}, converted},
		{"in_channel, skip_slack_parsing", model.CommandResponse{ResponseType: "in_channel", Text: text, SkipSlackParsing: true}, text},
	} {
		trigger := fmt.Sprintf("t%d", i)
		t.Run(tc.name, func(t *testing.T) {
			ch := w.mm.AddChannel(w.team.Id, trigger, model.ChannelTypeOpen, w.user.Id)
			bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
				rw.Header().Set("Content-Type", "application/json")
				json.NewEncoder(rw).Encode(tc.answer)
			}))
			t.Cleanup(bot.Close)
			w.mm.RegisterCommand(w.team.Id, trigger, bot.URL)
			if _, err := w.mm.SlashCommand(ctx, mmtest.Slash{UserID: w.user.Id, ChannelID: ch.Id, Trigger: trigger}); err != nil {
				t.Fatal(err)
			}
			got := ""
			if tc.answer.ResponseType == "in_channel" {
				posts := w.mm.Posts(ch.Id)
				got = posts[len(posts)-1].Message
			} else {
				e := w.mm.Ephemerals()
				got = e[len(e)-1].Message
			}
			if got != tc.want {
				t.Errorf("the user sees %q, want %q", got, tc.want)
			}
		})
	}

	t.Run("button ephemeral_text", func(t *testing.T) {
		for _, skip := range []bool{false, true} {
			bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
				json.NewEncoder(rw).Encode(model.PostActionIntegrationResponse{EphemeralText: "`<a|b>`", SkipSlackParsing: skip})
			}))
			t.Cleanup(bot.Close)
			created, _, err := w.api.CreatePost(ctx, attachmentPost(w.channel.Id, "m", "t", bot.URL))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.mm.Click(ctx, w.user.Id, created.Id, "go1"); err != nil {
				t.Fatal(err)
			}
			e := w.mm.Ephemerals()
			want := "`[b](a)`"
			if skip {
				want = "`<a|b>`"
			}
			if got := e[len(e)-1].Message; got != want {
				t.Errorf("skip_slack_parsing %v: the user sees %q, want %q", skip, got, want)
			}
		}
	})
}

// TestCommandResponseIcon checks what the server does with the icon of a
// command's answer, icon overrides being enabled: the post gets
// override_icon_url, and one saved without a valid URL there is logged as
// a warning.
func TestCommandResponseIcon(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	for _, tc := range []struct {
		name, icon string
		warn       bool
	}{
		{"no icon_url", "", true},
		{"icon_url not a URL", "avatar.png", true},
		{"icon_url", w.mm.URL + "/api/v4/users/" + w.bot.Id + "/image", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trigger := "t" + strings.ReplaceAll(tc.name, " ", "")
			bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
				rw.Header().Set("Content-Type", "application/json")
				json.NewEncoder(rw).Encode(model.CommandResponse{ResponseType: "in_channel", Text: "hi", IconURL: tc.icon})
			}))
			t.Cleanup(bot.Close)
			w.mm.RegisterCommand(w.team.Id, trigger, bot.URL)
			before := len(w.mm.Warnings())
			if _, err := w.mm.SlashCommand(ctx, mmtest.Slash{UserID: w.user.Id, ChannelID: w.channel.Id, Trigger: trigger}); err != nil {
				t.Fatal(err)
			}
			posts := w.mm.Posts(w.channel.Id)
			if got := posts[len(posts)-1].GetProp(model.PostPropsOverrideIconURL); got != tc.icon {
				t.Errorf("override_icon_url %q, want %q", got, tc.icon)
			}
			warnings := w.mm.Warnings()[before:]
			if got := len(warnings) > 0; got != tc.warn {
				t.Errorf("warnings %q; want a warning: %v", warnings, tc.warn)
			}
			for _, msg := range warnings {
				if !strings.Contains(msg, "command /"+trigger) || !strings.Contains(msg, "override_icon_url") {
					t.Errorf("warning %q does not name the command and the prop", msg)
				}
			}
		})
	}
}
