package mmtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// capture is an integration that records the requests it gets and answers
// with a fixed body.
type capture struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
	srv  *httptest.Server
}

func newCapture(t *testing.T, answer string) *capture {
	c := &capture{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.PostForm, _ = url.ParseQuery(string(b)) // meaningful for forms only
		c.mu.Lock()
		c.reqs, c.body = append(c.reqs, r), append(c.body, b)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, answer)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *capture) last() (*http.Request, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reqs[len(c.reqs)-1], c.body[len(c.body)-1]
}

type world struct {
	mm       *mmtest.Server
	team     *model.Team
	user     *model.User
	bot      *model.User
	api      *model.Client4
	channel  *model.Channel
	clockMu  sync.Mutex
	clockNow time.Time
}

func newWorld(t *testing.T, opts ...mmtest.Option) *world {
	w := &world{clockNow: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	w.mm = mmtest.New(t, append([]mmtest.Option{mmtest.WithClock(w.clock)}, opts...)...)
	w.team = w.mm.AddTeam("acme")
	w.user = w.mm.AddUser("alice", w.team.Id)
	var token string
	w.bot, token = w.mm.AddBot("playbooks", w.team.Id)
	w.api = model.NewAPIv4Client(w.mm.URL)
	w.api.SetToken(token)
	w.channel = w.mm.AddChannel(w.team.Id, "town-square", model.ChannelTypeOpen, w.user.Id, w.bot.Id)
	return w
}

func (w *world) clock() time.Time {
	w.clockMu.Lock()
	defer w.clockMu.Unlock()
	return w.clockNow
}

func (w *world) advance(d time.Duration) {
	w.clockMu.Lock()
	defer w.clockMu.Unlock()
	w.clockNow = w.clockNow.Add(d)
}

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, b []byte) []string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestSlashCommandForm(t *testing.T) {
	w := newWorld(t)
	bot := newCapture(t, `{"response_type":"in_channel","text":"hello"}`)
	token := w.mm.RegisterCommand(w.team.Id, "playbook", bot.srv.URL+"/cmd")
	resp, err := w.mm.SlashCommand(context.Background(), mmtest.Slash{UserID: w.user.Id, ChannelID: w.channel.Id, Text: "check 0 2"})
	if err != nil || resp.Text != "hello" {
		t.Fatalf("got %+v, %v", resp, err)
	}
	r, _ := bot.last()
	wantHeaders := map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
		"Authorization": "Token " + token, "User-Agent": "Mattermost-Bot/1.1",
	}
	for h, want := range wantHeaders {
		if got := r.Header.Get(h); got != want {
			t.Errorf("header %s: got %q, want %q", h, got, want)
		}
	}
	var fields []string
	for k := range r.PostForm {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	want := []string{"channel_id", "channel_name", "command", "response_url", "team_domain", "team_id", "text", "token", "trigger_id", "user_id", "user_name"}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("form fields (-want +got):\n%s", diff)
	}
	f := r.PostForm
	if f.Get("command") != "/playbook" || f.Get("text") != "check 0 2" || f.Get("team_domain") != "acme" || f.Get("user_name") != "alice" || f.Get("token") != token {
		t.Errorf("form: %v", f)
	}
	posts := w.mm.Posts(w.channel.Id)
	if len(posts) != 1 || posts[0].UserId != w.user.Id || posts[0].Message != "hello" {
		t.Errorf("in-channel reply: posts %+v, want one of alice saying hello", posts)
	}

	// The response URL takes a later reply with no authentication.
	later, _ := json.Marshal(model.CommandResponse{ResponseType: "ephemeral", Text: "done"})
	res, err := http.Post(f.Get("response_url"), "application/json", bytes.NewReader(later))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("response_url: %v %v", res, err)
	}
	if e := w.mm.Ephemerals(); len(e) != 1 || e[0].Message != "done" || e[0].UserID != w.user.Id {
		t.Errorf("ephemerals %+v", e)
	}
}

func TestSlashCommandNon200(t *testing.T) {
	w := newWorld(t)
	bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		http.Error(rw, "no", http.StatusUnauthorized)
	}))
	defer bot.Close()
	w.mm.RegisterCommand(w.team.Id, "playbook", bot.URL)
	_, err := w.mm.SlashCommand(context.Background(), mmtest.Slash{UserID: w.user.Id, ChannelID: w.channel.Id})
	var se *mmtest.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Errorf("got %v, want a StatusError 401", err)
	}
}

func TestCreateChannel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, channel string
		typ           model.ChannelType
		status        int
		id            string
	}{
		{"created", "db-down", model.ChannelTypePrivate, http.StatusCreated, ""},
		{"name taken", "db-down", model.ChannelTypeOpen, http.StatusBadRequest, "store.sql_channel.save_channel.exists.app_error"},
		{"one character", "d", model.ChannelTypeOpen, http.StatusBadRequest, "model.channel.is_valid.2_or_more.app_error"},
		{"upper case", "DB", model.ChannelTypeOpen, http.StatusBadRequest, "model.channel.is_valid.2_or_more.app_error"},
		{"direct", "dm-x", model.ChannelTypeDirect, http.StatusBadRequest, "model.channel.is_valid.type.app_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, resp, err := w.api.CreateChannel(ctx, &model.Channel{TeamId: w.team.Id, Name: tc.channel, DisplayName: "DB", Type: tc.typ})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d (%v), want %d", resp.StatusCode, err, tc.status)
			}
			var ae *model.AppError
			if tc.id != "" && (!errors.As(err, &ae) || ae.Id != tc.id || ae.StatusCode != tc.status) {
				t.Errorf("error %v, want id %s", err, tc.id)
			}
			if tc.id == "" && (ch.CreatorId != w.bot.Id || !slices.Contains(w.mm.Members(ch.Id), w.bot.Id)) {
				t.Errorf("the creator is not a member of %+v", ch)
			}
		})
	}
}

func TestOpenDialog(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	dialog := model.Dialog{CallbackId: "cb", Title: "Title", Elements: []model.DialogElement{
		{DisplayName: "Name", Name: "name", Type: "text"}}}
	trigger := w.mm.IssueTrigger(w.user.Id, w.channel.Id)
	for _, tc := range []struct {
		name    string
		trigger string
		title   string
		advance time.Duration
		status  int
	}{
		{"valid", trigger, "Title", 0, http.StatusOK},
		{"garbage trigger", "garbage", "Title", 0, http.StatusBadRequest},
		{"title over 24 bytes", trigger, "This title is far too long", 0, http.StatusBadRequest},
		{"expired trigger", trigger, "Title", 31 * time.Second, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.advance(tc.advance)
			d := dialog
			d.Title = tc.title
			resp, _ := w.api.OpenInteractiveDialog(ctx, model.OpenDialogRequest{TriggerId: tc.trigger, URL: "http://bot/x", Dialog: d})
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if got := w.mm.Dialogs(); len(got) != 1 || got[0].UserID != w.user.Id || got[0].ChannelID != w.channel.Id || got[0].TeamID != w.team.Id {
		t.Errorf("dialogs %+v, want the valid one, for alice in town-square", got)
	}
}

func TestDialogSubmissionShape(t *testing.T) {
	w := newWorld(t)
	bot := newCapture(t, `{}`)
	d := mmtest.OpenedDialog{
		OpenDialogRequest: model.OpenDialogRequest{URL: bot.srv.URL, Dialog: model.Dialog{CallbackId: "cb", State: "st",
			Elements: []model.DialogElement{
				{Name: "name", Type: "text"}, {Name: "ok", Type: "bool"},
				{Name: "pick", Type: "select", Default: "b", Optional: true, Options: []*model.PostActionOptions{{Text: "A", Value: "a"}, {Text: "B", Value: "b"}}},
			}}},
		UserID: w.user.Id, ChannelID: w.channel.Id, TeamID: w.team.Id,
	}
	if _, err := w.mm.SubmitDialog(context.Background(), d, nil); err == nil {
		t.Error("submitted without the required name")
	}
	if _, err := w.mm.SubmitDialog(context.Background(), d, map[string]any{"name": "x", "pick": "c"}); err == nil {
		t.Error("submitted a select value that is not one of its options")
	}
	if n := len(w.mm.Sent()); n != 0 {
		t.Errorf("%d requests sent for dialogs the web client would not submit, want 0", n)
	}
	if _, err := w.mm.SubmitDialog(context.Background(), d, map[string]any{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	r, body := bot.last()
	if r.Header.Get("Authorization") != "" {
		t.Error("a dialog submission carries authentication")
	}
	want := []string{"callback_id", "cancelled", "channel_id", "state", "submission", "team_id", "type", "user_id"}
	if diff := cmp.Diff(want, keys(t, body)); diff != "" {
		t.Errorf("submission keys (-want +got):\n%s", diff)
	}
	var sub model.SubmitDialogRequest
	json.Unmarshal(body, &sub)
	if diff := cmp.Diff(map[string]any{"name": "x", "ok": false, "pick": "b"}, sub.Submission); diff != "" || sub.Type != "dialog_submission" {
		t.Errorf("submission %s (-want +got):\n%s", sub.Type, diff)
	}
}

func TestClickShape(t *testing.T) {
	w := newWorld(t)
	bot := newCapture(t, `{"update":{"message":"clicked"},"ephemeral_text":"thanks"}`)
	p := &model.Post{ChannelId: w.channel.Id, Message: "m"}
	p.AddProp("attachments", []*model.MessageAttachment{{Text: "t", Actions: []*model.PostAction{
		{Id: "go1", Type: "button", Name: "Go", Integration: &model.PostActionIntegration{URL: bot.srv.URL, Context: map[string]any{"k": "v"}}}}}})
	created, _, err := w.api.CreatePost(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.mm.Click(context.Background(), w.user.Id, created.Id, "go1"); err != nil {
		t.Fatal(err)
	}
	_, body := bot.last()
	want := []string{"channel_id", "channel_name", "context", "data_source", "post_id", "team_domain", "team_id", "trigger_id", "type", "user_id", "user_name"}
	if diff := cmp.Diff(want, keys(t, body)); diff != "" {
		t.Errorf("click keys (-want +got):\n%s", diff)
	}
	if got, _ := w.mm.Post(created.Id); got.Message != "clicked" {
		t.Errorf("post after the update: %q", got.Message)
	}
	if e := w.mm.Ephemerals(); len(e) != 1 || e[0].Message != "thanks" {
		t.Errorf("ephemerals %+v", e)
	}

	bad := &model.Post{ChannelId: w.channel.Id, Message: "m"}
	bad.AddProp("attachments", []*model.MessageAttachment{{Actions: []*model.PostAction{
		{Id: "has-dash", Type: "button", Name: "Go", Integration: &model.PostActionIntegration{URL: bot.srv.URL}}}}})
	if _, resp, _ := w.api.CreatePost(context.Background(), bad); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an action ID with a dash: status %d, want 400", resp.StatusCode)
	}
}

func TestAuth(t *testing.T) {
	w := newWorld(t)
	anon := model.NewAPIv4Client(w.mm.URL)
	anon.SetToken("nope")
	if _, resp, _ := anon.GetMe(context.Background(), ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown token: status %d, want 401", resp.StatusCode)
	}
	me, _, err := w.api.GetMe(context.Background(), "")
	if err != nil || me.Id != w.bot.Id {
		t.Errorf("GetMe with the bot token: %+v, %v", me, err)
	}
	if _, resp, _ := w.api.CreatePostEphemeral(context.Background(), &model.PostEphemeral{UserID: w.user.Id,
		Post: &model.Post{ChannelId: w.channel.Id, Message: "x"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("ephemeral without the permission: status %d, want 403", resp.StatusCode)
	}
}

// TestPluginRouteGetsSessionToken checks what Mattermost 10.12's
// DoActionRequest does: a dialog or button URL whose path starts with
// /plugins on the site's hostname (any port) gets the user's session token
// as a bearer token; any other URL gets no authentication.
func TestPluginRouteGetsSessionToken(t *testing.T) {
	w := newWorld(t)
	bot := newCapture(t, `{}`)
	port := bot.srv.URL[strings.LastIndex(bot.srv.URL, ":"):]
	session := "Bearer " + w.mm.SessionToken(w.user.Id)
	if session == "Bearer " {
		t.Fatal("alice has no session token")
	}
	for _, tc := range []struct {
		name, url string
		wantAuth  string
	}{
		{"plugin path, same hostname, another port", bot.srv.URL + "/plugins/playbooks/api/v0/runs/dialog", session},
		{"plugin prefix only", bot.srv.URL + "/pluginsx", session},
		{"bot path, same hostname", bot.srv.URL + "/mattermost/dialog", ""},
		{"plugin path, another hostname", "http://localhost" + port + "/plugins/playbooks/api/v0/runs/dialog", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mmtest.OpenedDialog{OpenDialogRequest: model.OpenDialogRequest{URL: tc.url, Dialog: model.Dialog{CallbackId: "cb"}},
				UserID: w.user.Id, ChannelID: w.channel.Id, TeamID: w.team.Id}
			before := len(w.mm.SessionLeaks())
			if _, err := w.mm.SubmitDialog(context.Background(), d, nil); err != nil {
				t.Fatal(err)
			}
			r, _ := bot.last()
			if got := r.Header.Get("Authorization"); got != tc.wantAuth {
				t.Errorf("Authorization: got %q, want %q", got, tc.wantAuth)
			}
			sent := w.mm.Sent()
			if last := sent[len(sent)-1]; last.URL != tc.url || last.Header.Get("Authorization") != tc.wantAuth {
				t.Errorf("recorded %s with Authorization %q, want %s with %q", last.URL, last.Header.Get("Authorization"), tc.url, tc.wantAuth)
			}
			if leaked := len(w.mm.SessionLeaks()) > before; leaked != (tc.wantAuth != "") {
				t.Errorf("SessionLeaks grew: %v, want %v", leaked, tc.wantAuth != "")
			}
		})
	}

	t.Run("button", func(t *testing.T) {
		p := &model.Post{ChannelId: w.channel.Id, Message: "m"}
		p.AddProp("attachments", []*model.MessageAttachment{{Text: "t", Actions: []*model.PostAction{
			{Id: "go1", Type: "button", Name: "Go", Integration: &model.PostActionIntegration{URL: bot.srv.URL + "/plugins/x"}}}}})
		created, _, err := w.api.CreatePost(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.mm.Click(context.Background(), w.user.Id, created.Id, "go1"); err != nil {
			t.Fatal(err)
		}
		if r, _ := bot.last(); r.Header.Get("Authorization") != session {
			t.Errorf("click on a plugin URL: Authorization %q, want alice's session", r.Header.Get("Authorization"))
		}
	})

	// The session token is a real one: it works on the REST API as alice.
	api := model.NewAPIv4Client(w.mm.URL)
	api.SetToken(w.mm.SessionToken(w.user.Id))
	if me, _, err := api.GetMe(context.Background(), ""); err != nil || me.Id != w.user.Id {
		t.Errorf("GetMe with alice's session: %+v, %v", me, err)
	}
}

// TestIntegrationNon200 checks that a non-200 answer to a dialog submission
// or a click loses its body, as on a real server.
func TestIntegrationNon200(t *testing.T) {
	w := newWorld(t)
	bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusUnauthorized)
		io.WriteString(rw, `{"error":"this dialog expired"}`)
	}))
	defer bot.Close()
	d := mmtest.OpenedDialog{OpenDialogRequest: model.OpenDialogRequest{URL: bot.URL, Dialog: model.Dialog{CallbackId: "cb"}},
		UserID: w.user.Id, ChannelID: w.channel.Id, TeamID: w.team.Id}
	resp, err := w.mm.SubmitDialog(context.Background(), d, nil)
	var se *mmtest.StatusError
	if resp != nil || !errors.As(err, &se) || se.Status != http.StatusUnauthorized || se.Body != "" ||
		strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "integration error") {
		t.Errorf("got %+v, %v; want a StatusError 401 with no body and a generic integration error", resp, err)
	}
	_, err = w.mm.SendAction(context.Background(), bot.URL, model.PostActionIntegrationRequest{UserId: w.user.Id})
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || se.Body != "" {
		t.Errorf("click: got %v, want a StatusError 401 with no body", err)
	}
}

// TestOpenDialogDynamicSelect checks what Mattermost 10.12 does with a
// select of data source "dynamic" (an 11.0 feature): the dialog opens, the
// select reaches the user with no options and no URL, and the web client
// cannot submit it.
func TestOpenDialogDynamicSelect(t *testing.T) {
	w := newWorld(t)
	bot := newCapture(t, `{}`)
	trigger := w.mm.IssueTrigger(w.user.Id, w.channel.Id)
	resp, err := w.api.OpenInteractiveDialog(context.Background(), model.OpenDialogRequest{TriggerId: trigger, URL: bot.srv.URL,
		Dialog: model.Dialog{CallbackId: "cb", Title: "Pick", Elements: []model.DialogElement{
			{DisplayName: "Item", Name: "item", Type: "select", DataSource: "dynamic", DataSourceURL: bot.srv.URL + "/lookup"},
			{DisplayName: "Note", Name: "note", Type: "text", Optional: true},
		}}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("open: %v (status %d), want 200 as on 10.12", err, resp.StatusCode)
	}
	d, ok := w.mm.LastDialog()
	if !ok {
		t.Fatal("no dialog opened")
	}
	if e := d.Dialog.Elements[0]; e.Options != nil || e.DataSourceURL != "" {
		t.Errorf("dynamic select reached the user with options %v and URL %q, want neither", e.Options, e.DataSourceURL)
	}
	for _, v := range []any{"0 0", nil} {
		if _, err := w.mm.SubmitDialog(context.Background(), d, map[string]any{"item": v}); err == nil {
			t.Errorf("submitted the empty dynamic select with %v", v)
		}
	}
	if n := len(w.mm.Sent()); n != 0 {
		t.Errorf("%d requests sent, want none: the web client cannot submit this dialog", n)
	}
}
