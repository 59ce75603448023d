package mmtest

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// Versions this server can play (WithVersion): Mattermost 10.12, the
// default, as recorded in /work/shared/mattermost-wire.md, and 11.0, whose
// dialogs have dynamic selects (data_source "dynamic" with
// data_source_url, looked up through POST /actions/dialogs/lookup).
const (
	Version1012 = "10.12"
	Version11   = "11.0"
)

// buildNumber and configHash are the other parts of X-Version-Id, as a
// real server fills them.
const (
	buildNumber = "16412616014"
	configHash  = "9f3b2e7c4d1a8b6e0c5f2a9d7e3b1c4a"
)

// WithVersion makes the server play Mattermost version v (Version1012 or
// Version11): the version every API v4 answer names in X-Version-Id, and
// the dialogs it accepts.
func WithVersion(v string) Option {
	return func(s *Server) {
		if v != Version1012 && v != Version11 {
			panic("mmtest: unknown version " + v)
		}
		s.version = v
	}
}

// dynamicSelects reports whether this version's dialogs have dynamic
// selects (from 11.0).
func (s *Server) dynamicSelects() bool { return s.version == Version11 }

// VersionID is the X-Version-Id header of every API v4 answer, as
// Mattermost's handlers set it: "<version>.<build number>.<client config
// hash>.<licensed>", e.g. "10.12.0.16412616014.9f3b….false".
func (s *Server) VersionID() string {
	return fmt.Sprintf("%s.0.%s.%s.false", s.version, buildNumber, configHash)
}

// versioned sets X-Version-Id on every API v4 answer, errors and 404s
// included, as Mattermost does.
func (s *Server) versioned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v4/") {
			w.Header().Set(model.HeaderVersionId, s.VersionID())
		}
		next.ServeHTTP(w, r)
	})
}

// recordCall notes a REST call that needs no authentication, as authed does
// for the others.
func (s *Server) recordCall(r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, UserID: me})
}

// caller returns the user a request's token names, "" for none.
func (s *Server) caller(r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get(model.HeaderAuth), " ")
	if !strings.EqualFold(scheme, model.HeaderBearer) && !strings.EqualFold(scheme, model.HeaderToken) {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[strings.TrimSpace(token)]
}

// ping answers GET /system/ping, with or without authentication.
func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	s.recordCall(r, s.caller(r))
	writeJSON(w, http.StatusOK, map[string]string{"status": "OK", "ActiveSearchBackend": "database"})
}

// clientConfig answers GET /config/client?format=old, with or without
// authentication, as Mattermost does: without format=old it is a 501. It
// has the parts of the configuration the bot may read: the version, the
// site URL, and whether integrations may override a post's icon
// (EnablePostIconOverride: on here, as on the server observed).
func (s *Server) clientConfig(w http.ResponseWriter, r *http.Request) {
	s.recordCall(r, s.caller(r))
	switch r.URL.Query().Get("format") {
	case "":
		appError(w, http.StatusNotImplemented, "api.config.client.old_format.app_error", "New format for the client configuration is not supported yet. Please specify format=old in the query string.")
		return
	case "old":
	default:
		appError(w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "Invalid or missing format parameter in request URL.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"Version": s.version + ".0", "BuildNumber": buildNumber, "BuildHash": configHash,
		"SiteURL": s.URL, "EnablePostIconOverride": "true", "EnablePostUsernameOverride": "false",
	})
}

// userImage answers GET /users/{id}/image: the user's avatar, for anyone
// signed in (a browser sends its session).
func (s *Server) userImage(w http.ResponseWriter, id string) {
	s.mu.Lock()
	_, ok := s.users[id]
	s.mu.Unlock()
	if !ok {
		missingUser(w)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.WriteHeader(http.StatusOK)
	w.Write(onePixelPNG)
}

// onePixelPNG is a valid 1x1 PNG, every user's avatar here.
var onePixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
