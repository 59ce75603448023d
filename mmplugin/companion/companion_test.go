package companion_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/stretchr/testify/mock"

	"github.com/playbooks-bot/playbooks/mmplugin"
	"github.com/playbooks-bot/playbooks/mmplugin/companion"
)

const secret = "companion-test-secret-0123456789abcdef"

// newPlugin returns the plugin on the plugin API test double, with the
// given settings, for user u of team t.
func newPlugin(t *testing.T, botURL, sec string, u *model.User, team *model.Team) *companion.Plugin {
	t.Helper()
	api := &plugintest.API{}
	api.On("LoadPluginConfiguration", mock.Anything).Run(func(args mock.Arguments) {
		b, _ := json.Marshal(map[string]string{"BotURL": botURL, "Secret": sec})
		_ = json.Unmarshal(b, args.Get(0))
	}).Return(nil)
	api.On("GetUser", u.Id).Return(u, nil)
	api.On("GetTeamsForUser", u.Id).Return([]*model.Team{team}, nil)
	for _, level := range []string{"LogError", "LogWarn"} {
		for n := 1; n <= 9; n++ {
			api.On(level, slices.Repeat([]any{mock.Anything}, n)...).Maybe().Return()
		}
	}
	p := &companion.Plugin{}
	p.SetAPI(api)
	if err := p.OnConfigurationChange(); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProxyForwards checks what the proxy sends the bot: the same method,
// path under /plugins/playbooks, query and body; the user's identity,
// signed; and none of the user's Mattermost credentials nor any identity
// the client made up. The bot's answer comes back as it is.
func TestProxyForwards(t *testing.T) {
	u := &model.User{Id: model.NewId(), Roles: model.SystemUserRoleId}
	team := &model.Team{Id: model.NewId()}
	var got *http.Request
	var gotBody string
	verifier, err := mmplugin.NewVerifier(secret, func(context.Context, string, time.Duration) (bool, error) { return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := verifier.Verify(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got = r
		b := make([]byte, 100)
		n, _ := r.Body.Read(b)
		gotBody = string(b[:n])
		w.Header().Set("X-From", "bot")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(`{"user":"` + id.UserID + `","teams":"` + strings.Join(id.TeamIDs, ",") + `"}`))
	}))
	defer bot.Close()
	p := newPlugin(t, bot.URL, secret, u, team)

	r := httptest.NewRequest("POST", "/api/v0/runs/abc/status?x=1&y=%2F", strings.NewReader(`{"message":"ok"}`))
	r.Header.Set("Mattermost-User-Id", u.Id)
	r.Header.Set("Authorization", "Bearer users-session-token")
	r.Header.Set("Cookie", "MMAUTHTOKEN=users-session-token")
	r.Header.Set(mmplugin.HeaderAdmin, "true") // made up by the client
	r.Header.Set("Idempotency-Key", "k1")
	w := httptest.NewRecorder()
	p.ServeHTTP(&plugin.Context{}, w, r)

	if w.Code != http.StatusTeapot || w.Header().Get("X-From") != "bot" {
		t.Fatalf("answer %d %v %s, want the bot's 418 as it is", w.Code, w.Header(), w.Body)
	}
	if want := `{"user":"` + u.Id + `","teams":"` + team.Id + `"}`; w.Body.String() != want {
		t.Errorf("bot saw %s, want %s", w.Body, want)
	}
	if got.Method != "POST" || got.URL.Path != "/plugins/playbooks/api/v0/runs/abc/status" || got.URL.RawQuery != "x=1&y=%2F" || gotBody != `{"message":"ok"}` {
		t.Errorf("bot got %s %s?%s %q", got.Method, got.URL.Path, got.URL.RawQuery, gotBody)
	}
	for _, h := range []string{"Authorization", "Cookie", "Mattermost-User-Id"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("bot got %s: %q, want none", h, v)
		}
	}
	if got.Header.Get(mmplugin.HeaderAdmin) != "false" || got.Header.Get("Idempotency-Key") != "k1" {
		t.Errorf("bot got admin %q, idempotency key %q; want false (the user's), k1", got.Header.Get(mmplugin.HeaderAdmin), got.Header.Get("Idempotency-Key"))
	}
}

// TestProxyRefuses checks the requests the plugin answers itself, without
// a call to the bot: no Mattermost user, a route it does not serve, a body
// over mmplugin.MaxBody.
func TestProxyRefuses(t *testing.T) {
	u := &model.User{Id: model.NewId()}
	team := &model.Team{Id: model.NewId()}
	calls := 0
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer bot.Close()
	p := newPlugin(t, bot.URL, secret, u, team)
	for _, c := range []struct {
		name, user, method, path string
		body                     string
		want                     int
	}{
		{"no user", "", "GET", "/api/v0/runs", "", http.StatusUnauthorized},
		{"unknown route", u.Id, "GET", "/elsewhere", "", http.StatusNotFound},
		{"body too large", u.Id, "POST", "/api/v0/runs", strings.Repeat("x", mmplugin.MaxBody+1), http.StatusRequestEntityTooLarge},
	} {
		r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.user != "" {
			r.Header.Set("Mattermost-User-Id", c.user)
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(&plugin.Context{}, w, r)
		var eb struct{ Error string }
		if w.Code != c.want || json.Unmarshal(w.Body.Bytes(), &eb) != nil || eb.Error == "" {
			t.Errorf("%s: %d %s, want %d with the error body", c.name, w.Code, w.Body, c.want)
		}
	}
	if calls != 0 {
		t.Errorf("the bot was called %d times, want none", calls)
	}
}
