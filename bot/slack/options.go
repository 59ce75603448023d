package slack

import (
	"context"
	"net/http"

	slackgo "github.com/slack-go/slack"

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

// noOptions is the answer that lists nothing.
var noOptions = optionsReply{Options: []option{}}

// options serves the options of an external select in an open modal
// (block_suggestion; its signature already verified). The answer lists
// what commands.Dispatcher.Lookup finds for what the user typed (open
// items first), empty when nothing matches. Slack shows nothing of an
// answer other than 200, nor of one after 3 seconds: a modal whose signed
// metadata does not verify (expired), a database outage or a slow lookup
// all get an empty list within AckAfter, and a log line.
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
			"user_id", ic.User.ID, "callback_id", ic.View.CallbackID, "remote_addr", r.RemoteAddr, "error", err)
		chatkit.WriteJSON(w, http.StatusOK, noOptions)
		return
	}
	teamID := ic.Team.ID
	if teamID == "" {
		teamID = ic.View.TeamID
	}
	h.respond(w, r, deferred{
		early: ok200(noOptions),
		work: func(ctx context.Context) outcome {
			fresh, err := h.firstSeen(ctx, r)
			switch {
			case err != nil:
				h.log.WarnContext(ctx, "slack request not served", "path", r.URL.Path, "error", err)
				return outcome{answer: ok200(noOptions)}
			case !fresh:
				return h.replayed(ctx, r)
			}
			opts := h.disp.Lookup(ctx, actor(ic.User.ID, teamID), ms.ChannelID, ms.CallbackID, ms.State, ic.ActionID, ic.Value)
			out := optionsReply{Options: make([]option, len(opts))}
			for i, o := range opts {
				out.Options[i] = option{Text: plain(chatkit.TruncateRunes(o.Text, maxOptionText)), Value: o.Value}
			}
			return outcome{answer: ok200(out)}
		},
		failed: func(context.Context) outcome { return outcome{answer: ok200(noOptions)} },
	})
}
