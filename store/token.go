package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// tokenRow is a row of tokens; team_ids is JSON text.
type tokenRow struct {
	ID         string `db:"id"`
	Hash       string `db:"hash"`
	UserID     string `db:"user_id"`
	TeamIDs    string `db:"team_ids"`
	Admin      bool   `db:"admin"`
	Name       string `db:"name"`
	CreatedBy  string `db:"created_by"`
	CreateAt   int64  `db:"create_at"`
	ExpireAt   int64  `db:"expire_at"`
	LastUsedAt int64  `db:"last_used_at"`
	RevokeAt   int64  `db:"revoke_at"`
}

const tokenColumns = `id, hash, user_id, team_ids, admin, name, created_by, create_at, expire_at, last_used_at, revoke_at`

func (row tokenRow) token() (bot.Token, error) {
	teams, err := fromJSON[string](row.TeamIDs)
	if err != nil {
		return bot.Token{}, fmt.Errorf("token %s team_ids: %w", row.ID, err)
	}
	return bot.Token{
		ID: row.ID, Hash: row.Hash, UserID: row.UserID, TeamIDs: teams, Admin: row.Admin,
		Name: row.Name, CreatedBy: row.CreatedBy, CreateAt: row.CreateAt, ExpireAt: row.ExpireAt,
		LastUsedAt: row.LastUsedAt, RevokeAt: row.RevokeAt,
	}, nil
}

// CreateToken inserts t and its audit event e in one transaction. EConflict
// if its ID or hash exists.
func (db *DB) CreateToken(ctx context.Context, t bot.Token, e bot.AuditEvent) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		teams, err := toJSON(t.TeamIDs)
		if err != nil {
			return err
		}
		row := tokenRow{
			ID: t.ID, Hash: t.Hash, UserID: t.UserID, TeamIDs: teams, Admin: t.Admin,
			Name: t.Name, CreatedBy: t.CreatedBy, CreateAt: t.CreateAt, ExpireAt: t.ExpireAt,
			LastUsedAt: t.LastUsedAt, RevokeAt: t.RevokeAt,
		}
		_, err = tx.NamedExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`)
			VALUES (:id, :hash, :user_id, :team_ids, :admin, :name, :created_by, :create_at, :expire_at, :last_used_at, :revoke_at)`, row)
		if err := conflict(err, "token %s or its hash already exists", t.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.ID, err)
	}
	return nil
}

// TokenByHash returns the token with the given hash, revoked or not. ENotFound.
func (db *DB) TokenByHash(ctx context.Context, hash string) (bot.Token, error) {
	t, err := db.tokenWhere(ctx, `hash = ?`, hash, "no token has this hash")
	if err != nil {
		// The hash is a credential's fingerprint: keep it out of messages.
		return bot.Token{}, fmt.Errorf("get token by hash: %w", err)
	}
	return t, nil
}

// TokenByID returns the token with the given ID, revoked or not. ENotFound.
func (db *DB) TokenByID(ctx context.Context, id string) (bot.Token, error) {
	t, err := db.tokenWhere(ctx, `id = ?`, id, fmt.Sprintf("token %s not found", id))
	if err != nil {
		return bot.Token{}, fmt.Errorf("get token %s: %w", id, err)
	}
	return t, nil
}

// tokenWhere returns the one token where cond holds for arg; ENotFound with
// message when none does.
func (db *DB) tokenWhere(ctx context.Context, cond string, arg any, message string) (bot.Token, error) {
	var t bot.Token
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var row tokenRow
		err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+tokenColumns+` FROM tokens WHERE `+cond), arg)
		if err != nil {
			return notFound(err, "%s", message)
		}
		t, err = row.token()
		return err
	})
	return t, err
}

// ListTokens returns the tokens of userID, every token when "", oldest
// first.
func (db *DB) ListTokens(ctx context.Context, userID string) ([]bot.Token, error) {
	tokens := []bot.Token{}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		q, args := `SELECT `+tokenColumns+` FROM tokens`, []any{}
		if userID != "" {
			q, args = q+` WHERE user_id = ?`, append(args, userID)
		}
		var rows []tokenRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q+` ORDER BY create_at, id`), args...); err != nil {
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

// RevokeToken sets the token's RevokeAt to at and writes e in the same
// transaction, unless the token is revoked already: then it changes and
// writes nothing and reports false. ENotFound.
func (db *DB) RevokeToken(ctx context.Context, id string, at int64, e bot.AuditEvent) (bool, error) {
	var revoked bool
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var err error
		revoked, err = revokeAudited(ctx, tx, "tokens", "token", id, at, e)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("revoke token %s: %w", id, err)
	}
	return revoked, nil
}

// TouchToken sets the token's LastUsedAt to at if it is before
// staleBefore, and reports whether it did. The condition is in the
// UPDATE, so that of replicas noting one use at once, one writes it.
func (db *DB) TouchToken(ctx context.Context, id string, at, staleBefore int64) (bool, error) {
	var touched bool
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?`), at, id, staleBefore)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		touched = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("touch token %s: %w", id, err)
	}
	return touched, nil
}
