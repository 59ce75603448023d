package api

import (
	"bytes"
	"cmp"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

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
	secret, sess, err := s.svc.OpenAdminLink(r.Context(), r.URL.Query())
	if err != nil {
		s.adminError(w, r, err)
		return
	}
	rl.userID = sess.UserID
	http.SetCookie(w, &http.Cookie{Name: adminCookie, Value: secret, Path: "/admin", HttpOnly: true,
		Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode, MaxAge: int(bot.AdminSessionMax.Seconds())})
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
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
		sess, err := s.svc.AdminSession(r.Context(), secret)
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

// adminAddress is the client address of r for the audit log.
func (s *server) adminAddress(r *http.Request) string {
	var a = parseAddr(r.RemoteAddr)
	if s.throttle != nil {
		a = s.throttle.clientAddr(r)
	}
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// adminOrigin is the Origin of a change made on the admin page.
func (s *server) adminOrigin(r *http.Request) bot.Origin {
	return bot.Origin{Via: bot.ViaAdminPage, Address: s.adminAddress(r)}
}

// adminUserView is one user with their credentials.
type adminUserView struct {
	UserID string
	Tokens []adminTokenView
}

// adminTokenView is an API token as the page lists it: never its secret.
type adminTokenView struct {
	ID, Teams, Created, Revoked string
	Admin                       bool
}

// adminView is the main page.
type adminView struct {
	UserID string // the signed-in admin
	CSRF   string
	Users  []adminUserView
	Error  string // a refused form's message
	Form   url.Values
}

// adminHome answers GET /admin.
func (s *server) adminHome(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	return s.renderAdmin(w, r, sess, http.StatusOK, "", nil)
}

// renderAdmin writes the main page, with an error message for a refused
// form (whose values it keeps).
func (s *server) renderAdmin(w http.ResponseWriter, r *http.Request, sess bot.AdminSession, status int, msg string, form url.Values) error {
	tokens, err := s.svc.ListTokens(r.Context())
	if err != nil {
		return err
	}
	byUser := map[string]*adminUserView{}
	for _, t := range tokens {
		u := byUser[t.UserID]
		if u == nil {
			u = &adminUserView{UserID: t.UserID}
			byUser[t.UserID] = u
		}
		u.Tokens = append(u.Tokens, adminTokenView{ID: t.ID, Teams: strings.Join(t.TeamIDs, ", "), Admin: t.Admin,
			Created: utc(t.CreateAt), Revoked: utc(t.RevokeAt)})
	}
	v := adminView{UserID: sess.UserID, CSRF: sess.CSRF, Error: msg, Form: form}
	for _, u := range byUser {
		v.Users = append(v.Users, *u)
	}
	slices.SortFunc(v.Users, func(a, b adminUserView) int { return cmp.Compare(a.UserID, b.UserID) })
	return s.adminRender(w, status, "admin", v)
}

// adminCreateToken answers POST /admin/tokens: it issues a token and shows
// its secret, once, on the result page.
func (s *server) adminCreateToken(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	f := r.PostForm
	user := strings.TrimSpace(f.Get("user_id"))
	teams := strings.FieldsFunc(f.Get("team_ids"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	secret, t, err := s.svc.CreateToken(r.Context(), user, teams, f.Get("admin") == "on")
	if code := bot.ErrorCode(err); code == bot.EInvalid {
		requestLogFrom(r.Context()).err = err
		return s.renderAdmin(w, r, sess, http.StatusBadRequest, bot.ErrorMessage(err), f)
	}
	if err != nil {
		return err
	}
	return s.adminRender(w, http.StatusOK, "admin-secret", struct {
		Kind, ID, UserID, Secret string
	}{"API token", t.ID, t.UserID, secret})
}

// adminConfirmRevokeToken answers GET /admin/tokens/{id}/revoke: the
// confirmation step of a revocation.
func (s *server) adminConfirmRevokeToken(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	id := pathID(r, "id")
	tokens, err := s.svc.ListTokens(r.Context())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(tokens, func(t bot.Token) bool { return t.ID == id })
	if i < 0 {
		return bot.Errorf(bot.ENotFound, "token %s not found", id)
	}
	t := tokens[i]
	return s.adminRender(w, http.StatusOK, "admin-confirm", struct {
		CSRF, Kind, ID, UserID, Action string
	}{sess.CSRF, "API token", t.ID, t.UserID, "/admin/tokens/" + url.PathEscape(t.ID) + "/revoke"})
}

// adminRevokeToken answers POST /admin/tokens/{id}/revoke (confirmed).
func (s *server) adminRevokeToken(w http.ResponseWriter, r *http.Request, sess bot.AdminSession) error {
	if err := s.svc.RevokeToken(r.Context(), pathID(r, "id")); err != nil {
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
