package slack

import "net/http"

// Paths Handler serves, as manifest.yaml registers them under the public
// base URL: the slash command, interactivity (modal submissions, button
// clicks) and the options of external selects.
const (
	CommandPath       = "/slack/command"
	InteractivityPath = "/slack/interactivity"
	OptionsPath       = "/slack/options"
)

// routes registers every route of Handler. Each verifies Slack's signature
// first and answers a panic with status 200 and an "internal error" the
// user sees, never a 500 Slack shows as a generic failure.
func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST "+CommandPath, h.guard(commandReply{ResponseType: "ephemeral", Text: "internal error"}, h.verified(h.command)))
	mux.Handle("POST "+InteractivityPath, h.guard(struct{}{}, h.verified(h.interaction)))
	mux.Handle("POST "+OptionsPath, h.guard(optionsReply{Options: []option{}}, h.verified(h.options)))
	return mux
}
