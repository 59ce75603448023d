package api

import (
	"errors"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestCheckUTF8 checks that a body with bytes that are not UTF-8 is
// refused naming the field whose string holds them, wherever it is.
func TestCheckUTF8(t *testing.T) {
	tests := []struct {
		name, body, field string
		ok                bool
	}{
		{"valid", `{"title":"é","items":[{"title":"ü"}]}`, "", true},
		{"escaped lone surrogate", `{"title":"\ud800"}`, "", true},
		{"top-level value", "{\"title\":\"a\xffb\"}", "title", false},
		{"after other fields", "{\"a\":1,\"b\":[1,{\"c\":\"d\"}],\"title\":\"\xc3\x28\"}", "title", false},
		{"nested in arrays", "{\"checklists\":[{\"title\":\"c\",\"items\":[{\"title\":\"i\"},{\"description\":\"\xff\"}]}]}", "checklists.items.description", false},
		{"after a nested object", "{\"checklists\":[{\"items\":[]}],\"description\":\"\xfe\"}", "description", false},
		{"in a key", "{\"checklists\":[{\"ti\xfftle\":\"c\"}]}", "checklists", false},
		{"in a top-level key", "{\"\xff\":1}", "", false},
		{"in an array of strings", "{\"member_ids\":[\"a\",\"\xff\"]}", "member_ids", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			err := decodeJSON([]byte(tt.body), &v)
			if tt.ok {
				if err != nil {
					t.Fatalf("decodeJSON: %v, want no error", err)
				}
				return
			}
			var e *bot.Error
			if !errors.As(err, &e) || e.Code != bot.EInvalid || e.Field != tt.field {
				t.Fatalf("decodeJSON error = %#v, want EInvalid on field %q", err, tt.field)
			}
		})
	}
}
