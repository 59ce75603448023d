package slack

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/dialogs"
)

func TestChannelName(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"words", "Checkout errors: EU-west!", "checkout-errors-eu-west"},
		{"underscores kept", "db_primary down", "db_primary-down"},
		{"nothing usable", "!!!", "run"},
		{"unicode", "Größe überschritten", "gr-e-berschritten"},
		{"long", strings.Repeat("abcdefghij", 10), strings.Repeat("abcdefghij", 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := channelName(tc.in); got != tc.want {
				t.Errorf("channelName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := withSuffix(strings.Repeat("a", 80), "x1y2z"); len(got) != 80 || !strings.HasSuffix(got, "-x1y2z") {
		t.Errorf("withSuffix: got %q (%d), want 80 characters ending in -x1y2z", got, len(got))
	}
}

func TestToMrkdwn(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "nothing to do", "nothing to do"},
		{"heading", "#### Status update: X\nPosted by <@U0BOB0001>", "*Status update: X*\nPosted by <@U0BOB0001>"},
		{"bold", "Checked **Page** (item 0 0).", "Checked *Page* (item 0 0)."},
		{"strike", "~~old~~", "~old~"},
		{"link", "[Run](https://x.example/r/1)", "<https://x.example/r/1|Run>"},
		{"escaped link text", `Ended [DB \[prod\]\_down \*1\*](https://x.example/r/1).`, "Ended <https://x.example/r/1|DB [prod]_down *1*>."},
		{"escaped bold", `Ended **db\_down \*x\***.`, "Ended *db_down *x**."},
		{"escaped", "Run **<!channel> & co**", "Run *&lt;!channel&gt; &amp; co*"},
		{"quote kept", "Posted by <@U0BOB0001>\n> 5xx > 1%", "Posted by <@U0BOB0001>\n> 5xx &gt; 1%"},
		{"mentions kept", "<@U0BOB0001>, <@W0ENT0002> & <@U0BOB0001>", "<@U0BOB0001>, <@W0ENT0002> &amp; <@U0BOB0001>"},
		{"no other markup", "<!here> <#C0CHAN0001> <@U0BOB0001|bob> <@bob>", "&lt;!here&gt; &lt;#C0CHAN0001&gt; &lt;@U0BOB0001|bob&gt; &lt;@bob&gt;"},
		{"mention in a quote", "> cc <@U0BOB0001> <b>", "> cc <@U0BOB0001> &lt;b&gt;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := toMrkdwn(tc.in); got != tc.want {
				t.Errorf("toMrkdwn(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBlockErrors(t *testing.T) {
	v := slackgo.View{Blocks: slackgo.Blocks{BlockSet: []slackgo.Block{
		slackgo.NewSectionBlock(mrkdwn("intro"), nil, nil),
		slackgo.NewInputBlock("message", plain("Update"), nil, slackgo.NewPlainTextInputBlockElement(nil, "message")),
		slackgo.NewInputBlock("reminder", plain("Reminder"), nil, slackgo.NewPlainTextInputBlockElement(nil, "reminder")),
	}}}
	for _, tc := range []struct {
		name string
		errs dialogs.FieldErrors
		want map[string]string
	}{
		{"field", dialogs.FieldErrors{"reminder": "bad"}, map[string]string{"reminder": "bad"}},
		{"general", dialogs.FieldErrors{"": "gone"}, map[string]string{"message": "gone"}},
		{"unknown field", dialogs.FieldErrors{"other": "x", "message": "y"}, map[string]string{"message": "x y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := blockErrors(tc.errs, v)
			if diff := cmp.Diff(tc.want, got); diff != "" || !ok {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBlockErrorsNoInputs(t *testing.T) {
	v := slackgo.View{Blocks: slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewSectionBlock(mrkdwn("Sure?"), nil, nil)}}}
	if got, ok := blockErrors(dialogs.FieldErrors{"": "gone"}, v); ok {
		t.Errorf("got %v, true; want false", got)
	}
}

func TestViewValues(t *testing.T) {
	st := &slackgo.ViewState{Values: map[string]map[string]slackgo.BlockAction{
		"name":     {"name": {Type: "plain_text_input", Value: "x"}},
		"empty":    {"empty": {Type: "plain_text_input"}},
		"playbook": {"playbook": {Type: "static_select", SelectedOption: slackgo.OptionBlockObject{Value: "p1"}}},
		"item":     {"item": {Type: "external_select", SelectedOption: slackgo.OptionBlockObject{Value: "0 1"}}},
		"on":       {"on": {Type: "checkboxes", SelectedOptions: []slackgo.OptionBlockObject{{Value: "true"}}}},
		"off":      {"off": {Type: "checkboxes"}},
	}}
	want := map[string]string{"name": "x", "playbook": "p1", "item": "0 1", "on": "true", "off": "false"}
	if diff := cmp.Diff(want, viewValues(st)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
