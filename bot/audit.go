package bot

import (
	"context"
	"time"
)

// AuditEvent is one line of the audit log of credentials: an API token, an
// OAuth2 client or an access token issued, used or revoked. It never holds
// a secret or a hash; the subject is named by its ID.
type AuditEvent struct {
	ID     string `json:"id"`
	At     int64  `json:"at"`     // Unix milliseconds
	Action string `json:"action"` // one of the Audit* actions
	// ActorUserID is who acted: the admin who issued or revoked, the user
	// who revoked their own, the user a token acts for when it is used.
	ActorUserID string `json:"actor_user_id"`
	// ActorClientID is the OAuth2 client that acted, when one did.
	ActorClientID string `json:"actor_client_id"`
	// Via is how the change came in: one of the Via* values.
	Via string `json:"via"`
	// Address is the client address as the API saw it; "" from the
	// command line.
	Address     string `json:"address"`
	SubjectKind string `json:"subject_kind"` // AuditSubject*
	SubjectID   string `json:"subject_id"`
	// SubjectUserID is the user the subject acts for (a token's user).
	SubjectUserID string `json:"subject_user_id"`
	// Details is a short human-readable note (teams, scope, expiry), never
	// a secret.
	Details string `json:"details"`
}

// Origin is where a change of credentials comes from, for the audit log:
// Via (one of the Via* values) and the client address as the API saw it
// ("" from the command line). Who acted is the Actor beside it.
type Origin struct {
	Via     string
	Address string
}

// The actions of the audit log.
const (
	AuditTokenCreate  = "token.create"
	AuditTokenUse     = "token.use"
	AuditTokenRevoke  = "token.revoke"
	AuditClientCreate = "client.create"
	AuditClientRevoke = "client.revoke"
	// AuditClientToken is an access token issued to a client
	// (POST /oauth/token); AuditAccessTokenUse its use.
	AuditClientToken    = "client.token"
	AuditAccessTokenUse = "access_token.use"
)

// The kinds of subject of the audit log.
const (
	AuditSubjectToken       = "token"
	AuditSubjectClient      = "client"
	AuditSubjectAccessToken = "access_token"
)

// How a change came in (AuditEvent.Via).
const (
	ViaREST      = "rest"
	ViaCLI       = "cli"
	ViaAdminPage = "admin-page"
	ViaChat      = "chat"
	ViaOAuth     = "oauth"
)

// AuditUseEvery is how often a use of one credential from one address is
// written to the audit log: the first use, then at most once per this
// period, so that the log records who used what from where without a write
// per request.
const AuditUseEvery = time.Minute

// AuditFilter selects audit events: those at or after Since (Unix ms; 0 for
// all) about SubjectID (all when ""), newest first, a page of PerPage
// (1..1000) events.
type AuditFilter struct {
	Since     int64
	SubjectID string
	Page      int
	PerPage   int
}

// AuditStore persists the audit log. Changes that issue or revoke a
// credential write their event in their own transaction (inside the
// stores' credential methods); AppendAudit is for the events that are not
// part of a change of their own, such as a use.
type AuditStore interface {
	// AppendAudit inserts e. EConflict if its ID exists.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns a page of the events f selects, newest first, and
	// how many it selects in all.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, int, error)
}
