package dialogs

import "time"

// SignStable is Sign with the expiry rounded up to the next midnight UTC:
// every token for one user and state issued on one day is the same. A chat
// post re-rendered with unchanged content is then unchanged byte for byte,
// button contexts included, and Mattermost does not mark it edited (it
// does when any attachment, or any action's context, differs). The token
// is valid for ttl to ttl + 24h.
func (s *Signer) SignStable(userID, state string, ttl time.Duration) string {
	now := s.now()
	exp := now.Add(ttl)
	day := exp.Truncate(24 * time.Hour) // midnight UTC: Truncate counts from year 1, 00:00 UTC
	if day.Before(exp) {
		day = day.Add(24 * time.Hour)
	}
	return s.Sign(userID, state, day.Sub(now))
}
