package mattermost

import (
	"context"
	"crypto/sha256"
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
type TokenAuth struct {
	siteURL string
	client  *http.Client
	ttl     time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]cachedActor
}

var _ bot.ExternalAuth = (*TokenAuth)(nil)

type cachedActor struct {
	actor   bot.Actor
	expires time.Time
}

// NewTokenAuth returns a TokenAuth against the Mattermost server at
// siteURL, caching answers for ttl (a minute when 0).
func NewTokenAuth(siteURL string, client *http.Client, ttl time.Duration) *TokenAuth {
	if ttl == 0 {
		ttl = time.Minute
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &TokenAuth{siteURL: siteURL, client: client, ttl: ttl, now: time.Now, cache: map[[32]byte]cachedActor{}}
}

// Authenticate returns the Mattermost user of token, limited to their
// teams (every team for a system admin); like every non-admin actor, they
// see a private run only while in its channel. EUnauthenticated when
// Mattermost refuses the token.
func (a *TokenAuth) Authenticate(ctx context.Context, token string) (bot.Actor, error) {
	key := sha256.Sum256([]byte(token))
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[key]
	if ok && now.After(c.expires) {
		delete(a.cache, key)
		ok = false
	}
	a.mu.Unlock()
	if ok {
		return c.actor, nil
	}

	cl := model.NewAPIv4Client(a.siteURL)
	cl.HTTPClient = a.client
	cl.SetToken(token)
	u, resp, err := cl.GetMe(ctx, "")
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return bot.Actor{}, bot.Errorf(bot.EUnauthenticated, "invalid or revoked token")
		}
		return bot.Actor{}, fmt.Errorf("check token with Mattermost: %w", err)
	}
	teams, _, err := cl.GetTeamsForUser(ctx, u.Id, "")
	if err != nil {
		return bot.Actor{}, fmt.Errorf("list teams of Mattermost user %s: %w", u.Id, err)
	}
	actor := bot.Actor{UserID: u.Id, Admin: u.IsSystemAdmin(), TeamIDs: make([]string, 0, len(teams))}
	for _, t := range teams {
		actor.TeamIDs = append(actor.TeamIDs, t.Id)
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) > 10000 { // bound memory: drop everything rather than track age
		clear(a.cache)
	}
	a.cache[key] = cachedActor{actor: actor, expires: now.Add(a.ttl)}
	return actor, nil
}
