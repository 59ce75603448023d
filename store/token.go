package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// tokenRow is a row of tokens; team_ids is JSON text.
type tokenRow struct {
	ID       string `db:"id"`
	Hash     string `db:"hash"`
	UserID   string `db:"user_id"`
	TeamIDs  string `db:"team_ids"`
	Admin    bool   `db:"admin"`
	CreateAt int64  `db:"create_at"`
	RevokeAt int64  `db:"revoke_at"`
}

const tokenColumns = `id, hash, user_id, team_ids, admin, create_at, revoke_at`

func (row tokenRow) token() (bot.Token, error) {
	teams, err := fromJSON[string](row.TeamIDs)
	if err != nil {
		return bot.Token{}, fmt.Errorf("token %s team_ids: %w", row.ID, err)
	}
	return bot.Token{
		ID: row.ID, Hash: row.Hash, UserID: row.UserID, TeamIDs: teams,
		Admin: row.Admin, CreateAt: row.CreateAt, RevokeAt: row.RevokeAt,
	}, nil
}

// CreateToken inserts t. EConflict if its ID or hash exists.
func (db *DB) CreateToken(ctx context.Context, t bot.Token) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		teams, err := toJSON(t.TeamIDs)
		if err != nil {
			return err
		}
		row := tokenRow{
			ID: t.ID, Hash: t.Hash, UserID: t.UserID, TeamIDs: teams,
			Admin: t.Admin, CreateAt: t.CreateAt, RevokeAt: t.RevokeAt,
		}
		_, err = tx.NamedExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`)
			VALUES (:id, :hash, :user_id, :team_ids, :admin, :create_at, :revoke_at)`, row)
		return conflict(err, "token %s or its hash already exists", t.ID)
	})
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, err)
	}
	return nil
}

// TokenByHash returns the token with the given hash, revoked or not. ENotFound.
func (db *DB) TokenByHash(ctx context.Context, hash string) (bot.Token, error) {
	var t bot.Token
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var row tokenRow
		err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`), hash)
		if err != nil {
			return notFound(err, "no token has this hash")
		}
		t, err = row.token()
		return err
	})
	if err != nil {
		// The hash is a credential's fingerprint: keep it out of messages.
		return bot.Token{}, fmt.Errorf("get token by hash: %w", err)
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (db *DB) ListTokens(ctx context.Context) ([]bot.Token, error) {
	tokens := []bot.Token{}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var rows []tokenRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+tokenColumns+` FROM tokens ORDER BY create_at, id`); err != nil {
			return err
		}
		for _, row := range rows {
			t, err := row.token()
			if err != nil {
				return err
			}
			tokens = append(tokens, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

// RevokeToken sets the token's RevokeAt to at. ENotFound.
func (db *DB) RevokeToken(ctx context.Context, id string, at int64) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE tokens SET revoke_at = ? WHERE id = ?`), at, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return bot.Errorf(bot.ENotFound, "token %s not found", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}
