package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdempotencyTTL is how long an idempotency key is remembered: a repeat of
// a creating request with the same key within it gets the first answer and
// creates nothing; after it, the key is free again.
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKeyLen is the characters an idempotency key may have.
const MaxIdempotencyKeyLen = 255

// IdempotencyKey is a client's key for one creating request (the
// Idempotency-Key header of the REST API), carried by the use cases that
// take one (CreateRunOnce, CreatePlaybookOnce, UpdateStatusOnce) into the
// transaction of what they create, so that the key is recorded if and only
// if the creation is. The zero value is no key.
type IdempotencyKey struct {
	// Scope names who sent the key, for which operation and path: the same
	// key in two scopes is two keys. The edge builds it.
	Scope string
	// Key is the client's key, 1 to MaxIdempotencyKeyLen printable ASCII
	// characters (CheckIdempotencyKey).
	Key string
	// Fingerprint identifies the request the key was sent with (the REST
	// API: the hex SHA-256 of its method, path and body): the same key with
	// another request is refused (ErrIdempotencyKeyReused).
	Fingerprint string
}

// IsZero reports whether k is no key.
func (k IdempotencyKey) IsZero() bool { return k == IdempotencyKey{} }

// IdempotentRequest is a key as recorded: the request it came with, what
// that request created, and, once the edge has recorded it, the answer it
// got.
type IdempotentRequest struct {
	IdempotencyKey
	// ResourceID is what the request created: the run, the playbook, or
	// the status update.
	ResourceID string
	CreateAt   int64 // ms since the epoch
	ExpiresAt  int64 // ms since the epoch; the record is ignored from then on
	// Answer is the first answer, nil until recorded (a crash between the
	// creation and the recording leaves it nil: the edge then renders the
	// answer from ResourceID).
	Answer *IdempotentAnswer
}

// IdempotentAnswer is an answer as the edge sent it, replayed as it is.
type IdempotentAnswer struct {
	Status int
	Header map[string]string // only the headers worth replaying (Location, Content-Type)
	Body   []byte
}

var (
	// ErrIdempotencyKeyReused is the error of a key sent again with
	// another request than the first one (another body, say): nothing is
	// created. The REST API answers it 422, as the IETF draft says.
	ErrIdempotencyKeyReused = Errorf(EInvalid, "this Idempotency-Key was already used with a different request (another body or path); use a new key for a new request")
	// ErrIdempotencyKeyTaken is what a creating transaction fails with when
	// a concurrent request recorded the same key first: nothing of it is
	// kept, and the caller answers as the first request did.
	ErrIdempotencyKeyTaken = Errorf(EConflict, "a request with this Idempotency-Key is being processed; retry shortly to get its answer")
)

// IdempotencyStore persists idempotency keys. The keys themselves are
// inserted by the creating writes (CreateRunOnce, CreatePlaybookOnce and
// UpdateRun's RunChange.Idempotency), in their transaction.
type IdempotencyStore interface {
	// CreateRunOnce is CreateRun that also inserts the key, in the same
	// transaction (before the run: a concurrent request with the key waits
	// there). ErrIdempotencyKeyTaken when the key's scope holds it unexpired.
	CreateRunOnce(ctx context.Context, key IdempotentRequest, r Run, events []TimelineEvent, jobs ...Job) error
	// CreatePlaybookOnce is CreatePlaybook that also inserts the key, as
	// CreateRunOnce does. ErrIdempotencyKeyTaken.
	CreatePlaybookOnce(ctx context.Context, key IdempotentRequest, p Playbook) error
	// IdempotentRequest returns the record of key in scope unless it
	// expired at now (ms). ENotFound when there is none.
	IdempotentRequest(ctx context.Context, scope, key string, now int64) (IdempotentRequest, error)
	// RecordIdempotentAnswer records the answer of the request that
	// inserted the key, and purges a bounded batch of keys expired at now,
	// so that the table holds about a day of keys. ENotFound when the key
	// is not recorded.
	RecordIdempotentAnswer(ctx context.Context, scope, key string, a IdempotentAnswer, now int64) error
}

// CheckIdempotencyKey validates a key: 1 to MaxIdempotencyKeyLen printable
// ASCII characters (space to tilde).
func CheckIdempotencyKey(key string) error {
	if key == "" {
		return FieldErrorf("Idempotency-Key", "Idempotency-Key is empty: send 1 to %d printable ASCII characters, such as a UUID", MaxIdempotencyKeyLen)
	}
	if len(key) > MaxIdempotencyKeyLen {
		return FieldErrorf("Idempotency-Key", "Idempotency-Key is %d characters long; at most %d are allowed", len(key), MaxIdempotencyKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return FieldErrorf("Idempotency-Key", "Idempotency-Key has a character that is not printable ASCII (byte 0x%02x at %d): use letters, digits and punctuation, such as a UUID", c, i)
		}
	}
	return nil
}

// checkIdempotencyKey validates k unless it is the zero key.
func checkIdempotencyKey(k IdempotencyKey) error {
	if k.IsZero() {
		return nil
	}
	if err := CheckIdempotencyKey(k.Key); err != nil {
		return err
	}
	if k.Scope == "" || k.Fingerprint == "" {
		return fmt.Errorf("idempotency key %q without a scope or fingerprint", k.Key)
	}
	return nil
}

// idempotentRequest returns k as recorded for resourceID, created now; nil
// for the zero key.
func (s *Service) idempotentRequest(k IdempotencyKey, resourceID string) *IdempotentRequest {
	if k.IsZero() {
		return nil
	}
	now := s.clock()
	return &IdempotentRequest{
		IdempotencyKey: k, ResourceID: resourceID,
		CreateAt: now.UnixMilli(), ExpiresAt: now.Add(IdempotencyTTL).UnixMilli(),
	}
}

// IdempotentRequest returns the live record of k (its scope and key): the
// request to replay. ENotFound when k is new (never recorded, or expired);
// ErrIdempotencyKeyReused when it was recorded with another fingerprint.
func (s *Service) IdempotentRequest(ctx context.Context, k IdempotencyKey) (IdempotentRequest, error) {
	if err := checkIdempotencyKey(k); err != nil {
		return IdempotentRequest{}, err
	}
	rec, err := s.store.IdempotentRequest(ctx, k.Scope, k.Key, s.now())
	if err != nil {
		return IdempotentRequest{}, err
	}
	if rec.Fingerprint != k.Fingerprint {
		return IdempotentRequest{}, ErrIdempotencyKeyReused
	}
	return rec, nil
}

// RecordIdempotentAnswer records the answer the request that recorded k
// got, for its repeats to replay. ENotFound when k is not recorded.
func (s *Service) RecordIdempotentAnswer(ctx context.Context, k IdempotencyKey, a IdempotentAnswer) error {
	if err := checkIdempotencyKey(k); err != nil {
		return err
	}
	if k.IsZero() {
		return errors.New("record an idempotent answer without a key")
	}
	return s.store.RecordIdempotentAnswer(ctx, k.Scope, k.Key, a, s.now())
}
