package slack

import (
	"sync"
	"time"
)

// seenSet remembers keys for a while: the (timestamp, signature) of each
// accepted request, to refuse replays, and the (view, hash) of each handled
// submission, to handle it once. It lives in memory, so it protects one
// replica only: with several replicas behind a load balancer a replay sent
// to another replica within the window would pass; that would need the
// database (a table of seen signatures with a unique key).
type seenSet struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	keys map[string]time.Time // key → when it may be forgotten
}

func newSeenSet(ttl time.Duration, max int) *seenSet {
	return &seenSet{ttl: ttl, max: max, keys: map[string]time.Time{}}
}

// add records key at now and reports whether it was new. When the set is
// full even after forgetting expired keys, it reports false: refusing is
// safer than forgetting a key that may be replayed.
func (s *seenSet) add(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.keys[key]; ok && now.Before(exp) {
		return false
	}
	if len(s.keys) >= s.max {
		for k, exp := range s.keys {
			if !now.Before(exp) {
				delete(s.keys, k)
			}
		}
		if len(s.keys) >= s.max {
			return false
		}
	}
	s.keys[key] = now.Add(s.ttl)
	return true
}

// forget removes key, so that a request that failed before doing anything
// may be retried.
func (s *seenSet) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
}
