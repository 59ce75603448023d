package mattermost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/playbooks-bot/playbooks/bot"
)

// TokenAuth authenticates REST API callers by their Mattermost personal
// access or session tokens, so that scripts written for the Playbooks
// plugin keep their tokens: the token is checked with GET /users/me, and
// the caller may use the teams they belong to. Answers are cached briefly
// (by the token's hash) so a script's burst of calls costs one round trip.
//
// Tokens Mattermost refused are remembered too, for a shorter while
// (DefaultNegativeTTL), so that an unknown token sent again and again is
// not forwarded to Mattermost each time; and concurrent checks of one
// token share one call. Both caches are keyed by the SHA-256 of the token,
// never the token, and bounded in size.
type TokenAuth struct {
	siteURL string
	client  *http.Client
	ttl     time.Duration
	now     func() time.Time

	negTTL time.Duration // 0: refusals are not remembered
	negMax int

	mu       sync.Mutex
	cache    map[[32]byte]cachedActor
	refused  map[[32]byte]time.Time // token hash -> when to ask again
	inFlight map[[32]byte]*tokenCheck
}

var _ bot.ExternalAuth = (*TokenAuth)(nil)

type cachedActor struct {
	actor   bot.Actor
	expires time.Time
}

// tokenCheck is one call to Mattermost that concurrent checks of the same
// token wait for.
type tokenCheck struct {
	done  chan struct{}
	actor bot.Actor
	err   error
}

const (
	// DefaultNegativeTTL is how long a refused token is remembered unless
	// WithNegativeCache says otherwise.
	DefaultNegativeTTL = 30 * time.Second
	// DefaultNegativeMax bounds how many refused tokens are remembered.
	DefaultNegativeMax = 10000
	// maxCached bounds how many accepted tokens are remembered.
	maxCached = 10000
)

// NewTokenAuth returns a TokenAuth against the Mattermost server at
// siteURL, caching answers for ttl (a minute when 0), and refusals for
// DefaultNegativeTTL.
func NewTokenAuth(siteURL string, client *http.Client, ttl time.Duration) *TokenAuth {
	if ttl == 0 {
		ttl = time.Minute
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &TokenAuth{
		siteURL: siteURL, client: client, ttl: ttl, now: time.Now,
		negTTL: DefaultNegativeTTL, negMax: DefaultNegativeMax,
		cache: map[[32]byte]cachedActor{}, refused: map[[32]byte]time.Time{}, inFlight: map[[32]byte]*tokenCheck{},
	}
}

// WithNegativeCache sets how long a token Mattermost refused is refused
// without asking again (0 to always ask), and how many such tokens are
// remembered at most (DefaultNegativeMax when size <= 0). It returns a.
func (a *TokenAuth) WithNegativeCache(ttl time.Duration, size int) *TokenAuth {
	if size <= 0 {
		size = DefaultNegativeMax
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.negTTL, a.negMax = max(ttl, 0), size
	return a
}

// errRefused is what a token Mattermost refused gets, from Mattermost or
// from the cache alike.
var errRefused = bot.Errorf(bot.EUnauthenticated, "invalid or revoked token")

// Authenticate returns the Mattermost user of token, limited to their
// teams (every team for a system admin); like every non-admin actor, they
// see a private run only while in its channel. EUnauthenticated when
// Mattermost refuses the token (or did within the negative cache's TTL);
// EUnavailable when Mattermost cannot be asked.
func (a *TokenAuth) Authenticate(ctx context.Context, token string) (bot.Actor, error) {
	key := sha256.Sum256([]byte(token))
	for {
		now := a.now()
		a.mu.Lock()
		if c, ok := a.cache[key]; ok {
			if !now.After(c.expires) {
				a.mu.Unlock()
				return c.actor, nil
			}
			delete(a.cache, key)
		}
		if until, ok := a.refused[key]; ok {
			if now.Before(until) {
				a.mu.Unlock()
				return bot.Actor{}, errRefused
			}
			delete(a.refused, key)
		}
		if c, ok := a.inFlight[key]; ok { // another request is asking: wait for its answer
			a.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return bot.Actor{}, ctx.Err()
			}
			if errors.Is(c.err, context.Canceled) || errors.Is(c.err, context.DeadlineExceeded) {
				continue // that request gave up, not Mattermost: ask for this one
			}
			return c.actor, c.err
		}
		c := &tokenCheck{done: make(chan struct{}), err: errCheckUnfinished}
		a.inFlight[key] = c
		a.mu.Unlock()
		a.check(ctx, key, token, now, c)
		return c.actor, c.err
	}
}

// errCheckUnfinished is the answer of a check that panicked, for the
// requests that waited for it.
var errCheckUnfinished = errors.New("check token with Mattermost: the check did not finish")

// check asks Mattermost about token for c, caches the answer under key,
// and releases the requests waiting for c, even if asking panics.
func (a *TokenAuth) check(ctx context.Context, key [32]byte, token string, now time.Time, c *tokenCheck) {
	defer func() {
		a.mu.Lock()
		delete(a.inFlight, key)
		switch {
		case c.err == nil:
			if len(a.cache) >= maxCached { // bound memory: drop everything rather than track age
				clear(a.cache)
			}
			a.cache[key] = cachedActor{actor: c.actor, expires: now.Add(a.ttl)}
		case bot.ErrorCode(c.err) == bot.EUnauthenticated && a.negTTL > 0:
			a.remember(key, now)
		}
		a.mu.Unlock()
		close(c.done)
	}()
	actor, err := a.ask(ctx, token)
	c.actor, c.err = actor, err
}

// remember records a refused token until now + the negative TTL. When the
// cache is full it drops the expired entries, and when none has expired,
// all of them: a full cache means tokens are being guessed, which the REST
// API's failed-authentication throttling answers. a.mu is held.
func (a *TokenAuth) remember(key [32]byte, now time.Time) {
	if len(a.refused) >= a.negMax {
		for k, until := range a.refused {
			if !now.Before(until) {
				delete(a.refused, k)
			}
		}
		if len(a.refused) >= a.negMax {
			clear(a.refused)
		}
	}
	a.refused[key] = now.Add(a.negTTL)
}

// ask checks token with Mattermost: GET /users/me, then the user's teams.
func (a *TokenAuth) ask(ctx context.Context, token string) (bot.Actor, error) {
	cl := model.NewAPIv4Client(a.siteURL)
	cl.HTTPClient = a.client
	cl.SetToken(token)
	u, resp, err := cl.GetMe(ctx, "")
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return bot.Actor{}, errRefused
		}
		return bot.Actor{}, unavailable(ctx, resp, fmt.Errorf("check token with Mattermost: %w", err))
	}
	teams, resp, err := cl.GetTeamsForUser(ctx, u.Id, "")
	if err != nil {
		return bot.Actor{}, unavailable(ctx, resp, fmt.Errorf("list teams of Mattermost user %s: %w", u.Id, err))
	}
	actor := bot.Actor{UserID: u.Id, Admin: u.IsSystemAdmin(), TeamIDs: make([]string, 0, len(teams))}
	for _, t := range teams {
		actor.TeamIDs = append(actor.TeamIDs, t.Id)
	}
	return actor, nil
}

// unavailable marks err, a failed call to Mattermost while checking a
// token, as EUnavailable when Mattermost could not be reached or answered
// 5xx or 429: the caller is told to try again shortly, the cause is logged.
// Another answer, or the caller giving up (ctx), stays an internal error.
func unavailable(ctx context.Context, resp *model.Response, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", err, ctx.Err())
	}
	if resp != nil && resp.StatusCode != 0 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		return err
	}
	return fmt.Errorf("%w: %w", bot.Errorf(bot.EUnavailable, "Mattermost cannot check the token right now; try again shortly"), err)
}
