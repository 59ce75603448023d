package mattermost

import (
	"net/http"

	"github.com/mattermost/mattermost/server/public/model"
)

// Paths Handler serves. Setup registers CommandPath as the slash command's
// URL; the others are put in the dialogs, buttons and selects the bot
// renders, under Config.PublicURL.
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
		model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: "internal error"}, h.command))
	mux.Handle("POST "+DialogPath, h.DialogSubmission())
	mux.Handle("POST "+ActionsPath, h.guard(
		model.PostActionIntegrationResponse{EphemeralText: "internal error"}, h.action))
	mux.Handle("POST "+LookupPath, h.guard(model.LookupDialogResponse{Items: []model.DialogSelectOption{}}, h.lookup))
	return mux
}

// DialogSubmission returns the handler of dialog submissions, served at
// DialogPath and meant to be mounted too on the spec's start-run, end-run
// and next-stage dialog paths for the submissions that carry no bearer
// token (which are Mattermost's).
func (h *Handler) DialogSubmission() http.Handler {
	return h.guard(model.SubmitDialogResponse{Error: "internal error"}, h.dialogSubmission)
}
