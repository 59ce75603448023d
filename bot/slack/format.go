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

// escape escapes &, < and > as Slack requires in message text, except the
// "> " that starts a quoted line.
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
		l = strings.ReplaceAll(l, "&", "&amp;")
		l = strings.ReplaceAll(l, "<", "&lt;")
		lines[i] = quote + strings.ReplaceAll(l, ">", "&gt;")
	}
	return strings.Join(lines, "\n")
}
