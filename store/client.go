package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// clientRow is a row of oauth_clients; team_ids is JSON text.
type clientRow struct {
	ID         string `db:"id"`
	Hash       string `db:"hash"`
	Name       string `db:"name"`
	Scope      string `db:"scope"`
	UserID     string `db:"user_id"`
	TeamIDs    string `db:"team_ids"`
	Admin      bool   `db:"admin"`
	CreatedBy  string `db:"created_by"`
	CreateAt   int64  `db:"create_at"`
	LastUsedAt int64  `db:"last_used_at"`
	RevokeAt   int64  `db:"revoke_at"`
}

const clientColumns = `id, hash, name, scope, user_id, team_ids, admin, created_by, create_at, last_used_at, revoke_at`

func (row clientRow) client() (bot.Client, error) {
	teams, err := fromJSON[string](row.TeamIDs)
	if err != nil {
		return bot.Client{}, fmt.Errorf("client %s team_ids: %w", row.ID, err)
	}
	return bot.Client{
		ID: row.ID, Hash: row.Hash, Name: row.Name, Scope: row.Scope, UserID: row.UserID, TeamIDs: teams,
		Admin: row.Admin, CreatedBy: row.CreatedBy, CreateAt: row.CreateAt, LastUsedAt: row.LastUsedAt,
		RevokeAt: row.RevokeAt,
	}, nil
}

// CreateClient inserts c and its audit event e in one transaction.
// EConflict if its ID or hash exists.
func (db *DB) CreateClient(ctx context.Context, c bot.Client, e bot.AuditEvent) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		teams, err := toJSON(c.TeamIDs)
		if err != nil {
			return err
		}
		row := clientRow{
			ID: c.ID, Hash: c.Hash, Name: c.Name, Scope: c.Scope, UserID: c.UserID, TeamIDs: teams,
			Admin: c.Admin, CreatedBy: c.CreatedBy, CreateAt: c.CreateAt, LastUsedAt: c.LastUsedAt, RevokeAt: c.RevokeAt,
		}
		_, err = tx.NamedExecContext(ctx, `INSERT INTO oauth_clients (`+clientColumns+`)
			VALUES (:id, :hash, :name, :scope, :user_id, :team_ids, :admin, :created_by, :create_at, :last_used_at, :revoke_at)`, row)
		if err := conflict(err, "client %s or its hash already exists", c.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return nil
}

// Client returns the client with the given ID, revoked or not. ENotFound.
func (db *DB) Client(ctx context.Context, id string) (bot.Client, error) {
	var c bot.Client
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var row clientRow
		err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+clientColumns+` FROM oauth_clients WHERE id = ?`), id)
		if err != nil {
			return notFound(err, "client %s not found", id)
		}
		c, err = row.client()
		return err
	})
	if err != nil {
		return bot.Client{}, fmt.Errorf("get client %s: %w", id, err)
	}
	return c, nil
}

// ListClients returns every client, oldest first.
func (db *DB) ListClients(ctx context.Context) ([]bot.Client, error) {
	clients := []bot.Client{}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var rows []clientRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+clientColumns+` FROM oauth_clients ORDER BY create_at, id`); err != nil {
			return err
		}
		for _, row := range rows {
			c, err := row.client()
			if err != nil {
				return err
			}
			clients = append(clients, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return clients, nil
}

// RevokeClient sets the client's RevokeAt to at and writes e, in one
// transaction; a revoked client is left as it is, without e. ENotFound.
func (db *DB) RevokeClient(ctx context.Context, id string, at int64, e bot.AuditEvent) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := revokeAudited(ctx, tx, "oauth_clients", "client", id, at, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke client %s: %w", id, err)
	}
	return nil
}

// accessTokenRow is a row of oauth_access_tokens.
type accessTokenRow struct {
	ID       string `db:"id"`
	Hash     string `db:"hash"`
	ClientID string `db:"client_id"`
	Scope    string `db:"scope"`
	CreateAt int64  `db:"create_at"`
	ExpireAt int64  `db:"expire_at"`
	UsedAt   int64  `db:"used_at"`
	UsedFrom string `db:"used_from"`
}

// CreateAccessToken inserts t and e in one transaction, and deletes the
// access tokens expired before t.CreateAt, so that the table holds about
// the live tokens only. EConflict if its ID or hash exists.
func (db *DB) CreateAccessToken(ctx context.Context, t bot.AccessToken, e bot.AuditEvent) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM oauth_access_tokens WHERE expire_at < ?`), t.CreateAt); err != nil {
			return err
		}
		_, err := tx.NamedExecContext(ctx, `INSERT INTO oauth_access_tokens (id, hash, client_id, scope, create_at, expire_at, used_at, used_from)
			VALUES (:id, :hash, :client_id, :scope, :create_at, :expire_at, :used_at, :used_from)`, accessTokenRow(t))
		if err := conflict(err, "access token %s or its hash already exists", t.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("create access token %s: %w", t.ID, err)
	}
	return nil
}

// AccessTokenByHash returns the access token with the given hash and its
// client, in one query: a client revoked on another replica is seen at
// once. ENotFound.
func (db *DB) AccessTokenByHash(ctx context.Context, hash string) (bot.AccessToken, bot.Client, error) {
	var (
		t bot.AccessToken
		c bot.Client
	)
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			accessTokenRow
			Client clientRow `db:"c"`
		}
		err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT t.id, t.hash, t.client_id, t.scope, t.create_at, t.expire_at, t.used_at, t.used_from,
			c.id AS "c.id", c.hash AS "c.hash", c.name AS "c.name", c.scope AS "c.scope", c.user_id AS "c.user_id",
			c.team_ids AS "c.team_ids", c.admin AS "c.admin", c.created_by AS "c.created_by", c.create_at AS "c.create_at",
			c.last_used_at AS "c.last_used_at", c.revoke_at AS "c.revoke_at"
			FROM oauth_access_tokens t JOIN oauth_clients c ON c.id = t.client_id WHERE t.hash = ?`), hash)
		if err != nil {
			return notFound(err, "no access token has this hash")
		}
		t = bot.AccessToken(row.accessTokenRow)
		c, err = row.Client.client()
		return err
	})
	if err != nil {
		// The hash is a credential's fingerprint: keep it out of messages.
		return bot.AccessToken{}, bot.Client{}, fmt.Errorf("get access token by hash: %w", err)
	}
	return t, c, nil
}

// AccessTokenUsed sets the access token's UsedAt and UsedFrom; a token
// deleted meanwhile (expired) is no error.
func (db *DB) AccessTokenUsed(ctx context.Context, id, from string, at int64) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE oauth_access_tokens SET used_at = ?, used_from = ? WHERE id = ?`), at, from, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("note use of access token %s: %w", id, err)
	}
	return nil
}

// TouchClient sets the client's LastUsedAt to at unless it is within every
// of at already.
func (db *DB) TouchClient(ctx context.Context, id string, at int64, every time.Duration) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE oauth_clients SET last_used_at = ? WHERE id = ? AND last_used_at <= ?`),
			at, id, at-every.Milliseconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("touch client %s: %w", id, err)
	}
	return nil
}
