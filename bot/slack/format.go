package slack

import (
	"regexp"
	"strings"
)

// The core writes its messages in Markdown (as Mattermost shows them);
// Slack shows mrkdwn, which differs in headings, bold, strikethrough and
// links.
var (
	mdHeading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*$`)
	mdBold    = regexp.MustCompile(`\*\*((?:\\.|[^*\\\n])+)\*\*`)
	mdStrike  = regexp.MustCompile(`~~([^~\n]+)~~`)
	mdLink    = regexp.MustCompile(`\[((?:\\.|[^\]\\\n])+)\]\(([^)\s]+)\)`)
	// mdEscaped is a backslash escape, as bot.MarkdownLink writes them in
	// a run's name; mrkdwn has none, so the character is shown as is.
	mdEscaped = regexp.MustCompile(`\\([\\\[\]*_~` + "`" + `])`)
)

// toMrkdwn converts the Markdown the core writes to Slack's mrkdwn: the
// text is escaped first (so that a run named "<!channel>" pings nobody),
// then headings and **bold** become *bold*, ~~struck~~ becomes ~struck~,
// and [text](url) becomes <url|text>. Code spans and quotes are the same in
// both.
func toMrkdwn(md string) string {
	s := escape(md)
	if !strings.ContainsAny(s, "#*~[") {
		return s
	}
	s = mdBold.ReplaceAllStringFunc(s, func(m string) string {
		return "*" + mdEscaped.ReplaceAllString(mdBold.FindStringSubmatch(m)[1], "$1") + "*"
	})
	s = mdHeading.ReplaceAllString(s, "*$1*")
	s = mdStrike.ReplaceAllString(s, "~$1~")
	return mdLink.ReplaceAllStringFunc(s, func(m string) string {
		g := mdLink.FindStringSubmatch(m)
		return "<" + g[2] + "|" + mdEscaped.ReplaceAllString(g[1], "$1") + ">"
	})
}

// userMention is a user mention as Client.Mention writes it (<@U…>): the
// one piece of Slack markup the core's text may carry, kept as it is by
// escape so that the user is notified.
var userMention = regexp.MustCompile(`<@[UW][A-Z0-9]{2,}>`)

// escape escapes &, < and > as Slack requires in message text, except the
// "> " that starts a quoted line and user mentions (<@U…>). No other
// markup survives: a run named "<!channel>" pings nobody.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		quote := ""
		if strings.HasPrefix(l, ">") {
			quote, l = ">", l[1:]
		}
		var b strings.Builder
		b.WriteString(quote)
		last := 0
		for _, m := range userMention.FindAllStringIndex(l, -1) {
			b.WriteString(escapeText(l[last:m[0]]))
			b.WriteString(l[m[0]:m[1]])
			last = m[1]
		}
		b.WriteString(escapeText(l[last:]))
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}

// escapeText escapes &, < and > in s.
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "&", "&amp;")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, ">", "&gt;")
}
