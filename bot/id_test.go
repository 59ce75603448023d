package bot

import (
	"context"
	"strings"
	"testing"
)

// shapedChat is a Chat whose platform checks the shape of its IDs.
type shapedChat struct {
	NoChat
	valid func(string) bool
}

func (c shapedChat) ValidID(id string) bool { return c.valid(id) }

// noStore fails on any query: a check that refuses before any query never
// reaches it.
type noStore struct{ Store }

// TestCheckChatID checks that chat IDs are opaque to the core unless a
// configured platform checks its shapes, and then must have the shape of
// one of the configured platforms, or of the IDs this server makes;
// refused before any query.
func TestCheckChatID(t *testing.T) {
	upper := shapedChat{valid: func(s string) bool { return strings.ToUpper(s) == s }}
	digits := shapedChat{valid: func(s string) bool { return strings.Trim(s, "0123456789") == "" }}
	opaque := NewService(Config{Store: noStore{}})
	shaped := NewService(Config{Store: noStore{}, Chat: upper, Platforms: map[string]Chat{"upper": upper, "digits": digits}})
	for _, tc := range []struct {
		id             string
		opaqueOK, isOK bool
	}{
		{"bob", true, false},
		{"BOB", true, true},
		{"123", true, true},
		{NewID(), true, true},
		{"bob.smith", false, false},
		{strings.Repeat("B", MaxIDLen+1), false, false},
		{"", false, false},
	} {
		if err := opaque.checkChatID("user_id", tc.id); (err == nil) != tc.opaqueOK {
			t.Errorf("no platform checks shapes: checkChatID(%q) = %v, want ok %v", tc.id, err, tc.opaqueOK)
		}
		if err := shaped.checkChatID("user_id", tc.id); (err == nil) != tc.isOK {
			t.Errorf("platforms check shapes: checkChatID(%q) = %v, want ok %v", tc.id, err, tc.isOK)
		}
	}
	_, _, err := shaped.ChangeOwner(context.Background(), Actor{UserID: NewID(), Admin: true}, NewID(), "bob")
	if e, ok := err.(*Error); !ok || e.Code != EInvalid || e.Field != "owner_id" {
		t.Errorf("ChangeOwner to an ID no platform makes: %v, want EInvalid about owner_id", err)
	}
}
