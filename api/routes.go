package api

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes registers every route of the API, each with the spec's
// operationId. The forms the spec lacks but the plugin (or the spec's own
// examples) serve are marked compat; routes of our own, which the spec has
// no operation for, are marked ours. Fixed paths come before the {id} ones
// they would otherwise match.
func (s *server) routes() *mux.Router {
	// SkipClean: a path like /runs//x gets the JSON 404 rather than mux's
	// redirect, which clients may follow with another method.
	r := mux.NewRouter().SkipClean(true)
	r.NotFoundHandler = http.HandlerFunc(s.notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	r.Use(noteRoute) // the matched route's template, for the log line and the metrics

	const (
		runs      = BasePath + "/runs"
		run       = runs + "/{id}"
		checklist = run + "/checklists/{checklist}"
		item      = checklist + "/item/{item}"
		playbooks = BasePath + "/playbooks"
		playbook  = playbooks + "/{id}"
		// ours: issue 13's API tokens and audit log (tokens.go, audit.go)
		adminTokens = BasePath + "/admin/tokens"
		myTokens    = BasePath + "/tokens/me"
		clients     = BasePath + "/admin/clients"
	)
	for _, rt := range []struct {
		method, path, op string
		h                handlerFunc
	}{
		{"GET", runs, "listPlaybookRuns", s.listRuns},
		{"POST", runs, "createPlaybookRunFromPost", s.createRun},
		{"POST", runs + "/dialog", "createPlaybookRunFromDialog", s.createRunFromDialog},
		{"GET", runs + "/owners", "getOwners", s.runOwners},
		{"GET", runs + "/channels", "getChannels", s.runChannels},
		{"GET", runs + "/checklist-autocomplete", "getChecklistAutocomplete", s.checklistAutocomplete},
		{"GET", runs + "/channel/{channel_id}", "getPlaybookRunByChannelId", s.runByChannel},
		{"GET", run, "getPlaybookRun", s.getRun},
		{"PATCH", run, "updatePlaybookRun", s.patchRun},
		{"GET", run + "/metadata", "getPlaybookRunMetadata", s.runMetadata},
		{"PUT", run + "/end", "endPlaybookRun", s.endRun},
		{"POST", run + "/end", "endPlaybookRunDialog", s.endRunDialog},
		{"PUT", run + "/restart", "restartPlaybookRun", s.restartRun},
		{"POST", run + "/status", "status", s.updateStatus},
		{"PUT", run + "/finish", "finish", s.endRun},
		{"POST", run + "/owner", "changeOwner", s.changeOwner},
		{"POST", run + "/next-stage-dialog", "nextStageDialog", s.nextStageDialog},
		{"POST", checklist + "/add", "addChecklistItem", s.addItem},
		{"PUT", checklist + "/add", "addChecklistItem", s.addItem}, // compat: the plugin's method
		{"PUT", checklist + "/reorder", "reoderChecklistItem", s.reorderItem},
		{"PUT", item, "itemRename", s.renameItem},
		{"DELETE", item, "itemDelete", s.deleteItem},
		{"PUT", item + "/state", "itemSetState", s.setItemState},
		{"PUT", item + "/assignee", "itemSetAssignee", s.setItemAssignee},
		{"PUT", item + "/run", "itemRun", s.runItem},
		{"POST", item + "/run", "itemRun", s.runItem}, // compat: the spec's example and the plugin
		{"DELETE", run + "/timeline/{event_id}/", "removeTimelineEvent", s.deleteTimelineEvent},
		{"DELETE", run + "/timeline/{event_id}", "removeTimelineEvent", s.deleteTimelineEvent}, // compat: no trailing slash
		{"GET", run + "/timeline", "exportTimeline", s.exportTimeline},                         // ours: not in the spec
		{"GET", run + "/details-link", "getDetailsLink", s.detailsLink},                        // ours: not in the spec
		{"GET", BasePath + "/tasks", "listTasks", s.listTasks},                                 // ours: issue 14's tasks across runs (tasks.go)
		{"GET", playbooks, "getPlaybooks", s.listPlaybooks},
		{"POST", playbooks, "createPlaybook", s.createPlaybook},
		{"GET", playbook, "getPlaybook", s.getPlaybook},
		{"PUT", playbook, "updatePlaybook", s.updatePlaybook},
		{"DELETE", playbook, "deletePlaybook", s.deletePlaybook},
		{"GET", playbook + "/autofollows", "getAutoFollows", s.autoFollows},
		{"PUT", playbook + "/autofollows/{user_id}", "followPlaybook", s.follow},        // compat: the plugin's
		{"DELETE", playbook + "/autofollows/{user_id}", "unfollowPlaybook", s.unfollow}, // compat: the plugin's
		{"POST", adminTokens, "issueToken", s.issueToken},                               // ours: not in the spec
		{"GET", adminTokens, "listTokens", s.listTokens},                                // ours: not in the spec
		{"DELETE", adminTokens + "/{id}", "revokeToken", s.revokeToken},                 // ours: not in the spec
		{"GET", myTokens, "listMyTokens", s.myTokens},                                   // ours: not in the spec
		{"DELETE", myTokens + "/{id}", "revokeMyToken", s.revokeMyToken},                // ours: not in the spec
		{"GET", BasePath + "/admin/audit", "listAudit", s.listAudit},                    // ours: not in the spec
		{"POST", clients, "createClient", s.createClient},                               // ours: OAuth2 clients, admins only
		{"GET", clients, "listClients", s.listClients},                                  // ours
		{"DELETE", clients + "/{id}", "revokeClient", s.revokeClient},                   // ours
	} {
		r.Handle(rt.path, s.handle(rt.op, rt.h)).Methods(rt.method)
	}
	// ours: the page a webhook's details_url names, outside BasePath so
	// that the link is short; HTML, with a signed link or a bearer token.
	r.HandleFunc("/runs/{id}", s.details).Methods("GET", "HEAD")
	// ours: the admin page of API tokens and OAuth2 clients
	// (admin_page.go), HTML behind a session that a signed link opens.
	r.HandleFunc("/admin/open", s.adminOpen).Methods("GET")
	r.HandleFunc("/admin", s.adminPage("adminPage", s.adminHome)).Methods("GET", "HEAD")
	r.HandleFunc("/admin/logout", s.adminForm("adminLogout", s.adminLogout)).Methods("POST")
	r.HandleFunc("/admin/tokens", s.adminForm("adminCreateToken", s.adminCreateToken)).Methods("POST")
	r.HandleFunc("/admin/tokens/{id}/revoke", s.adminPage("adminConfirmRevokeToken", s.adminConfirmRevokeToken)).Methods("GET")
	r.HandleFunc("/admin/tokens/{id}/revoke", s.adminForm("adminRevokeToken", s.adminRevokeToken)).Methods("POST")
	r.HandleFunc("/admin/clients", s.adminForm("adminCreateClient", s.adminCreateClient)).Methods("POST")
	r.HandleFunc("/admin/clients/{id}/revoke", s.adminPage("adminConfirmRevokeClient", s.adminConfirmRevokeClient)).Methods("GET")
	r.HandleFunc("/admin/clients/{id}/revoke", s.adminForm("adminRevokeClient", s.adminRevokeClient)).Methods("POST")
	// ours: the OAuth2 token endpoint (RFC 6749 3.2), where OAuth2 clients
	// expect it; every method, so that others get the RFC's error body.
	r.HandleFunc(TokenPath, s.oauthToken)
	// ours: the OpenAPI document (openapi.go), no authentication.
	r.HandleFunc(OpenAPIYAMLPath, serveDocument(s.docYAML)).Methods("GET", "HEAD")
	r.HandleFunc(OpenAPIJSONPath, serveDocument(s.docJSON)).Methods("GET", "HEAD")
	// ours: the interactive API docs page (docs.go), Swagger UI on
	// BasePath/openapi.json, and its files; no authentication.
	r.HandleFunc(DocsPath, s.apiDocs).Methods("GET", "HEAD")
	r.HandleFunc(DocsPath+"/{file}", s.apiDocs).Methods("GET", "HEAD")
	return r
}
