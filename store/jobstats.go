package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// JobStats returns, for each kind of job that has pending ones, how many
// are pending, how many of those are due, and how long ago the oldest due
// one came due, as of db.Now. One read through the (state, due_at) index;
// a kind without pending jobs is absent.
func (db *DB) JobStats(ctx context.Context) ([]bot.JobStat, error) {
	now := db.now()
	var rows []struct {
		Kind     string `db:"kind"`
		Pending  int    `db:"pending"`
		Due      int    `db:"due"`
		OldestAt *int64 `db:"oldest_due_at"`
	}
	const q = `SELECT kind, COUNT(*) AS pending,
		COALESCE(SUM(CASE WHEN due_at <= ? THEN 1 ELSE 0 END), 0) AS due,
		MIN(CASE WHEN due_at <= ? THEN due_at END) AS oldest_due_at
		FROM jobs WHERE state = ? GROUP BY kind ORDER BY kind`
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, tx.Rebind(q), now, now, bot.JobPending)
	})
	if err != nil {
		return nil, fmt.Errorf("job stats: %w", err)
	}
	stats := make([]bot.JobStat, len(rows))
	for i, r := range rows {
		stats[i] = bot.JobStat{Kind: r.Kind, Pending: r.Pending, Due: r.Due}
		if r.OldestAt != nil {
			stats[i].OldestDue = time.Duration(now-*r.OldestAt) * time.Millisecond
		}
	}
	return stats, nil
}
