package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) on the
// creating requests POST /runs, POST /playbooks and POST /runs/{id}/status:
//
//   - The header is optional; without it nothing changes. Its value is 1 to
//     255 printable ASCII characters, sent as is or as a structured-field
//     string ("..."), the draft's form; anything else is a 400.
//   - A key is scoped to the caller (user, admin flag and teams of the
//     token), the operation and the path: the same key from two users, or
//     on two runs' status, is two keys. It is not scoped to the token
//     itself: an OAuth client's access token changes every 10 minutes,
//     and its retry with the next one must replay.
//   - The first request with a key is fingerprinted (SHA-256 of its
//     method, path and body). Its key is recorded in the transaction of what
//     it creates, with that resource's ID, so a key is consumed exactly when
//     something was created: a request that fails (4xx, 5xx) leaves the key
//     free. After the commit its answer (status, Location, Content-Type,
//     body) is recorded on the key.
//   - A repeat with the same key and the same request within
//     bot.IdempotencyTTL (24 h) creates nothing and gets the first answer,
//     byte for byte, with Idempotent-Replayed: true; if the first answer is
//     not recorded within answerWait (a crash right after the commit), it
//     is rendered again from the resource the key names, as it is now.
//   - The same key with another request (another body) is refused with 422,
//     the draft's status for a reused key, and nothing is created. The spec
//     lists only 400, 403 and 500 for these operations; 422 is kept because
//     a client that knows the draft must tell a reused key, which it must
//     not retry with a new body, from a bad body, and every error still has
//     the spec's {"error","details"} body.
//   - Concurrent requests with one key: on one replica they run one after
//     the other (keyLocks), so the second replays the first; across
//     replicas the key's primary key lets one transaction commit, and the
//     other, which waited for it, replays its answer. A 409 with
//     Retry-After is left for the case where the winner's key cannot be
//     read back.

// idempotencyHeader is the request header of the key.
const idempotencyHeader = "Idempotency-Key"

// replayedHeader marks an answer replayed for a repeated key.
const replayedHeader = "Idempotent-Replayed"

// replayedHeaders are the headers of a first answer that a replay repeats;
// the others (X-Request-Id, Date) belong to each response.
var replayedHeaders = []string{"Content-Type", "Location"}

// createFunc creates with key k (the zero key without the header), calling
// a bot use case that takes one, and writes the answer to w.
type createFunc func(w http.ResponseWriter, r *http.Request, k bot.IdempotencyKey) error

// renderFunc writes the answer of a creation again from what it created
// (resourceID), for a repeat whose first answer was not recorded.
type renderFunc func(w http.ResponseWriter, r *http.Request, resourceID string) error

// idempotent serves a creating request of operation op with its
// Idempotency-Key, if any (see the top of this file).
func (s *server) idempotent(w http.ResponseWriter, r *http.Request, op string, create createFunc, render renderFunc) error {
	values := r.Header.Values(idempotencyHeader)
	if len(values) == 0 {
		return create(w, r, bot.IdempotencyKey{})
	}
	key, err := parseIdempotencyKey(values)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	k := bot.IdempotencyKey{
		Scope:       actorScope(actor(r)) + " " + op + " " + r.URL.EscapedPath(),
		Key:         key,
		Fingerprint: fingerprint(r.Method, r.URL.EscapedPath(), body),
	}
	unlock, err := s.keys.lock(r.Context(), k.Scope+"\n"+k.Key)
	if err != nil {
		return err
	}
	defer unlock()
	if done, err := s.replay(w, r, k, render); done || err != nil {
		return err
	}
	rec := &answerRecorder{header: http.Header{}}
	err = create(rec, r, k)
	if errors.Is(err, bot.ErrIdempotencyKeyTaken) {
		// Another replica recorded the key between our look-up and our
		// commit; its transaction committed before ours failed.
		if done, err := s.replay(w, r, k, render); done || err != nil {
			return err
		}
		return &statusError{
			status:     http.StatusConflict,
			message:    "a request with this Idempotency-Key is being processed",
			details:    "retry shortly with the same key to get its answer",
			retryAfter: time.Second,
		}
	}
	if err != nil {
		return err
	}
	a := rec.answer()
	if a.Status >= 200 && a.Status < 300 {
		if err := s.svc.RecordIdempotentAnswer(r.Context(), k, a); err != nil {
			// The run or playbook exists and its key is recorded: a
			// repeat renders the answer from it. The client still gets
			// this one.
			s.log.WarnContext(r.Context(), "record idempotent answer", "operation", op, "error", err)
		}
	}
	writeAnswer(w, a)
	return nil
}

// replay answers a repeat of k's request, and reports whether it did:
// false when k is new. A reused key is a 422.
func (s *server) replay(w http.ResponseWriter, r *http.Request, k bot.IdempotencyKey, render renderFunc) (bool, error) {
	rec, err := s.svc.IdempotentRequest(r.Context(), k)
	switch {
	case errors.Is(err, bot.ErrIdempotencyKeyReused):
		return true, &statusError{
			status:  http.StatusUnprocessableEntity,
			message: bot.ErrorMessage(err),
			details: fmt.Sprintf("the key was first used with another request within the last %s", durationText(bot.IdempotencyTTL)),
		}
	case bot.ErrorCode(err) == bot.ENotFound:
		return false, nil
	case err != nil:
		return true, err
	}
	if rec.Answer == nil {
		rec = s.awaitAnswer(r.Context(), k, rec)
	}
	w.Header().Set(replayedHeader, "true")
	if rec.Answer == nil {
		return true, render(w, r, rec.ResourceID)
	}
	writeAnswer(w, *rec.Answer)
	return true, nil
}

// answerWait is how long a repeat waits for the answer of a key recorded
// without one: another replica records it right after its commit, so a
// short wait replays it byte for byte; after a crash it never comes, and
// the answer is rendered from the resource instead.
const answerWait = time.Second

// awaitAnswer polls k's record until its answer is recorded, answerWait
// passes or the request ends, and returns the record as last read.
func (s *server) awaitAnswer(ctx context.Context, k bot.IdempotencyKey, rec bot.IdempotentRequest) bot.IdempotentRequest {
	deadline := time.Now().Add(answerWait)
	t := time.NewTicker(answerWait / 40)
	defer t.Stop()
	for rec.Answer == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return rec
		case <-t.C:
		}
		next, err := s.svc.IdempotentRequest(ctx, k)
		if err != nil {
			return rec
		}
		rec = next
	}
	return rec
}

// durationText writes d in hours, as the documentation states the TTL.
func durationText(d time.Duration) string {
	return strconv.Itoa(int(d/time.Hour)) + " h"
}

// parseIdempotencyKey returns the key of the header's values: exactly one
// value, a structured-field string (the draft's form, RFC 8941 §3.3.3) or
// the key as is, and a valid key (bot.CheckIdempotencyKey). EInvalid.
func parseIdempotencyKey(values []string) (string, error) {
	if len(values) != 1 {
		return "", bot.FieldErrorf(idempotencyHeader, "send one Idempotency-Key header, not %d", len(values))
	}
	v := values[0]
	if strings.HasPrefix(v, `"`) {
		var err error
		if v, err = parseSFString(v); err != nil {
			return "", err
		}
	}
	if err := bot.CheckIdempotencyKey(v); err != nil {
		return "", err
	}
	return v, nil
}

// parseSFString decodes a structured-field string: printable ASCII in
// double quotes, with \" and \\ as its only escapes.
func parseSFString(v string) (string, error) {
	bad := func(why string) error {
		return bot.FieldErrorf(idempotencyHeader, "Idempotency-Key is not a valid quoted string: %s", why)
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\':
			i++
			if i == len(v) || (v[i] != '"' && v[i] != '\\') {
				return "", bad(`a backslash must escape " or \`)
			}
			b.WriteByte(v[i])
		case c == '"':
			if i != len(v)-1 {
				return "", bad("characters follow its closing quote")
			}
			return b.String(), nil
		default:
			b.WriteByte(c) // CheckIdempotencyKey refuses what is not printable
		}
	}
	return "", bad("it has no closing quote")
}

// actorScope names the caller a key belongs to: its user, and what its
// token may touch (admin, teams), so that a key never replays an answer to
// a token that could not have asked for it.
func actorScope(a bot.Actor) string {
	teams := slices.Clone(a.TeamIDs)
	slices.Sort(teams)
	h := sha256.Sum256([]byte(fmt.Sprintf("%t\n%s", a.Admin, strings.Join(teams, "\n"))))
	return a.UserID + ":" + hex.EncodeToString(h[:8])
}

// fingerprint is the hex SHA-256 of a request's method, path and body.
func fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", method, path)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// answerRecorder keeps the answer a creating handler writes, so that it is
// recorded before the client sees it: a repeat sent as soon as the first
// answer arrives replays it.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *answerRecorder) Header() http.Header { return a.header }

func (a *answerRecorder) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(b)
}

func (a *answerRecorder) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

// answer returns what was written, with the headers a replay repeats.
func (a *answerRecorder) answer() bot.IdempotentAnswer {
	out := bot.IdempotentAnswer{Status: a.status, Header: map[string]string{}, Body: a.body.Bytes()}
	if out.Status == 0 {
		out.Status = http.StatusOK
	}
	for _, h := range replayedHeaders {
		if v := a.header.Get(h); v != "" {
			out.Header[h] = v
		}
	}
	return out
}

// writeAnswer writes a recorded answer.
func writeAnswer(w http.ResponseWriter, a bot.IdempotentAnswer) {
	for h, v := range a.Header {
		w.Header().Set(h, v)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body) // the client is gone if this fails; nothing to tell it
}

// keyLocks lets one request at a time hold a key on this replica, so that
// a concurrent repeat waits for the first request and replays its answer
// instead of doing the work (a chat channel) that the key's primary key
// would then throw away. The zero value is ready; entries live while held
// or awaited.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch      chan struct{} // holds a token while the key is held
	waiters int           // holders and waiters; the entry goes at 0
}

// lock takes key, waiting for its holder, or fails with the context's
// error when the request ends first. unlock releases it.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*keyLock{}
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.m[key] = k
	}
	k.waiters++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if k.waiters--; k.waiters == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("wait for a concurrent request with the same Idempotency-Key: %w", ctx.Err())
	}
}
