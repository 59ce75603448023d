// Package bot is the core of playbooks: the domain types (playbooks, runs,
// checklists, timeline), the use cases every edge calls (Service), the error
// type every edge translates, and the ports the core needs (Store, Chat,
// Clock). It imports nothing from this repository and only the standard
// library from outside it.
package bot

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each edge translates them once: REST to a status code, slash
// commands to an ephemeral reply, dialogs to field errors.
const (
	ENotFound        = "not_found"
	EInvalid         = "invalid"
	EConflict        = "conflict"
	EForbidden       = "forbidden"
	EUnauthenticated = "unauthenticated"
	EInternal        = "internal"
	// EUnavailable is a dependency (the database) not serving right now:
	// the request may succeed if tried again shortly. REST answers 503
	// with Retry-After; chat replies say to try again shortly.
	EUnavailable = "unavailable"
)

// Error is an error whose Message is safe to show to a user. Field, when set,
// names the input the message is about, so a dialog can show it next to
// that field.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, when positive, is how long whoever refused (a chat
	// platform's rate limit: Slack's 429 and its Retry-After) asked to be
	// left alone before the same call is tried again. Work that is retried
	// (a job, a post refresh) waits at least this long; see RetryAfter.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EInvalid *Error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err: the message of its
// *Error, or "internal error" for anything else, whose cause must only be
// logged.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// RateLimitedf returns an EUnavailable *Error saying that a platform
// refused a call for now, to be tried again no sooner than after.
func RateLimitedf(after time.Duration, format string, args ...any) *Error {
	return &Error{Code: EUnavailable, Message: fmt.Sprintf(format, args...), RetryAfter: after}
}

// RetryAfter returns the RetryAfter of the first *Error in err's tree (in
// the order errors.As walks it) that has one, and 0 when none does: how
// long to wait, at least, before trying again what failed with err.
func RetryAfter(err error) time.Duration {
	switch e := err.(type) {
	case *Error:
		return max(e.RetryAfter, 0)
	case interface{ Unwrap() error }:
		return RetryAfter(e.Unwrap())
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if d := RetryAfter(x); d > 0 {
				return d
			}
		}
	}
	return 0
}
