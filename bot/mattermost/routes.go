package mattermost

import (
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/mmplugin"
)

// Paths Handler serves. Setup registers CommandPath as the slash command's
// URL; the others are put in the dialogs and buttons the bot renders, under
// Config.PublicURL. None starts with /plugins: Mattermost would send the
// user's session token to such a URL on its own hostname.
const (
	CommandPath = "/mattermost/command"
	DialogPath  = "/mattermost/dialog"
	ActionsPath = "/mattermost/actions"
	LookupPath  = "/mattermost/lookup"
)

// routes registers every route of Handler. Each answers a panic with
// status 200 and the "internal error" its caller shows.
func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST "+CommandPath, h.guard(
		*commandResponse(commands.Response{Text: "internal error"}), h.command))
	mux.Handle("POST "+DialogPath, h.guard(model.SubmitDialogResponse{Error: "internal error"}, h.dialogSubmission))
	mux.Handle("POST "+LookupPath, h.guard(model.LookupDialogResponse{Items: []model.DialogSelectOption{}}, h.lookup))
	mux.Handle("POST "+ActionsPath, h.guard(
		ephemeralAnswer("internal error"), h.action))
	// The companion plugin's calls (mmplugin): refused unless plugin mode
	// is on.
	mux.Handle("POST "+mmplugin.CommandPath, h.guard(
		*commandResponse(commands.Response{Text: "internal error"}), h.pluginCommand))
	mux.Handle("GET "+mmplugin.ListPath+"{list}", h.guard([]model.AutocompleteListItem{}, h.pluginList))
	return mux
}
