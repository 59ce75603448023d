package api

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/playbooks-bot/playbooks/bot"
)

// origin (where a request comes from, for the audit log) is in auth.go
// since the merge with branch oauth, which defined it with a via; it
// honours the trusted proxies through s.proxies, as tokens' did.

// addrString is a as the audit log records it: "" when unknown.
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// auditList is one page of the audit log, the shape of the spec's lists.
type auditList struct {
	TotalCount int              `json:"total_count"`
	PageCount  int              `json:"page_count"`
	HasMore    bool             `json:"has_more"`
	Items      []bot.AuditEvent `json:"items"`
}

// decodeAuditFilter decodes the query of listAudit: since (Unix ms),
// subject_id, page and per_page (0 or absent: bot.MaxPerPage).
func decodeAuditFilter(q url.Values) (bot.AuditFilter, error) {
	f := bot.AuditFilter{SubjectID: q.Get("subject_id")}
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return f, bot.FieldErrorf("since", "since must be Unix milliseconds, got %q", abbrev(v))
		}
		f.Since = n
	}
	var err error
	if f.Page, err = queryInt(q, "page"); err != nil {
		return f, err
	}
	f.PerPage, err = queryInt(q, "per_page")
	return f, err
}

// listAudit answers GET /admin/audit: a page of the audit log of
// credentials, newest first. Admins only.
func (s *server) listAudit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	f, err := decodeAuditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	events, total, err := s.svc.ListAudit(r.Context(), actor(r), f)
	if err != nil {
		return err
	}
	perPage := f.PerPage
	if perPage == 0 {
		perPage = bot.MaxPerPage
	}
	return writeJSON(w, http.StatusOK, auditList{
		TotalCount: total,
		PageCount:  (total + perPage - 1) / perPage,
		HasMore:    (f.Page+1)*perPage < total,
		Items:      events,
	})
}
