package mmtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// attachmentPost is a post with one attachment of text and a button to url.
func attachmentPost(channelID, message, text, url string) *model.Post {
	p := &model.Post{ChannelId: channelID, Message: message}
	p.AddProp("attachments", []*model.MessageAttachment{{Text: text, Actions: []*model.PostAction{
		{Id: "go1", Type: "button", Name: "Go", Integration: &model.PostActionIntegration{URL: url, Context: map[string]any{"k": "v"}}}}}})
	return p
}

// TestPatchPostEdited checks when a patch marks a post edited, as
// Mattermost's UpdatePost does: when its message or its attachments
// change, not when only other props do or nothing changes.
func TestPatchPostEdited(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	created, _, err := w.api.CreatePost(ctx, attachmentPost(w.channel.Id, "m", "t", "http://bot/a"))
	if err != nil {
		t.Fatal(err)
	}
	if created.GetProp(model.PostPropsFromBot) != "true" {
		t.Errorf("a bot's new post has props %v, want from_bot true", created.GetProps())
	}
	for _, tc := range []struct {
		name   string
		post   *model.Post
		edited bool
	}{
		{"the same message and attachments", attachmentPost(w.channel.Id, "m", "t", "http://bot/a"), false},
		{"another prop", func() *model.Post {
			p := attachmentPost(w.channel.Id, "m", "t", "http://bot/a")
			p.AddProp("marker", "x")
			return p
		}(), false},
		{"another attachment text", attachmentPost(w.channel.Id, "m", "t2", "http://bot/a"), true},
		{"another button URL", attachmentPost(w.channel.Id, "m", "t", "http://bot/b"), true},
		{"another message", attachmentPost(w.channel.Id, "m2", "t", "http://bot/a"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every case starts from a fresh, unedited post.
			base, _, err := w.api.CreatePost(ctx, attachmentPost(w.channel.Id, "m", "t", "http://bot/a"))
			if err != nil {
				t.Fatal(err)
			}
			w.advance(time.Second)
			msg, props := tc.post.Message, tc.post.GetProps()
			got, _, err := w.api.PatchPost(ctx, base.Id, &model.PostPatch{Message: &msg, Props: &props})
			if err != nil {
				t.Fatal(err)
			}
			if edited := got.EditAt != 0; edited != tc.edited {
				t.Errorf("EditAt %d after the patch; want edited %v", got.EditAt, tc.edited)
			}
			if got.GetProp(model.PostPropsFromBot) != nil {
				t.Errorf("props %v after a patch without from_bot; Mattermost 10.12 drops it", got.GetProps())
			}
		})
	}
}

// TestClickUpdateProps checks how an action's "update" rewrites a post, as
// Mattermost 10.12 does: its props replace the post's, from_bot included,
// but from_webhook and the override props keep the post's values; a change
// of message or attachments marks the post edited.
func TestClickUpdateProps(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var answer string
	bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, answer)
	}))
	t.Cleanup(bot.Close)
	for _, tc := range []struct {
		name       string
		webhook    bool // the post has from_webhook
		answer     string
		wantProps  []string // the props the post keeps, besides attachments
		wantEdited bool
	}{
		{"props without from_bot", false, `{"update":{"message":"m","props":{"marker":"x","from_webhook":"forged"}}}`,
			[]string{"marker"}, true}, // its attachments are gone
		{"props with from_bot and the same attachments", true, `{"update":{"message":"m","props":{"from_bot":"true",` +
			`"attachments":[{"text":"t","actions":[{"id":"go1","type":"button","name":"Go","integration":{"url":"URL","context":{"k":"v"}}}]}]}}}`,
			[]string{"from_bot", "from_webhook"}, false},
		{"no props", true, `{"update":{"message":"m2"}}`, []string{"from_bot", "from_webhook"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := attachmentPost(w.channel.Id, "m", "t", bot.URL)
			if tc.webhook {
				p.AddProp(model.PostPropsFromWebhook, "true")
			}
			created, _, err := w.api.CreatePost(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			answer = strings.ReplaceAll(tc.answer, "URL", bot.URL)
			w.advance(time.Second)
			if _, err := w.mm.Click(ctx, w.user.Id, created.Id, "go1"); err != nil {
				t.Fatal(err)
			}
			got, _ := w.mm.Post(created.Id)
			var keys []string
			for k := range got.GetProps() {
				if k != "attachments" {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.wantProps) {
				t.Errorf("props after the update: %v, want %v besides attachments", got.GetProps(), tc.wantProps)
			}
			if edited := got.EditAt != 0; edited != tc.wantEdited {
				t.Errorf("EditAt %d after the update; want edited %v", got.EditAt, tc.wantEdited)
			}
		})
	}
}

// TestReadStripsIntegrations checks that every answer carrying a post (the
// answers to POST /posts and PATCH, GET /posts/{id}) has its buttons'
// integrations stripped, even for its author, as Mattermost's
// StripActionIntegrations does, while the stored post keeps them: a click
// still reaches the integration with its context.
func TestReadStripsIntegrations(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	var got model.PostActionIntegrationRequest
	bot := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(rw, "{}")
	}))
	t.Cleanup(bot.Close)
	created, _, err := w.api.CreatePost(ctx, attachmentPost(w.channel.Id, "m", "t", bot.URL))
	if err != nil {
		t.Fatal(err)
	}
	msg, props := "m2", attachmentPost(w.channel.Id, "m2", "t", bot.URL).GetProps()
	patched, _, err := w.api.PatchPost(ctx, created.Id, &model.PostPatch{Message: &msg, Props: &props})
	if err != nil {
		t.Fatal(err)
	}
	read, _, err := w.api.GetPost(ctx, created.Id, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*model.Post{"create": created, "patch": patched, "get": read} {
		a := p.GetAction("go1")
		if a == nil {
			t.Errorf("%s: the answer has no action go1: %v", name, p.GetProps())
		} else if a.Integration != nil {
			t.Errorf("%s: the answer carries the integration %+v, want it stripped", name, a.Integration)
		}
	}
	if stored, _ := w.mm.Post(created.Id); stored.GetAction("go1").Integration == nil {
		t.Fatal("the stored post lost its integration")
	}
	if _, err := w.mm.Click(ctx, w.user.Id, created.Id, "go1"); err != nil {
		t.Fatal(err)
	}
	if got.Context["k"] != "v" {
		t.Errorf("the click carried context %v, want the stored one", got.Context)
	}
}
