package slack

import (
	"net/http"

	slackgo "github.com/slack-go/slack"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/chatkit"
)

// option is one choice of an external select, as Slack reads it.
type option struct {
	Text  *slackgo.TextBlockObject `json:"text"`
	Value string                   `json:"value"`
}

// optionsReply is the answer to a block_suggestion request.
type optionsReply struct {
	Options []option `json:"options"`
}

// options serves the options of an external select in an open modal
// (block_suggestion; its signature already verified). The modal's signed
// metadata must verify for the user, else 401. The answer lists what
// commands.Dispatcher.Lookup finds for what the user typed (open items
// first), empty when nothing matches.
func (h *Handler) options(w http.ResponseWriter, r *http.Request) {
	ic, ok := payload(w, r)
	if !ok {
		return
	}
	if ic.Type != slackgo.InteractionTypeBlockSuggestion {
		http.Error(w, "not a block_suggestion: type "+string(ic.Type), http.StatusBadRequest)
		return
	}
	ms, err := verifyModal(h.signer, ic.User.ID, ic.View.CallbackID, ic.View.PrivateMetadata)
	if err != nil {
		h.log.WarnContext(r.Context(), "options request with invalid metadata refused",
			"user_id", ic.User.ID, "callback_id", ic.View.CallbackID, "remote_addr", r.RemoteAddr)
		http.Error(w, bot.ErrorMessage(err), http.StatusUnauthorized)
		return
	}
	teamID := ic.Team.ID
	if teamID == "" {
		teamID = ic.View.TeamID
	}
	opts := h.disp.Lookup(r.Context(), actor(ic.User.ID, teamID), ms.ChannelID, ms.CallbackID, ms.State, ic.ActionID, ic.Value)
	out := optionsReply{Options: make([]option, len(opts))}
	for i, o := range opts {
		out.Options[i] = option{Text: plain(chatkit.TruncateRunes(o.Text, maxOptionText)), Value: o.Value}
	}
	chatkit.WriteJSON(w, http.StatusOK, out)
}
