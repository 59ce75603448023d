package companion_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/mock"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/mmplugin"
	"github.com/playbooks-bot/playbooks/mmplugin/companion"
)

// serverLog is what the plugin wrote to Mattermost's server log.
type serverLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// loggingPlugin is newPlugin for user u, with the log it writes kept.
func loggingPlugin(t *testing.T, botURL, sec string, u *model.User, team *model.Team) (*companion.Plugin, *serverLog) {
	t.Helper()
	api := &plugintest.API{}
	api.On("LoadPluginConfiguration", mock.Anything).Run(func(args mock.Arguments) {
		b, _ := json.Marshal(map[string]string{"BotURL": botURL, "Secret": sec})
		_ = json.Unmarshal(b, args.Get(0))
	}).Return(nil)
	api.On("GetUser", u.Id).Return(u, nil)
	api.On("GetTeamsForUser", u.Id).Return([]*model.Team{team}, nil)
	log := &serverLog{}
	for _, level := range []string{"LogError", "LogWarn"} {
		for n := 1; n <= 9; n++ {
			api.On(level, slices.Repeat([]any{mock.Anything}, n)...).Maybe().Run(func(args mock.Arguments) {
				log.mu.Lock()
				defer log.mu.Unlock()
				log.lines = append(log.lines, level+" "+fmt.Sprint(args...))
			}).Return()
		}
	}
	p := &companion.Plugin{}
	p.SetAPI(api)
	if err := p.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	return p, log
}

// fakeBot is a bot server in plugin mode with the given secret, as
// bot/mattermost answers plugin requests: a refusal of a request whose
// signature does not verify (mmplugin.Verifier), else answer.
func fakeBot(t *testing.T, sec string, answer http.HandlerFunc) *httptest.Server {
	t.Helper()
	v, err := mmplugin.NewVerifier(sec, func(context.Context, string, time.Duration) (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r); err != nil {
			mmplugin.WriteError(w, http.StatusUnauthorized, bot.ErrorMessage(err), "")
			return
		}
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestUnavailableToUsers: when the plugin cannot serve /playbook (its
// settings are incomplete, the bot is down, refuses the plugin or fails),
// a user is told so in one friendly sentence, with none of the details: no
// URL, no variable, no error text, and no example domain that Mattermost
// would link and preview. The details go to the server log, and to a
// system admin's reply. The autocomplete lists answer an empty JSON array
// Mattermost decodes, and the REST proxy a 5xx with the error body.
func TestUnavailableToUsers(t *testing.T) {
	team := &model.Team{Id: model.NewId()}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	otherSecret := fakeBot(t, strings.Repeat("o", 40), func(w http.ResponseWriter, r *http.Request) {})
	noPluginMode := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mmplugin.WriteError(w, http.StatusUnauthorized, "plugin requests are not accepted",
			"this bot has no PLAYBOOKS_MATTERMOST_PLUGIN_SECRET (see docs/mattermost.md, Plugin mode)")
	}))
	defer noPluginMode.Close()
	failing := fakeBot(t, secret, func(w http.ResponseWriter, r *http.Request) {
		mmplugin.WriteError(w, http.StatusInternalServerError, "internal error", "logged under request_id abc")
	})
	garbage := fakeBot(t, secret, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>a proxy's error page</html>"))
	})
	for _, c := range []struct {
		name, url, secret string
		admin             []string // what a system admin's reply (and the log) says
		relayed           bool     // the REST proxy relays the bot's 200 as it is
	}{
		{"no URL", "", secret, []string{"Bot server URL"}, false},
		{"not a URL", "playbooks", secret, []string{"Bot server URL"}, false},
		{"short secret", "http://127.0.0.1:1", "short", []string{"Shared secret", "PLAYBOOKS_MATTERMOST_PLUGIN_SECRET"}, false},
		{"bot down", down.URL, secret, []string{"cannot reach", strings.TrimPrefix(down.URL, "http://")}, false},
		{"another secret", otherSecret.URL, secret, []string{"signature does not verify", "PLAYBOOKS_MATTERMOST_PLUGIN_SECRET"}, false},
		{"bot not in plugin mode", noPluginMode.URL, secret, []string{"plugin requests are not accepted"}, false},
		{"bot failing", failing.URL, secret, []string{"internal error", "abc"}, false},
		{"bot answering garbage", garbage.URL, secret, []string{"not a command response"}, true},
	} {
		for _, role := range []string{model.SystemUserRoleId, model.SystemUserRoleId + " " + model.SystemAdminRoleId} {
			u := &model.User{Id: model.NewId(), Roles: role}
			admin := u.IsSystemAdmin()
			t.Run(fmt.Sprintf("%s/admin=%v", c.name, admin), func(t *testing.T) {
				p, log := loggingPlugin(t, c.url, c.secret, u, team)
				resp, appErr := p.ExecuteCommand(&plugin.Context{}, &model.CommandArgs{Command: "/playbook info", UserId: u.Id, TeamId: team.Id, ChannelId: model.NewId()})
				if appErr != nil || resp == nil || resp.ResponseType != model.CommandResponseTypeEphemeral {
					t.Fatalf("/playbook answered %+v %v, want an ephemeral message", resp, appErr)
				}
				if !strings.HasPrefix(resp.Text, companion.UnavailableText) {
					t.Errorf("/playbook answered %q, want it to start %q", resp.Text, companion.UnavailableText)
				}
				details := strings.TrimPrefix(resp.Text, companion.UnavailableText)
				for _, s := range c.admin {
					if admin && !strings.Contains(details, s) {
						t.Errorf("admin's reply %q, want the details (%q)", resp.Text, s)
					}
					if !strings.Contains(log.String(), s) {
						t.Errorf("server log %q, want the details (%q)", log.String(), s)
					}
				}
				if !admin && details != "" {
					t.Errorf("a user's reply %q, want %q alone (the details are for admins)", resp.Text, companion.UnavailableText)
				}
				if !resp.SkipSlackParsing {
					t.Errorf("reply %q without skip_slack_parsing: Mattermost would rewrite <…|…> in it", resp.Text)
				}
				if strings.Contains(resp.Text, "example.") {
					t.Errorf("reply %q names an example domain", resp.Text)
				}

				// Autocomplete: an empty list, as Mattermost decodes it.
				r := httptest.NewRequest("GET", "/autocomplete/items/check?channel_id="+model.NewId()+"&team_id="+team.Id, nil)
				r.Header.Set("Mattermost-User-Id", u.Id)
				w := httptest.NewRecorder()
				p.ServeHTTP(&plugin.Context{}, w, r)
				var items []model.AutocompleteListItem
				if err := json.NewDecoder(w.Body).Decode(&items); err != nil || w.Code != http.StatusOK || len(items) != 0 {
					t.Errorf("autocomplete list: %d, decoded %v, %v; want 200 and an empty list", w.Code, items, err)
				}

				// REST: a 5xx with the error body, and no details for a user.
				if c.relayed {
					return
				}
				r = httptest.NewRequest("GET", "/api/v0/runs", nil)
				r.Header.Set("Mattermost-User-Id", u.Id)
				w = httptest.NewRecorder()
				p.ServeHTTP(&plugin.Context{}, w, r)
				var eb map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || w.Code < 500 || eb["error"] == "" {
					t.Errorf("GET /api/v0/runs: %d %s, want a 5xx with the error body", w.Code, w.Body)
				}
				if b := w.Body.String(); !admin && (strings.Contains(b, "127.0.0.1") || strings.Contains(b, "PLAYBOOKS_") || strings.Contains(b, "example.")) {
					t.Errorf("GET /api/v0/runs for a user: %s, want no details", b)
				}
			})
		}
	}
}
