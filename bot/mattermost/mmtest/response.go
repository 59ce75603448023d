package mmtest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// Warnings returns what the server has logged as warnings so far, oldest
// first: what a real server writes to its log without failing the request,
// such as a saved post whose props are invalid ("Invalid post props. In a
// future version this will result in an error."), or a dialog select whose
// data source it does not know. Each names where it came from, e.g.
// "command /playbook: ...".
func (s *Server) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.warnings)
}

// warn logs a warning, as the server's log would. Callers hold s.mu.
func (s *Server) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.warnings = append(s.warnings, msg)
	s.t.Logf("mmtest: warning: %s", msg)
}

// applyCommandResponse does what Mattermost 10.12 does with the answer to
// command cmd (HandleCommandResponse, HandleCommandResponsePost and
// CreateCommandPost in its app/command.go), for the answer and each of its
// extra_responses:
//   - the post's props are the response's, with from_webhook "true" for a
//     command that is not built in, and, since this server enables icon
//     overrides (EnablePostIconOverride, as the server observed did),
//     override_icon_url set to the command's icon URL, else the response's
//     icon_url, else "";
//   - unless the response sets skip_slack_parsing, its text is converted as
//     Slack markup (slackMarkup), then its Slack links become Markdown links
//     (model.ParseSlackLinksToMarkdown): "<@user|user-id>" shows as
//     "[user-id](@user)", inside backticks too; its attachments' texts too,
//     and their links always (model.ParseMessageAttachment);
//   - in_channel text becomes a post of the user who typed the command,
//     saved with its props validated: an invalid one (an override_icon_url
//     that is not a URL, "" included) is logged as a warning; ephemeral text
//     is shown to the user alone.
func (s *Server) applyCommandResponse(cmd model.Command, resp *model.CommandResponse, userID, channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	builtIn := cmd.Id == ""
	for _, r := range append([]*model.CommandResponse{resp}, resp.ExtraResponses...) {
		ch := channelID
		if r.ChannelId != "" {
			ch = r.ChannelId
		}
		now := s.millis()
		p := &model.Post{Id: model.NewId(), ChannelId: ch, UserId: userID, Type: r.Type, CreateAt: now, UpdateAt: now}
		props := model.StringInterface{}
		for k, v := range r.Props {
			props[k] = v
		}
		p.SetProps(props)
		icon := cmd.IconURL
		if icon == "" {
			icon = r.IconURL
		}
		p.AddProp(model.PostPropsOverrideIconURL, icon)
		if !builtIn || icon != "" {
			p.AddProp(model.PostPropsFromWebhook, "true")
		}
		text, attachments := r.Text, cloneAttachments(r.Attachments)
		if r.SkipSlackParsing {
			p.Message = text
		} else {
			p.Message = model.ParseSlackLinksToMarkdown(s.slackMarkup(text))
			for _, a := range attachments {
				a.Pretext, a.Text, a.Title = s.slackMarkup(a.Pretext), s.slackMarkup(a.Text), s.slackMarkup(a.Title)
				for _, f := range a.Fields {
					if f != nil && f.Value != nil {
						f.Value = s.slackMarkup(fmt.Sprintf("%v", f.Value))
					}
				}
			}
		}
		if attachments != nil {
			model.ParseMessageAttachment(p, attachments)
		}
		switch {
		case r.ResponseType == model.CommandResponseTypeInChannel:
			if err := postPropsError(p); err != nil {
				s.warn("command /%s: Invalid post props. In a future version this will result in an error. Please update your integration to be compliant: %v", cmd.Trigger, err)
			}
			s.storePost(p)
			if c, ok := s.channels[ch]; ok {
				c.TotalMsgCount++
			}
		case r.Text != "" || attachments != nil:
			s.ephemerals = append(s.ephemerals, Ephemeral{UserID: userID, ChannelID: ch, Message: p.Message,
				Source: "command", Props: p.GetProps()})
		}
	}
}

// cloneAttachments returns a deep copy of a, or nil.
func cloneAttachments(a []*model.MessageAttachment) []*model.MessageAttachment {
	if a == nil {
		return nil
	}
	p := decodePost(mustJSON(&model.Post{Props: model.StringInterface{model.PostPropsAttachments: a}}))
	return p.Attachments()
}

// slackUserID is a Slack user mention, <@USERID>.
var slackUserID = regexp.MustCompile(`<@([a-zA-Z0-9]+)>`)

// slackMarkup is text as Mattermost's ProcessSlackText makes it: Slack's
// announcements (<!channel>, <!here>, <!all>) become @channel, @here and
// @all, and a mention of a known user's ID, <@USERID>, becomes @username.
// Callers hold s.mu.
func (s *Server) slackMarkup(text string) string {
	text = strings.NewReplacer("<!channel>", "@channel", "<!here>", "@here", "<!all>", "@all").Replace(text)
	return slackUserID.ReplaceAllStringFunc(text, func(m string) string {
		if u, ok := s.users[m[2:len(m)-1]]; ok {
			return "@" + u.Username
		}
		return m
	})
}

// postPropsError is what Mattermost's Post.ValidateProps finds wrong with
// the props of a post it saves, which it only logs: the integration props
// it checks.
func postPropsError(p *model.Post) error {
	props := p.GetProps()
	if v, ok := props[model.PostPropsOverrideIconURL]; ok {
		if icon, isString := v.(string); !isString {
			return fmt.Errorf("override_icon_url prop must be a string")
		} else if icon == "" || !model.IsValidHTTPURL(icon) {
			return fmt.Errorf("override_icon_url prop must be a valid URL")
		}
	}
	if v, ok := props[model.PostPropsFromWebhook]; ok && v != "true" {
		return fmt.Errorf("from_webhook prop must be \"true\"")
	}
	return nil
}
