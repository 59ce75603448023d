package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// WebhooksInUse reports whether anything stored could send a webhook: a
// playbook not archived with a webhook enabled (on run creation or on
// status update), a run with a status-update webhook (a run keeps its
// playbook's from its creation, whatever the playbook says since, and
// takes status updates until it is deleted, ended or not), or a webhook
// job still pending. serve asks it once, at start, to warn of webhooks
// that would fail unsent; on a database without webhooks, the runs are
// read whole (no index has the column), which is a start's cost, not a
// request's.
func (db *DB) WebhooksInUse(ctx context.Context) (bool, error) {
	const q = `SELECT
		EXISTS (SELECT 1 FROM playbooks WHERE delete_at = 0 AND (
			(webhook_on_creation_enabled = ? AND webhook_on_creation_url <> '') OR
			(webhook_on_status_update_enabled = ? AND webhook_on_status_update_url <> '')))
		OR EXISTS (SELECT 1 FROM runs WHERE webhook_on_status_update_url <> '')
		OR EXISTS (SELECT 1 FROM jobs WHERE state = ? AND kind = ?)`
	var inUse bool
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &inUse, tx.Rebind(q), true, true, bot.JobPending, bot.JobWebhook)
	})
	if err != nil {
		return false, fmt.Errorf("webhooks in use: %w", err)
	}
	return inUse, nil
}
