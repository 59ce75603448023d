package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

func TestCheckIdempotencyKey(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		ok        bool
	}{
		{"uuid", "8e03978e-40d5-43e8-bc93-6894a57f9324", true},
		{"one character", "x", true},
		{"space and punctuation", `a b~!"\`, true},
		{"longest", strings.Repeat("k", bot.MaxIdempotencyKeyLen), true},
		{"empty", "", false},
		{"too long", strings.Repeat("k", bot.MaxIdempotencyKeyLen+1), false},
		{"tab", "a\tb", false},
		{"DEL", "a\x7fb", false},
		{"not ASCII", "clé", false},
		{"NUL", "a\x00", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := bot.CheckIdempotencyKey(tt.key)
			if got := err == nil; got != tt.ok {
				t.Fatalf("got error %v, want valid: %v", err, tt.ok)
			}
			if err != nil && bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("got code %s, want %s", bot.ErrorCode(err), bot.EInvalid)
			}
		})
	}
}

// TestCreateOnceRefusesBadKey: a use case refuses a key it cannot record
// (invalid, or without scope or fingerprint) before creating anything.
func TestCreateOnceRefusesBadKey(t *testing.T) {
	db := storetest.Open(t, storetest.SQLite)
	svc := bot.NewService(bot.Config{Store: db})
	a := bot.Actor{UserID: bot.NewID(), Admin: true}
	team := bot.NewID()
	for _, k := range []bot.IdempotencyKey{
		{Scope: "s", Key: "", Fingerprint: "f"},
		{Scope: "s", Key: "a\nb", Fingerprint: "f"},
		{Key: "k", Fingerprint: "f"},
		{Scope: "s", Key: "k"},
	} {
		_, err := svc.CreatePlaybookOnce(context.Background(), a, k, bot.Playbook{Title: "T", TeamID: team})
		if err == nil {
			t.Errorf("key %+v: got no error, want a refusal", k)
		}
	}
	l, err := db.ListPlaybooks(context.Background(), bot.PlaybookFilter{TeamID: team, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	if l.TotalCount != 0 {
		t.Errorf("got %d playbooks, want none", l.TotalCount)
	}
}
