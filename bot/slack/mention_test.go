package slack_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

var (
	// codeSpan is inline code or a code block, where "@name" is a
	// placeholder to type, not a mention (help, usage).
	codeSpan = regexp.MustCompile("```[\\s\\S]*?```|`[^`\\n]*`")
	// bareMention is "@" and a name not inside <…>: shown as text by Slack,
	// which notifies nobody for it.
	bareMention = regexp.MustCompile(`(^|[^<\w&])@[A-Za-z][\w.-]*`)
)

// TestMentionsNotify runs the flows that name users in Slack (the run's
// announcement, the status update's "Posted by", the owner's reminder,
// replies naming an owner or an assignee, /playbook info) and greps every
// text the bot showed for a bare @name: each must be a mention Slack
// resolves and notifies, <@U…>.
func TestMentionsNotify(t *testing.T) {
	e := newEnv(t, storetest.SQLite)
	endToEnd(t, e)
	ch, ok := e.sl.ChannelByName("checkout-errors-eu-west")
	if !ok {
		t.Fatal("no run channel")
	}
	e.slash(t, e.alice, ch.ID, "restart")
	e.slash(t, e.alice, ch.ID, "owner <@"+e.bob.ID+">")
	e.slash(t, e.alice, ch.ID, "assign 0 1 <@"+e.carol.ID+">")
	e.slash(t, e.alice, ch.ID, "info")
	e.settle(t)
	e.clock.Advance(10 * time.Second) // past chat.postMessage's limit in the channel
	e.sendReminder(t, e.run(t, ch.ID))
	e.settle(t)

	said := e.sl.Said()
	var bare []slacktest.Said
	mentions := 0
	for _, s := range said {
		text := codeSpan.ReplaceAllString(s.Text, "")
		if bareMention.MatchString(text) {
			bare = append(bare, s)
		}
		mentions += strings.Count(text, "<@U")
	}
	for _, s := range bare {
		t.Errorf("%s to %s/%s names a user as plain text, which notifies nobody on Slack: %q", s.Via, s.Channel, s.User, s.Text)
	}
	// The flows above mention users; a grep of nothing would prove nothing.
	for _, want := range []string{
		"Posted by <@" + e.bob.ID + ">",                // the status update
		"Started by <@" + e.alice.ID + ">",             // the announcement
		"<@" + e.bob.ID + ">, it is time for a status", // the reminder
	} {
		found := false
		for _, s := range said {
			found = found || strings.Contains(s.Text, want)
		}
		if !found {
			t.Errorf("nothing the bot said contains %q", want)
		}
	}
	t.Logf("%d texts said, %d mentions", len(said), mentions)
}
