package bot

import "context"

// DetailsLink is a run's details-page link as the REST API hands it out.
type DetailsLink struct {
	// URL is the page's absolute URL (DetailsURL).
	URL string `json:"url"`
	// ExpiresAt is when a signed URL stops opening the page, in Unix
	// milliseconds; 0 for an unsigned one, which never expires because it
	// grants nothing: the page then asks for a token.
	ExpiresAt int64 `json:"expires_at"`
	// Signed reports whether URL carries a signature (?sig=).
	Signed bool `json:"signed"`
	// Note, for an unsigned URL, says why it is unsigned and what the page
	// will ask for.
	Note string `json:"note,omitempty"`
}

// DetailsLink returns a fresh link to the details page of run id for an
// actor who may see the run (the visibility rule of Run). A signed link is
// a bearer permission to read the run (see RunForLink), so it is handed
// only to whoever may read the run already.
//
// ENotFound for a run the actor may not see, as for one that does not
// exist: the answer says nothing of runs of other teams or of private runs.
// EInvalid when the server has no public URL to make an absolute link of.
func (s *Service) DetailsLink(ctx context.Context, a Actor, id string) (DetailsLink, error) {
	r, err := s.Run(ctx, a, id)
	if ErrorCode(err) == EForbidden {
		return DetailsLink{}, Errorf(ENotFound, "run %s not found", id)
	}
	if err != nil {
		return DetailsLink{}, err
	}
	if s.publicURL == "" {
		return DetailsLink{}, Errorf(EInvalid, "this server has no public URL to make a link of: set PLAYBOOKS_PUBLIC_URL "+
			"to the base URL its users reach it at (e.g. https://playbooks.example.com) and restart it")
	}
	u := s.publicURL + "/runs/" + r.ID
	if len(s.linkSecret) == 0 {
		return DetailsLink{URL: u, Note: "unsigned: this server has no link secret (PLAYBOOKS_LINK_SECRET or PLAYBOOKS_SECRET), " +
			"so the page opens only with a token that may see the run (Authorization: Bearer <token>)"}, nil
	}
	exp := linkExpiry(s.clock())
	return DetailsLink{URL: u + "?sig=" + s.linkSignature(r.ID, exp), ExpiresAt: exp * 1000, Signed: true}, nil
}
