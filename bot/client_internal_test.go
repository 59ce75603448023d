package bot

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGrantScope(t *testing.T) {
	for _, tc := range []struct {
		have, want, granted string
		err                 error
	}{
		{"read", "", "read", nil},
		{"write", "", "write", nil},
		{"write", "read", "read", nil},
		{"write", "write", "write", nil},
		{"write", "read write", "write", nil},
		{"read", "read", "read", nil},
		{"read", "write", "", ErrInvalidScope},
		{"read", "read write", "", ErrInvalidScope},
		{"write", "admin", "", ErrInvalidScope},
		{"write", "read  write", "", ErrInvalidScope},
		{"write", " read", "", ErrInvalidScope},
		{"write", "READ", "", ErrInvalidScope},
	} {
		got, err := grantScope(tc.have, tc.want)
		if got != tc.granted || !errors.Is(err, tc.err) {
			t.Errorf("grantScope(%q, %q) = %q, %v; want %q, %v", tc.have, tc.want, got, err, tc.granted, tc.err)
		}
	}
}

// TestClientManagementRefusedBeforeAnyQuery: non-admins and bad specs are
// refused without touching the store (noStore fails on any query).
func TestClientManagementRefusedBeforeAnyQuery(t *testing.T) {
	s := NewService(Config{Store: noStore{}})
	ctx := context.Background()
	user, admin := Actor{UserID: "u1", TeamIDs: []string{"t1"}}, Actor{UserID: "a1", Admin: true}
	good := ClientSpec{Name: "n", Scope: ScopeRead, UserID: "u1", TeamIDs: []string{"t1"}}
	if _, _, err := s.CreateClient(ctx, user, Origin{}, good); ErrorCode(err) != EForbidden {
		t.Errorf("CreateClient by a user: %v, want forbidden", err)
	}
	if _, err := s.ListClients(ctx, user); ErrorCode(err) != EForbidden {
		t.Errorf("ListClients by a user: %v, want forbidden", err)
	}
	if err := s.RevokeClient(ctx, user, Origin{}, NewID()); ErrorCode(err) != EForbidden {
		t.Errorf("RevokeClient by a user: %v, want forbidden", err)
	}
	if err := s.RevokeClient(ctx, admin, Origin{}, "../x"); ErrorCode(err) != EInvalid {
		t.Errorf("RevokeClient of a malformed ID: %v, want invalid", err)
	}
	long := make([]byte, MaxClientName+1)
	for i := range long {
		long[i] = 'x'
	}
	for name, spec := range map[string]ClientSpec{
		"no name":      {Scope: ScopeRead, UserID: "u1", Admin: true},
		"blank name":   {Name: "  ", Scope: ScopeRead, UserID: "u1", Admin: true},
		"long name":    {Name: string(long), Scope: ScopeRead, UserID: "u1", Admin: true},
		"bad UTF-8":    {Name: "\xff", Scope: ScopeRead, UserID: "u1", Admin: true},
		"no scope":     {Name: "n", UserID: "u1", Admin: true},
		"admin scope":  {Name: "n", Scope: "admin", UserID: "u1", Admin: true},
		"no user":      {Name: "n", Scope: ScopeWrite, Admin: true},
		"no teams":     {Name: "n", Scope: ScopeWrite, UserID: "u1"},
		"bad team ID":  {Name: "n", Scope: ScopeWrite, UserID: "u1", TeamIDs: []string{"a b"}},
		"bad user ID":  {Name: "n", Scope: ScopeWrite, UserID: "a/b", Admin: true},
		"empty teamID": {Name: "n", Scope: ScopeWrite, UserID: "u1", TeamIDs: []string{""}},
	} {
		if _, _, err := s.CreateClient(ctx, admin, Origin{}, spec); ErrorCode(err) != EInvalid {
			t.Errorf("%s: CreateClient = %v, want invalid", name, err)
		}
	}
}

// TestAccessTokenExpiry: a token is accepted until the millisecond before
// its ExpireAt and refused from it on, and refused once its client is
// revoked, with ErrInvalidAccessToken; an unknown one is plainly
// unauthenticated and never asked of ExternalAuth.
func TestAccessTokenExpiry(t *testing.T) {
	c := Client{ID: "c1", Scope: ScopeRead, UserID: "u1", TeamIDs: []string{"t1"}, LastUsedAt: 1_000}
	tok := AccessToken{ID: "a1", ClientID: "c1", Scope: ScopeRead, CreateAt: 1_000, ExpireAt: 601_000}
	st := &oneTokenStore{token: tok, client: c}
	var now int64
	s := NewService(Config{Store: st, Now: func() time.Time { return time.UnixMilli(now) }, ExternalAuth: failingExternal{t}})
	ctx := context.Background()
	for _, tc := range []struct {
		now     int64
		revoked bool
		err     error
	}{
		{1_000, false, nil},
		{600_999, false, nil},
		{601_000, false, ErrInvalidAccessToken},
		{700_000, false, ErrInvalidAccessToken},
		{2_000, true, ErrInvalidAccessToken},
	} {
		now = tc.now
		st.client.RevokeAt = 0
		if tc.revoked {
			st.client.RevokeAt = 1_500
		}
		a, err := s.Authenticate(ctx, "pba_x")
		if !errors.Is(err, tc.err) {
			t.Errorf("at %d, revoked %v: got %v, want %v", tc.now, tc.revoked, err, tc.err)
		}
		if err == nil && (!a.ReadOnly || a.ClientID != "c1" || a.UserID != "u1") {
			t.Errorf("at %d: got actor %+v, want u1 read-only through c1", tc.now, a)
		}
	}
	// Uses from one address within a minute write nothing; from another
	// address, or a minute later, they are noted again.
	st.client.RevokeAt, st.remembered, st.token.UsedAt = 0, 0, 0
	for _, step := range []struct {
		now        int64
		address    string
		remembered int
	}{
		{10_000, "10.0.0.1", 1}, {69_999, "10.0.0.1", 1}, {70_000, "10.0.0.1", 2}, {70_001, "10.0.0.2", 3}, {70_002, "10.0.0.2", 3},
	} {
		now = step.now
		if _, err := s.Authenticate(WithOrigin(ctx, Origin{Via: ViaREST, Address: step.address}), "pba_x"); err != nil {
			t.Fatal(err)
		}
		if st.remembered != step.remembered {
			t.Errorf("at %d from %s: %d uses noted, want %d", step.now, step.address, st.remembered, step.remembered)
		}
	}
	st.missing = true
	if _, err := s.Authenticate(ctx, "pba_y"); ErrorCode(err) != EUnauthenticated || errors.Is(err, ErrInvalidAccessToken) {
		t.Errorf("unknown access token: got %v, want plain unauthenticated", err)
	}
}

// oneTokenStore holds one access token and its client.
type oneTokenStore struct {
	noStore
	token   AccessToken
	client  Client
	missing bool
	// remembered counts the seen keys asked for.
	remembered int
}

func (s *oneTokenStore) AccessTokenByHash(context.Context, string) (AccessToken, Client, error) {
	if s.missing {
		return AccessToken{}, Client{}, Errorf(ENotFound, "no access token has this hash")
	}
	return s.token, s.client, nil
}
func (s *oneTokenStore) Remember(context.Context, string, int64, int64) (bool, error) {
	s.remembered++
	return false, nil
}
func (s *oneTokenStore) AccessTokenUsed(_ context.Context, _, from string, at int64) error {
	s.token.UsedAt, s.token.UsedFrom = at, from
	return nil
}
func (s *oneTokenStore) TouchClient(context.Context, string, int64, time.Duration) error { return nil }

// failingExternal fails the test when asked.
type failingExternal struct{ t *testing.T }

func (f failingExternal) Authenticate(context.Context, string) (Actor, error) {
	f.t.Error("an access token was forwarded to ExternalAuth")
	return Actor{}, Errorf(EUnauthenticated, "no")
}
