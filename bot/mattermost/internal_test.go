package mattermost

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot/chatkit"
	"github.com/playbooks-bot/playbooks/dialogs"
)

func TestChannelName(t *testing.T) {
	for _, tc := range []struct {
		name, display, want string
	}{
		{"words", "Checkout errors: EU-west!", "checkout-errors-eu-west"},
		{"dashes collapse", "a -- b__c", "a-b-c"},
		{"edges trimmed", "--Hello--", "hello"},
		{"digits kept", "Outage 2025-03-01", "outage-2025-03-01"},
		{"non-ASCII only", "Störung ü", "st-rung"},
		{"nothing usable", "!!!", "run"},
		{"one character", "x", "run"},
		{"empty", "", "run"},
		{"too long", strings.Repeat("abcdefghi ", 10), strings.TrimSuffix(strings.Repeat("abcdefghi-", 7)[:64], "-")},
		{"group message shape", strings.Repeat("ab12", 10), strings.Repeat("ab12", 10) + "-run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := channelName(tc.display)
			if got != tc.want {
				t.Errorf("channelName(%q) = %q, want %q", tc.display, got, tc.want)
			}
			if len(got) < 2 || len(got) > 64 || !model.IsValidChannelIdentifier(got) || strings.Contains(got, "--") {
				t.Errorf("channelName(%q) = %q is not a valid channel name", tc.display, got)
			}
		})
	}
}

func TestWithSuffix(t *testing.T) {
	for _, tc := range []struct {
		name, base, want string
	}{
		{"short", "db-down", "db-down-x1y2z"},
		{"shortened to fit", strings.Repeat("a", 64), strings.Repeat("a", 58) + "-x1y2z"},
		{"no dash before the suffix", strings.Repeat("a", 57) + "-bbbbbb", strings.Repeat("a", 57) + "-x1y2z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := withSuffix(tc.base, "x1y2z"); got != tc.want || len(got) > 64 {
				t.Errorf("withSuffix(%q) = %q, want %q", tc.base, got, tc.want)
			}
		})
	}
	if s := chatkit.RandomSuffix(); len(s) != 5 || !model.IsValidChannelIdentifier(s) {
		t.Errorf("chatkit.RandomSuffix() = %q, want 5 lower-case letters and digits", s)
	}
}

func TestSubmissionValues(t *testing.T) {
	got := submissionValues(map[string]any{
		"text": "hi", "yes": true, "no": false, "int": float64(900), "float": 1.5, "none": nil,
		"list": []any{"a", "b"},
	})
	want := map[string]string{"text": "hi", "yes": "true", "no": "false", "int": "900", "float": "1.5", "list": `["a","b"]`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("submissionValues (-want +got):\n%s", diff)
	}
}

func TestDialogErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		errs dialogs.FieldErrors
		sub  map[string]any
		want model.SubmitDialogResponse
	}{
		{"field", dialogs.FieldErrors{"name": "too long"}, map[string]any{"name": "x"},
			model.SubmitDialogResponse{Errors: map[string]string{"name": "too long"}}},
		{"general", dialogs.FieldErrors{"": "run again"}, map[string]any{"name": "x"},
			model.SubmitDialogResponse{Error: "run again"}},
		{"unknown field joins the general error", dialogs.FieldErrors{"": "a.", "owner": "b.", "name": "c"}, map[string]any{"name": "x"},
			model.SubmitDialogResponse{Error: "a. b.", Errors: map[string]string{"name": "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, dialogErrors(tc.errs, tc.sub)); diff != "" {
				t.Errorf("dialogErrors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	h := &Handler{log: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{"panic before answering", func(http.ResponseWriter, *http.Request) { panic("boom") },
			http.StatusOK, `{"error":"internal error"}`},
		{"panic after answering", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			panic("boom")
		}, http.StatusTeapot, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.guard(map[string]string{"error": "internal error"}, tc.handler).ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
			if rec.Code != tc.wantStatus || strings.TrimSpace(rec.Body.String()) != tc.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.wantStatus, tc.wantBody)
			}
		})
	}
}
