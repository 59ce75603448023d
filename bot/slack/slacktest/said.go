package slacktest

import (
	"encoding/json"
	"slices"
)

// Said is one text the bot showed someone on Slack.
type Said struct {
	// Via is how it reached Slack: a Web API method ("chat.postMessage",
	// "chat.update", "chat.postEphemeral", "views.open", "views.update"),
	// "response_url", "command reply" (a slash command's HTTP answer),
	// "response_action errors" or "response_action update".
	Via string
	// Channel and User say where and to whom, when known.
	Channel, User string
	// Text is the text as sent (mrkdwn or plain text, Slack-escaped).
	Text string
}

// Said returns every text the bot sent to be shown so far, in order: a
// message's text and the text of every text object in its blocks
// (section, header, context, button, option texts), ephemeral texts,
// replies to slash commands (in the HTTP answer or through response_url),
// the texts of modals (title, buttons, labels, hints, placeholders,
// options, intro) and of the errors shown in them. A test may grep them,
// for instance for a mention Slack would not resolve.
func (s *Server) Said() []Said {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.said)
}

// say records one text. Callers hold s.mu.
func (s *Server) say(via, channel, user, text string) {
	if text != "" {
		s.said = append(s.said, Said{Via: via, Channel: channel, User: user, Text: text})
	}
}

// sayMessage records a message's text and the texts of its blocks.
func (s *Server) sayMessage(via, channel, user, text string, blocks json.RawMessage) {
	s.say(via, channel, user, text)
	var v any
	if json.Unmarshal(blocks, &v) == nil {
		for _, t := range texts(v) {
			s.say(via, channel, user, t)
		}
	}
}

// sayView records the texts of a view.
func (s *Server) sayView(via, user string, view map[string]any) {
	for _, t := range texts(view) {
		s.say(via, "", user, t)
	}
}

// texts returns the text of every text object (plain_text or mrkdwn) in
// v, depth first.
func texts(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["text"].(string); ok && (x["type"] == "plain_text" || x["type"] == "mrkdwn") {
			out = append(out, t)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k != "private_metadata" {
				out = append(out, texts(x[k])...)
			}
		}
	case []any:
		for _, e := range x {
			out = append(out, texts(e)...)
		}
	}
	return out
}
