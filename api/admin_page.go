package api

import (
	"bytes"
	"cmp"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// The admin page: server-rendered HTML to manage API tokens and OAuth2
// clients, reached through a signed single-use link (bot.AdminLink) that
// opens a session. The session's secret is in a cookie scoped to /admin;
// every form carries the session's CSRF token, and a POST from another
// site is refused by its Origin or Sec-Fetch-Site as well.

// adminCookie is the name of the session cookie.
const adminCookie = "playbooks_admin"

// maxAdminForm bounds the body of an admin form.
const maxAdminForm = 64 << 10

// adminFS holds the admin page's templates and the details page's, whose
// style it shares.
//
//go:embed templates/details.html templates/admin*.html
var adminFS embed.FS

// adminPages are the admin page's templates, parsed once.
var adminPages = template.Must(template.ParseFS(adminFS, "templates/details.html", "templates/admin*.html"))

// adminHandler serves one admin request within a live session.
type adminHandler func(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error

// adminHeaders sets the headers of every admin response: no caching (the
// page shows a secret once), no framing, no scripts.
func adminHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer a browser sends
	// "Origin: null" on the page's own form POSTs, which sameOrigin must
	// refuse. The page links nowhere else, and its URLs carry no secret
	// (the signed link redirects at once).
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Type", "text/html; charset=utf-8")
}

// secureCookie reports whether the session cookie must be Secure: the page
// is served over TLS, or its public URL is HTTPS (TLS ended by a proxy).
func (s *server) secureCookie(r *http.Request) bool {
	return r.TLS != nil || s.svc.AdminPageSecure()
}

// adminOpen answers GET /admin/open, the signed link: it starts a session,
// sets its cookie and redirects to /admin, so that the signature leaves
// the address bar and the history.
func (s *server) adminOpen(w http.ResponseWriter, r *http.Request) {
	rl := requestLogFrom(r.Context())
	rl.op = "adminOpen"
	adminHeaders(w)
	secret, sess, err := s.adminCredential(r, func() (string, bot.AdminSession, error) {
		return s.svc.OpenAdminLink(r.Context(), r.URL.Query())
	})
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	rl.userID = sess.UserID
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: secret, Path: "/admin", HttpOnly: true,
		Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode, MaxAge: int(bot.AdminSessionMax.Seconds())})
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

// adminCredential runs check, which checks a link or a session, under the
// failed-authentication throttle of the REST API: an address out of
// failures gets 429 before check runs, and each refused credential counts
// as a failure.
func (s *server) adminCredential(r *http.Request, check func() (string, bot.AdminSession, error)) (string, bot.AdminSession, error) {
	if d := s.throttle.wait(r); d > 0 {
		return "", bot.AdminSession{}, &statusError{status: http.StatusTooManyRequests,
			message: "too many failed authentications from this address", retryAfter: d}
	}
	secret, sess, err := check()
	if bot.ErrorCode(err) == bot.EUnauthenticated && s.throttle != nil {
		requestLogFrom(r.Context()).client = s.throttle.clientAddr(r).String()
		s.throttle.failed(r)
	}
	return secret, sess, err
}

// adminPage wraps h for a GET: the session is checked, in one place.
func (s *server) adminPage(op string, h adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rl := requestLogFrom(r.Context())
		rl.op = op
		adminHeaders(w)
		var secret string
		if c, err := r.Cookie(adminCookie); err == nil {
			secret = c.Value
		}
		_, sess, err := s.adminCredential(r, func() (string, bot.AdminSession, error) {
			sess, err := s.svc.AdminSession(r.Context(), secret)
			return "", sess, err
		})
		if err == nil {
			rl.userID = sess.UserID
			err = h(w, r, sess)
		}
		if err != nil {
			s.adminError(w, r, err)
		}
	}
}

// adminForm wraps h for a form POST: besides the session, the request must
// come from the page itself (Sec-Fetch-Site, Origin, when the browser sends
// them) and carry the session's CSRF token; otherwise 403 and nothing is
// done.
func (s *server) adminForm(op string, h adminHandler) http.HandlerFunc {
	return s.adminPage(op, func(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
		if !s.sameOrigin(r) {
			return bot.Errorf(bot.EForbidden, "this form was sent from another site")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxAdminForm)
		if err := r.ParseForm(); err != nil {
			return bot.Errorf(bot.EInvalid, "unreadable form")
		}
		if !sess.CheckCSRF(r.PostForm.Get("csrf")) {
			return bot.Errorf(bot.EForbidden, "missing or wrong CSRF token")
		}
		return h(w, r, sess)
	})
}

// sameOrigin reports whether a POST comes from this server's own pages, as
// far as the browser tells: Sec-Fetch-Site same-origin (or none, typed by
// the user), and an Origin that is the public URL's or the request's own.
func (s *server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := strings.ToLower(r.Header.Get("Origin"))
	if origin == "" {
		return true
	}
	if pub := s.svc.PublicOrigin(); pub != "" && origin == pub {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// adminOrigin is the Origin of a change made on the admin page.
func (s *server) adminOrigin(r *http.Request) bot.Origin {
	return s.origin(r, bot.ViaAdminPage)
}

// adminAuditPerPage is how many of the newest audit events the page shows.
const adminAuditPerPage = 50

// adminUserView is one user with their credentials.
type adminUserView struct {
	UserID  string
	Tokens  []adminTokenView
	Clients []adminClientView
}

// adminTokenView is an API token as the page lists it: never its secret.
type adminTokenView struct {
	ID, Name, Teams, Created, CreatedBy, LastUsed, Expires, Ended string
}

// adminClientView is an OAuth2 client as the page lists it: never its
// secret.
type adminClientView struct {
	ID, Name, Scope, Teams, Created, CreatedBy, LastUsed, Ended string
}

// adminAuditView is one line of the audit log.
type adminAuditView struct {
	At, Action, Actor, Via, Address, Subject, Details string
}

// adminView is the main page.
type adminView struct {
	UserID     string // the signed-in admin
	CSRF       string
	Users      []adminUserView
	Audit      []adminAuditView
	AuditTotal int
	Error      string // a refused form's message
	ErrorForm  string // which form was refused: "token" or "client"
	Form       url.Values
	// ExpiryChoices are the lifetimes the token form offers.
	ExpiryChoices []adminChoice
}

// adminChoice is an option of a select.
type adminChoice struct{ Value, Label string }

// adminExpiries are the lifetimes a token may be generated with on the
// page, as expires_in seconds; "" is never.
var adminExpiries = []adminChoice{
	{"", "never"}, {"86400", "1 day"}, {"604800", "7 days"}, {"2592000", "30 days"},
	{"7776000", "90 days"}, {"31536000", "365 days"},
}

// teamsLabel is how the page shows what a credential reaches.
func teamsLabel(admin bool, teams []string) string {
	if admin {
		return "all teams (admin)"
	}
	return strings.Join(teams, ", ")
}

// adminHome answers GET /admin.
func (s *server) adminHome(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	return s.renderAdmin(w, r, sess, http.StatusOK, "", "", nil)
}

// renderAdmin writes the main page, with an error message for a refused
// form (whose values it keeps).
func (s *server) renderAdmin(w http.ResponseWriter, r *http.Request, sess bot.AdminSession, status int, msg, which string, form url.Values) error {
	ctx, a := r.Context(), sess.Actor()
	tokens, err := s.svc.ListUserTokens(ctx, a, "")
	if err != nil {
		return err
	}
	clients, err := s.svc.ListClients(ctx, a)
	if err != nil {
		return err
	}
	events, total, err := s.svc.ListAudit(ctx, a, bot.AuditFilter{PerPage: adminAuditPerPage})
	if err != nil {
		return err
	}
	now := s.svc.Now().UnixMilli()
	byUser := map[string]*adminUserView{}
	user := func(id string) *adminUserView {
		if byUser[id] == nil {
			byUser[id] = &adminUserView{UserID: id}
		}
		return byUser[id]
	}
	for _, t := range tokens {
		v := adminTokenView{ID: t.ID, Name: t.Name, Teams: teamsLabel(t.Admin, t.TeamIDs), Created: utc(t.CreateAt),
			CreatedBy: t.CreatedBy, LastUsed: utc(t.LastUsedAt), Expires: utc(t.ExpireAt)}
		switch {
		case t.RevokeAt != 0:
			v.Ended = "revoked " + utc(t.RevokeAt)
		case t.ExpireAt != 0 && t.ExpireAt <= now:
			v.Ended = "expired"
		}
		u := user(t.UserID)
		u.Tokens = append(u.Tokens, v)
	}
	for _, c := range clients {
		v := adminClientView{ID: c.ID, Name: c.Name, Scope: c.Scope, Teams: teamsLabel(c.Admin, c.TeamIDs), Created: utc(c.CreateAt),
			CreatedBy: c.CreatedBy, LastUsed: utc(c.LastUsedAt)}
		if c.RevokeAt != 0 {
			v.Ended = "revoked " + utc(c.RevokeAt)
		}
		u := user(c.UserID)
		u.Clients = append(u.Clients, v)
	}
	v := adminView{UserID: sess.UserID, CSRF: sess.CSRF, Error: msg, ErrorForm: which, Form: form, AuditTotal: total,
		ExpiryChoices: adminExpiries}
	for _, u := range byUser {
		v.Users = append(v.Users, *u)
	}
	slices.SortFunc(v.Users, func(a, b adminUserView) int { return cmp.Compare(a.UserID, b.UserID) })
	for _, e := range events {
		actor := e.ActorUserID
		if e.ActorClientID != "" {
			actor = strings.TrimSpace(actor + " (client " + e.ActorClientID + ")")
		}
		v.Audit = append(v.Audit, adminAuditView{At: utc(e.At), Action: e.Action, Actor: actor, Via: e.Via, Address: e.Address,
			Subject: e.SubjectKind + " " + e.SubjectID, Details: e.Details})
	}
	return s.adminRender(w, status, "admin", v)
}

// splitIDs splits a list of IDs typed in a form: commas or spaces.
func splitIDs(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
}

// refused reports whether err is bad input, to show on the page with the
// form kept, rather than an error page.
func refused(err error) bool {
	return bot.ErrorCode(err) == bot.EInvalid
}

// adminCreateToken answers POST /admin/tokens: it issues a token (IssueToken)
// and shows its secret, once, on the result page.
func (s *server) adminCreateToken(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	f := r.PostForm
	spec := bot.TokenSpec{UserID: strings.TrimSpace(f.Get("user_id")), TeamIDs: splitIDs(f.Get("team_ids")),
		Admin: f.Get("admin") == "on", Name: strings.TrimSpace(f.Get("name"))}
	if v := f.Get("expires_in"); v != "" {
		i := slices.IndexFunc(adminExpiries, func(c adminChoice) bool { return c.Value == v })
		if i < 0 {
			return s.renderAdmin(w, r, sess, http.StatusBadRequest, "expires_in: choose one of the lifetimes offered", "token", f)
		}
		secs, _ := strconv.Atoi(v) // one of adminExpiries: a number
		spec.ExpiresIn = time.Duration(secs) * time.Second
	}
	secret, t, err := s.svc.IssueToken(r.Context(), sess.Actor(), s.adminOrigin(r), spec)
	if refused(err) {
		requestLogFrom(r.Context()).err = err
		return s.renderAdmin(w, r, sess, http.StatusBadRequest, bot.ErrorMessage(err), "token", f)
	}
	if err != nil {
		return err
	}
	return s.adminRender(w, http.StatusOK, "admin-secret", adminSecretView{Kind: "API token", ID: t.ID, UserID: t.UserID,
		Secret: secret, Use: "Send it as Authorization: Bearer <secret>."})
}

// adminCreateClient answers POST /admin/clients: it registers an OAuth2
// client (CreateClient) and shows its secret, once.
func (s *server) adminCreateClient(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	f := r.PostForm
	spec := bot.ClientSpec{Name: strings.TrimSpace(f.Get("name")), Scope: f.Get("scope"), UserID: strings.TrimSpace(f.Get("user_id")),
		TeamIDs: splitIDs(f.Get("team_ids")), Admin: f.Get("admin") == "on"}
	secret, c, err := s.svc.CreateClient(r.Context(), sess.Actor(), s.adminOrigin(r), spec)
	if refused(err) {
		requestLogFrom(r.Context()).err = err
		return s.renderAdmin(w, r, sess, http.StatusBadRequest, bot.ErrorMessage(err), "client", f)
	}
	if err != nil {
		return err
	}
	return s.adminRender(w, http.StatusOK, "admin-secret", adminSecretView{Kind: "OAuth2 client", ID: c.ID, UserID: c.UserID,
		Secret: secret, ClientID: c.ID, Use: "Get access tokens at POST /oauth/token with grant_type=client_credentials, this client ID and secret."})
}

// adminSecretView is the result page of a new credential.
type adminSecretView struct {
	Kind, ID, UserID, Secret, ClientID, Use string
}

// adminConfirmView is the confirmation step of a revocation.
type adminConfirmView struct {
	CSRF, Kind, ID, Name, UserID, Action string
}

// adminConfirmRevokeToken answers GET /admin/tokens/{id}/revoke: the
// confirmation step of a revocation.
func (s *server) adminConfirmRevokeToken(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	t, err := s.svc.UserToken(r.Context(), sess.Actor(), pathID(r, "id"))
	if err != nil {
		return err
	}
	return s.adminRender(w, http.StatusOK, "admin-confirm", adminConfirmView{CSRF: sess.CSRF, Kind: "API token", ID: t.ID, Name: t.Name,
		UserID: t.UserID, Action: "/admin/tokens/" + url.PathEscape(t.ID) + "/revoke"})
}

// adminRevokeToken answers POST /admin/tokens/{id}/revoke (confirmed).
func (s *server) adminRevokeToken(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	if err := s.svc.RevokeUserToken(r.Context(), sess.Actor(), s.adminOrigin(r), pathID(r, "id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}

// adminConfirmRevokeClient answers GET /admin/clients/{id}/revoke.
func (s *server) adminConfirmRevokeClient(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	c, err := s.svc.Client(r.Context(), sess.Actor(), pathID(r, "id"))
	if err != nil {
		return err
	}
	return s.adminRender(w, http.StatusOK, "admin-confirm", adminConfirmView{CSRF: sess.CSRF, Kind: "OAuth2 client", ID: c.ID, Name: c.Name,
		UserID: c.UserID, Action: "/admin/clients/" + url.PathEscape(c.ID) + "/revoke"})
}

// adminRevokeClient answers POST /admin/clients/{id}/revoke (confirmed):
// the client and its live access tokens stop working at once.
func (s *server) adminRevokeClient(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	if err := s.svc.RevokeClient(r.Context(), sess.Actor(), s.adminOrigin(r), pathID(r, "id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}

// adminLogout answers POST /admin/logout: the session ends, its cookie is
// cleared.
func (s *server) adminLogout(w http.ResponseWriter, r *http.Request, _ bot.AdminSession) error {
	c, _ := r.Cookie(adminCookie) // adminPage found it
	if err := s.svc.CloseAdminSession(r.Context(), c.Value); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: "", Path: "/admin", HttpOnly: true,
		Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return s.adminRender(w, http.StatusOK, "admin-message", struct{ Title, Message string }{
		"Signed out", "You are signed out of the admin page. Get a new link to sign in again."})
}

// adminRender executes a template into a buffer, then writes it with status.
func (s *server) adminRender(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := adminPages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client is gone if this fails
	return nil
}

// adminError writes the admin page's error page: a status and a sentence
// safe to show, never an internal cause.
func (s *server) adminError(w http.ResponseWriter, r *http.Request, err error) {
	requestLogFrom(r.Context()).err = err
	status := statusOf(err)
	msg := map[int]string{
		http.StatusUnauthorized: "Your admin session has ended, or this link is invalid, expired or already used. " +
			"Get a new link: /playbook admin in chat (system admins), or playbooks admin link on the server.",
		http.StatusForbidden:          "Refused: " + bot.ErrorMessage(err) + ". Reload the admin page and try again.",
		http.StatusNotFound:           bot.ErrorMessage(err) + ".",
		http.StatusBadRequest:         bot.ErrorMessage(err) + ".",
		http.StatusTooManyRequests:    "Too many failed attempts from your address. Try again later.",
		http.StatusServiceUnavailable: "The server cannot reach its database right now. Try again shortly.",
	}[status]
	if msg == "" {
		status, msg = http.StatusInternalServerError, "Something went wrong on the server."
	}
	setStatusHeaders(w, status, err)
	var buf bytes.Buffer
	if e := adminPages.ExecuteTemplate(&buf, "admin-message", struct{ Title, Message string }{http.StatusText(status), msg}); e != nil {
		buf.Reset()
		buf.WriteString(template.HTMLEscapeString(msg))
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
