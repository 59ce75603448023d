package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// TokenPath is the OAuth2 token endpoint (RFC 6749 3.2), outside BasePath
// as OAuth2 clients expect it at the server's root.
const TokenPath = "/oauth/token"

// DefaultOAuthTokenTTL is the lifetime of an access token unless
// configured: what the peer API issues.
const DefaultOAuthTokenTTL = 10 * time.Minute

// oauthError is an error answer of the token endpoint (RFC 6749 5.2).
type oauthError struct {
	status      int
	code        string // the RFC's error code
	description string
	// basic asks the client for HTTP Basic (WWW-Authenticate), as a 401
	// must (RFC 6749 5.2, RFC 9110 11.6.1).
	basic      bool
	retryAfter time.Duration
	cause      error // logged, never shown
}

func (e *oauthError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.code, e.description, e.cause)
	}
	return e.code + ": " + e.description
}

func invalidRequest(format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: fmt.Sprintf(format, args...)}
}

// invalidClient is every failed client authentication: an unknown or
// revoked client, a wrong secret, or no client authentication at all.
func invalidClient(description string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: description, basic: true}
}

// tokenResponse is the successful answer (RFC 6749 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthToken serves POST /oauth/token with the client credentials grant
// (RFC 6749 4.4): the client authenticates by HTTP Basic, its ID and
// secret form-urlencoded (2.3.1), or by the client_id and client_secret
// form fields, never both; scope is optional. Failed client
// authentications count against the address in the failed-auth throttle,
// whose 429 comes before any credential is looked at.
func (s *server) oauthToken(w http.ResponseWriter, r *http.Request) {
	rl := requestLogFrom(r.Context())
	rl.op = "oauthToken"
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	resp, err := s.grantAccessToken(w, r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	_ = writeJSON(w, http.StatusOK, resp) // a struct of strings and an int always encodes
}

// grantAccessToken checks the request and issues the token.
func (s *server) grantAccessToken(w http.ResponseWriter, r *http.Request) (tokenResponse, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return tokenResponse{}, &oauthError{status: http.StatusMethodNotAllowed, code: "invalid_request",
			description: fmt.Sprintf("the token endpoint accepts POST only, not %s", r.Method)}
	}
	if d := s.throttle.wait(r); d > 0 {
		rl := requestLogFrom(r.Context())
		rl.client = s.throttle.clientAddr(r).String()
		return tokenResponse{}, &oauthError{status: http.StatusTooManyRequests, code: "temporarily_unavailable",
			description: fmt.Sprintf("too many failed authentications from this address: try again in %s seconds", retryAfterSeconds(d)),
			retryAfter:  d}
	}
	form, err := tokenForm(w, r)
	if err != nil {
		return tokenResponse{}, err
	}
	id, secret, err := clientCredentials(r, form)
	if err != nil {
		return tokenResponse{}, s.clientFailed(r, err)
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		return tokenResponse{}, invalidRequest("grant_type is missing: send grant_type=client_credentials")
	case "client_credentials":
	default:
		return tokenResponse{}, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type",
			description: fmt.Sprintf("grant_type %q is not supported: this server issues client_credentials only", abbrev(gt))}
	}
	t, err := s.svc.IssueAccessToken(r.Context(), s.origin(r, bot.ViaOAuth), id, secret, form.Get("scope"), s.tokenTTL)
	switch {
	case errors.Is(err, bot.ErrInvalidClient):
		return tokenResponse{}, s.clientFailed(r, invalidClient("client authentication failed: unknown or revoked client, or wrong secret"))
	case errors.Is(err, bot.ErrInvalidScope):
		return tokenResponse{}, &oauthError{status: http.StatusBadRequest, code: "invalid_scope", description: bot.ErrInvalidScope.Message}
	case err != nil:
		return tokenResponse{}, err
	}
	rl := requestLogFrom(r.Context())
	rl.userID = "client:" + id
	return tokenResponse{AccessToken: t.Secret, TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second), Scope: t.Scope}, nil
}

// clientFailed counts a failed client authentication (an invalid_client)
// against the address and returns err.
func (s *server) clientFailed(r *http.Request, err error) error {
	var oe *oauthError
	if errors.As(err, &oe) && oe.code == "invalid_client" && s.throttle != nil {
		requestLogFrom(r.Context()).client = s.throttle.clientAddr(r).String()
		s.throttle.failed(r)
	}
	return err
}

// tokenForm reads the form-encoded body: parameters only there (none in
// the URL, where secrets would be logged), each at most once (RFC 6749 3.2).
func tokenForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.URL.RawQuery != "" {
		return nil, invalidRequest("send the parameters in the form-encoded body, not in the URL")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	body, err := readBody(w, r)
	if err != nil {
		return nil, invalidRequest("could not read the body: %s", bot.ErrorMessage(err))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("the body is not valid form encoding")
	}
	for k, v := range form {
		if len(v) > 1 {
			return nil, invalidRequest("parameter %s is sent more than once", abbrev(k))
		}
	}
	return form, nil
}

// clientCredentials returns the client ID and secret of the request, from
// HTTP Basic (each form-urlencoded, RFC 6749 2.3.1) or from the form
// fields. invalid_request for both at once or a half of the form pair;
// invalid_client for none or a Basic header that cannot be decoded.
func clientCredentials(r *http.Request, form url.Values) (string, string, error) {
	_, inForm := form["client_id"]
	_, secretInForm := form["client_secret"]
	if auth := r.Header.Get("Authorization"); auth != "" {
		if inForm || secretInForm {
			return "", "", invalidRequest("authenticate the client once: by HTTP Basic or by the client_id and client_secret fields, not both")
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			return "", "", invalidClient("the Authorization header must use the Basic scheme")
		}
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return "", "", invalidClient("the Basic credentials must be form-urlencoded (RFC 6749 2.3.1)")
		}
		return id, secret, nil
	}
	switch {
	case !inForm && !secretInForm:
		return "", "", invalidClient("no client authentication: send HTTP Basic, or client_id and client_secret")
	case !inForm:
		return "", "", invalidRequest("client_id is missing")
	case !secretInForm:
		return "", "", invalidRequest("client_secret is missing")
	}
	return form.Get("client_id"), form.Get("client_secret"), nil
}

// writeOAuthError writes err as RFC 6749 5.2 says: a JSON object of error
// and error_description. Errors of the service (the database down, an
// internal one) are temporarily_unavailable (503, Retry-After) and
// server_error (500), the codes RFC 6749 4.1.2.1 defines for them.
func (s *server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	rl := requestLogFrom(r.Context())
	rl.err = err
	var oe *oauthError
	if !errors.As(err, &oe) {
		oe = &oauthError{status: http.StatusInternalServerError, code: "server_error",
			description: fmt.Sprintf("the request failed on the server; its cause is logged under request_id %s", rl.id)}
		if bot.ErrorCode(err) == bot.EUnavailable {
			oe = &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
				description: "the database is unavailable: try again shortly", retryAfter: retryAfterUnavailable}
		}
	}
	if oe.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="playbooks"`)
	}
	if oe.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(oe.retryAfter))
	}
	b, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{oe.code, oe.description})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(oe.status)
	_, _ = w.Write(append(b, '\n'))
}
