package mattermost_test

import (
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/store/storetest"
)

// reply is a slash command typed, with what the bot answered and what
// Mattermost showed.
type reply struct {
	text   string
	answer *model.CommandResponse
	shown  string                // the post or ephemeral message the user sees
	props  model.StringInterface // its props
}

// replies types each command of texts as alice in channel and returns
// them with what was shown.
func (s *started) replies(t *testing.T, channel string, texts ...string) []reply {
	t.Helper()
	var out []reply
	for _, text := range texts {
		resp := s.slash(t, s.alice, channel, text)
		r := reply{text: text, answer: resp}
		if resp.ResponseType == model.CommandResponseTypeInChannel {
			posts := s.mm.Posts(channel)
			r.shown, r.props = posts[len(posts)-1].Message, posts[len(posts)-1].GetProps()
		} else {
			e := s.mm.Ephemerals()
			r.shown, r.props = e[len(e)-1].Message, e[len(e)-1].Props
		}
		out = append(out, r)
	}
	return out
}

// TestRepliesShownAsWritten checks point 8 of issue 22: Mattermost
// converts the Slack markup of a command's answer unless it sets
// skip_slack_parsing, so that "<@user|user-id>" in the help and usage
// texts showed as "[user-id](@user)", inside backticks too. The user must
// see what the bot wrote: the help, a usage error, an in-channel reply.
func TestRepliesShownAsWritten(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	rs := s.replies(t, s.channel, "help", "assign 0 0", "check 0 0")
	for i, want := range []string{"`/playbook assign <checklist> <item> <@user|user-id>`", "Missing <@user|user-id>.", "Checked"} {
		r := rs[i]
		if r.shown != r.answer.Text {
			t.Errorf("/playbook %s: the user sees\n%q\nwant the answer as written:\n%q", r.text, r.shown, r.answer.Text)
		}
		if !strings.Contains(r.shown, want) {
			t.Errorf("/playbook %s: the user sees %q, want it to contain %q", r.text, r.shown, want)
		}
	}
}

// TestRepliesIcon checks point 12 of issue 22: a command's answer
// without an icon_url makes Mattermost (icon overrides enabled) give the
// post an empty override_icon_url, which it logs as invalid for every
// answer. The bot's answers carry its avatar's URL instead.
func TestRepliesIcon(t *testing.T) {
	s := startRun(t, storetest.SQLite)
	avatar := s.mm.URL + "/api/v4/users/" + s.bot.Id + "/image"
	for _, r := range s.replies(t, s.channel, "help", "assign 0 0", "check 0 0", "owner @carol") {
		if got := r.props[model.PostPropsOverrideIconURL]; got != avatar {
			t.Errorf("/playbook %s: override_icon_url %q, want the bot's avatar %q", r.text, got, avatar)
		}
	}
	for _, w := range s.mm.Warnings() {
		if strings.Contains(w, "command /playbook") {
			t.Errorf("Mattermost warned: %s", w)
		}
	}
}
