package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// auditRow is a row of audit_log.
type auditRow struct {
	ID            string `db:"id"`
	At            int64  `db:"at"`
	Action        string `db:"action"`
	ActorUserID   string `db:"actor_user_id"`
	ActorClientID string `db:"actor_client_id"`
	Via           string `db:"via"`
	Address       string `db:"address"`
	SubjectKind   string `db:"subject_kind"`
	SubjectID     string `db:"subject_id"`
	SubjectUserID string `db:"subject_user_id"`
	Details       string `db:"details"`
}

const auditColumns = `id, at, action, actor_user_id, actor_client_id, via, address, subject_kind, subject_id, subject_user_id, details`

// insertAudit writes e in tx: the credential methods call it in the
// transaction of the change e records, so that the change and its audit
// line land together or not at all.
func insertAudit(ctx context.Context, tx *sqlx.Tx, e bot.AuditEvent) error {
	if e.ID == "" || e.Action == "" || e.SubjectKind == "" || e.SubjectID == "" {
		return bot.Errorf(bot.EInvalid, "audit event: id, action, subject kind and subject id are required")
	}
	_, err := tx.NamedExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`)
		VALUES (:id, :at, :action, :actor_user_id, :actor_client_id, :via, :address, :subject_kind, :subject_id, :subject_user_id, :details)`,
		auditRow(e))
	return conflict(err, "audit event %s already exists", e.ID)
}

// AppendAudit inserts e in a transaction of its own.
func (db *DB) AppendAudit(ctx context.Context, e bot.AuditEvent) error {
	if err := db.write(ctx, func(tx *sqlx.Tx) error { return insertAudit(ctx, tx, e) }); err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// ListAudit returns a page of the events f selects, newest first, and how
// many it selects in all.
func (db *DB) ListAudit(ctx context.Context, f bot.AuditFilter) ([]bot.AuditEvent, int, error) {
	if err := checkPage(f.Page, f.PerPage); err != nil {
		return nil, 0, err
	}
	where, args := `WHERE at >= ?`, []any{f.Since}
	if f.SubjectID != "" {
		where += ` AND subject_id = ?`
		args = append(args, f.SubjectID)
	}
	events := []bot.AuditEvent{}
	var total int
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT COUNT(*) FROM audit_log `+where), args...); err != nil {
			return err
		}
		var rows []auditRow
		q := `SELECT ` + auditColumns + ` FROM audit_log ` + where + ` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), append(args, f.PerPage, f.Page*f.PerPage)...); err != nil {
			return err
		}
		for _, r := range rows {
			events = append(events, bot.AuditEvent(r))
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list audit events: %w", err)
	}
	return events, total, nil
}

// revokeAudited sets revoke_at of the row id of table (a credential table:
// tokens, oauth_clients) to at, unless it is revoked already, and then
// writes e in the same transaction. It reports whether it revoked; a
// revoked row changes nothing and writes no second audit line. ENotFound
// (naming what) when there is no such row.
func revokeAudited(ctx context.Context, tx *sqlx.Tx, table, what, id string, at int64, e bot.AuditEvent) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+table+` SET revoke_at = ? WHERE id = ? AND revoke_at = 0`), at, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 1 {
		return true, insertAudit(ctx, tx, e)
	}
	var exists int
	err = tx.GetContext(ctx, &exists, tx.Rebind(`SELECT COUNT(*) FROM `+table+` WHERE id = ?`), id)
	if err == nil && exists == 0 {
		err = bot.Errorf(bot.ENotFound, "%s %s not found", what, id)
	}
	return false, err
}
