package companion

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/playbooks-bot/playbooks/mmplugin"
)

// UnavailableText is what a user is told when the plugin cannot serve
// them: its settings are incomplete, or the bot is down, refuses the
// plugin or fails. The details go to the server log, and to system admins
// (see unavailable): an internal URL, a dial error or the name of a
// setting means nothing to a user.
const UnavailableText = "Playbooks is not available right now; your system admin can find why in the Mattermost server log."

// unavailable is why the plugin cannot serve a request, in words for a
// system admin: what is wrong and what to do (what), and the error under
// it (cause). Users are told UnavailableText alone.
type unavailable struct {
	what  string
	cause error
}

func (e *unavailable) Error() string {
	if e.cause == nil {
		return e.what
	}
	return e.what + ": " + e.cause.Error()
}

func (e *unavailable) Unwrap() error { return e.cause }

// log writes e to the server log as an error (an admin must act), for
// userID, with the message doing: what.
func (e *unavailable) log(api interface{ LogError(string, ...any) }, doing, userID string, kv ...any) {
	cause := ""
	if e.cause != nil {
		cause = e.cause.Error()
	}
	api.LogError("Playbooks: "+doing+": "+e.what, append([]any{"user_id", userID, "error", cause}, kv...)...)
}

// forAdmin is e as a system admin's reply shows it: what is wrong, and the
// cause in a code block, where Mattermost links (and previews) no URL.
func (e *unavailable) forAdmin() string {
	if e.cause == nil {
		return e.what
	}
	return e.what + "\n```\n" + strings.ReplaceAll(e.cause.Error(), "```", "'''") + "\n```"
}

// asUnavailable returns err as an *unavailable: itself, or what says the
// plugin failed with err.
func asUnavailable(err error) *unavailable {
	if u, ok := err.(*unavailable); ok {
		return u
	}
	return &unavailable{what: "the Playbooks plugin failed", cause: err}
}

// report logs why a request for userID could not be served (as an error:
// an admin must act) and returns the text to show them: UnavailableText,
// followed, for a system admin, by the details.
func (p *Plugin) report(userID, doing string, err error) string {
	u := asUnavailable(err)
	u.log(p.API, doing, userID)
	if !p.isAdmin(userID) {
		return UnavailableText
	}
	return UnavailableText + "\n\nFor system admins: " + u.forAdmin()
}

// isAdmin reports whether userID is a system admin; false when Mattermost
// cannot say.
func (p *Plugin) isAdmin(userID string) bool {
	u, appErr := p.API.GetUser(userID)
	return appErr == nil && u.IsSystemAdmin()
}

// refused is the *unavailable of a bot's answer that is not 200: its error
// body when it has one.
func refused(resp *http.Response, body []byte) *unavailable {
	what := fmt.Sprintf("the Playbooks bot refused the plugin's request (status %d)", resp.StatusCode)
	if resp.StatusCode == http.StatusUnauthorized {
		what += "; check that the plugin's Shared secret is the bot's PLAYBOOKS_MATTERMOST_PLUGIN_SECRET and that the bot runs in plugin mode"
	}
	return &unavailable{what: what, cause: errorBody(body)}
}

// errorBody is the error a bot's error body says, or the body itself (cut
// short) when it is not one.
func errorBody(body []byte) error {
	var e struct{ Error, Details string }
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return fmt.Errorf("%.200q", body)
	}
	if e.Details != "" {
		return fmt.Errorf("%s (%s)", e.Error, e.Details)
	}
	return fmt.Errorf("%s", e.Error)
}

// writeUnavailable answers a REST request of userID that the plugin cannot
// serve: status with the error body, whose details a system admin alone
// gets.
func (p *Plugin) writeUnavailable(w http.ResponseWriter, status int, userID string, admin bool, err error) {
	u := asUnavailable(err)
	u.log(p.API, "proxy a REST request", userID)
	details := "the Mattermost server log says why"
	if admin {
		details = u.Error()
	}
	mmplugin.WriteError(w, status, "Playbooks is not available right now", details)
}
