package commands

import (
	"context"
	"fmt"

	"github.com/playbooks-bot/playbooks/bot"
)

// adminLink answers /playbook admin: a signed, single-use link to the admin
// page, for a system admin of the chat only. The reply is ephemeral (never
// InChannel): the link is a credential for its caller alone.
func (d *Dispatcher) adminLink(ctx context.Context, c *call) (Response, error) {
	link, err := d.svc.AdminLinkForChat(ctx, c.Platform, c.Actor.UserID)
	if bot.ErrorCode(err) == bot.EForbidden {
		return Response{Text: "Only a system admin of this chat may open the admin page. Ask one, or an operator with `playbooks admin link`."}, nil
	}
	if err != nil {
		return Response{}, err
	}
	return Response{Text: fmt.Sprintf("[Open the admin page](%s): this link works once, within %s, for you alone; do not share it.",
		link, bot.AdminLinkTTL)}, nil
}
