package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// playbookRow is a row of playbooks; lists are JSON text.
type playbookRow struct {
	ID                           string `db:"id"`
	Title                        string `db:"title"`
	Description                  string `db:"description"`
	TeamID                       string `db:"team_id"`
	CreatePublicPlaybookRun      bool   `db:"create_public_playbook_run"`
	Public                       bool   `db:"is_public"`
	CreateAt                     int64  `db:"create_at"`
	UpdateAt                     int64  `db:"update_at"`
	DeleteAt                     int64  `db:"delete_at"`
	NumStages                    int64  `db:"num_stages"`
	NumSteps                     int64  `db:"num_steps"`
	Checklists                   string `db:"checklists"`
	MemberIDs                    string `db:"member_ids"`
	BroadcastChannelIDs          string `db:"broadcast_channel_ids"`
	InvitedUserIDs               string `db:"invited_user_ids"`
	InviteUsersEnabled           bool   `db:"invite_users_enabled"`
	DefaultOwnerID               string `db:"default_owner_id"`
	DefaultOwnerEnabled          bool   `db:"default_owner_enabled"`
	AnnouncementChannelID        string `db:"announcement_channel_id"`
	AnnouncementChannelEnabled   bool   `db:"announcement_channel_enabled"`
	WebhookOnCreationURL         string `db:"webhook_on_creation_url"`
	WebhookOnCreationEnabled     bool   `db:"webhook_on_creation_enabled"`
	WebhookOnStatusUpdateURL     string `db:"webhook_on_status_update_url"`
	WebhookOnStatusUpdateEnabled bool   `db:"webhook_on_status_update_enabled"`
}

const playbookColumns = `id, title, description, team_id, create_public_playbook_run, is_public,
	create_at, update_at, delete_at, num_stages, num_steps, checklists, member_ids,
	broadcast_channel_ids, invited_user_ids, invite_users_enabled, default_owner_id,
	default_owner_enabled, announcement_channel_id, announcement_channel_enabled,
	webhook_on_creation_url, webhook_on_creation_enabled, webhook_on_status_update_url,
	webhook_on_status_update_enabled`

func newPlaybookRow(p bot.Playbook) (playbookRow, error) {
	r := playbookRow{
		ID: p.ID, Title: p.Title, Description: p.Description, TeamID: p.TeamID,
		CreatePublicPlaybookRun: p.CreatePublicPlaybookRun, Public: p.Public,
		CreateAt: p.CreateAt, UpdateAt: p.UpdateAt, DeleteAt: p.DeleteAt,
		NumStages: p.NumStages, NumSteps: p.NumSteps,
		InviteUsersEnabled: p.InviteUsersEnabled,
		DefaultOwnerID:     p.DefaultOwnerID, DefaultOwnerEnabled: p.DefaultOwnerEnabled,
		AnnouncementChannelID:        p.AnnouncementChannelID,
		AnnouncementChannelEnabled:   p.AnnouncementChannelEnabled,
		WebhookOnCreationURL:         p.WebhookOnCreationURL,
		WebhookOnCreationEnabled:     p.WebhookOnCreationEnabled,
		WebhookOnStatusUpdateURL:     p.WebhookOnStatusUpdateURL,
		WebhookOnStatusUpdateEnabled: p.WebhookOnStatusUpdateEnabled,
	}
	var err error
	if r.Checklists, err = toJSON(p.Checklists); err != nil {
		return r, err
	}
	if r.MemberIDs, err = toJSON(p.MemberIDs); err != nil {
		return r, err
	}
	if r.BroadcastChannelIDs, err = toJSON(p.BroadcastChannelIDs); err != nil {
		return r, err
	}
	if r.InvitedUserIDs, err = toJSON(p.InvitedUserIDs); err != nil {
		return r, err
	}
	return r, nil
}

func (r playbookRow) playbook() (bot.Playbook, error) {
	p := bot.Playbook{
		ID: r.ID, Title: r.Title, Description: r.Description, TeamID: r.TeamID,
		CreatePublicPlaybookRun: r.CreatePublicPlaybookRun, Public: r.Public,
		CreateAt: r.CreateAt, UpdateAt: r.UpdateAt, DeleteAt: r.DeleteAt,
		NumStages: r.NumStages, NumSteps: r.NumSteps,
		InviteUsersEnabled: r.InviteUsersEnabled,
		DefaultOwnerID:     r.DefaultOwnerID, DefaultOwnerEnabled: r.DefaultOwnerEnabled,
		AnnouncementChannelID:        r.AnnouncementChannelID,
		AnnouncementChannelEnabled:   r.AnnouncementChannelEnabled,
		WebhookOnCreationURL:         r.WebhookOnCreationURL,
		WebhookOnCreationEnabled:     r.WebhookOnCreationEnabled,
		WebhookOnStatusUpdateURL:     r.WebhookOnStatusUpdateURL,
		WebhookOnStatusUpdateEnabled: r.WebhookOnStatusUpdateEnabled,
	}
	var err error
	if p.Checklists, err = checklistsFromJSON(r.Checklists); err != nil {
		return p, fmt.Errorf("playbook %s: %w", r.ID, err)
	}
	if p.MemberIDs, err = fromJSON[string](r.MemberIDs); err != nil {
		return p, fmt.Errorf("playbook %s member_ids: %w", r.ID, err)
	}
	if p.BroadcastChannelIDs, err = fromJSON[string](r.BroadcastChannelIDs); err != nil {
		return p, fmt.Errorf("playbook %s broadcast_channel_ids: %w", r.ID, err)
	}
	if p.InvitedUserIDs, err = fromJSON[string](r.InvitedUserIDs); err != nil {
		return p, fmt.Errorf("playbook %s invited_user_ids: %w", r.ID, err)
	}
	return p, nil
}

// CreatePlaybook inserts p. EConflict if its ID exists.
func (db *DB) CreatePlaybook(ctx context.Context, p bot.Playbook) error {
	return db.createPlaybook(ctx, nil, p)
}

// createPlaybook is CreatePlaybook, inserting key first when not nil.
func (db *DB) createPlaybook(ctx context.Context, key *bot.IdempotentRequest, p bot.Playbook) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if key != nil {
			if err := insertIdempotencyKey(ctx, tx, *key); err != nil {
				return err
			}
		}
		return insertPlaybook(ctx, tx, p)
	})
	if err != nil {
		return fmt.Errorf("create playbook %s: %w", p.ID, err)
	}
	return nil
}

func insertPlaybook(ctx context.Context, tx *sqlx.Tx, p bot.Playbook) error {
	row, err := newPlaybookRow(p)
	if err != nil {
		return err
	}
	_, err = tx.NamedExecContext(ctx, `INSERT INTO playbooks (`+playbookColumns+`) VALUES (
		:id, :title, :description, :team_id, :create_public_playbook_run, :is_public,
		:create_at, :update_at, :delete_at, :num_stages, :num_steps, :checklists, :member_ids,
		:broadcast_channel_ids, :invited_user_ids, :invite_users_enabled, :default_owner_id,
		:default_owner_enabled, :announcement_channel_id, :announcement_channel_enabled,
		:webhook_on_creation_url, :webhook_on_creation_enabled, :webhook_on_status_update_url,
		:webhook_on_status_update_enabled)`, row)
	return conflict(err, "playbook %s already exists", p.ID)
}

// Playbook returns the playbook with the given ID, archived or not. ENotFound.
func (db *DB) Playbook(ctx context.Context, id string) (bot.Playbook, error) {
	var p bot.Playbook
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var err error
		p, err = findPlaybook(ctx, tx, id, "")
		return err
	})
	if err != nil {
		return bot.Playbook{}, fmt.Errorf("get playbook %s: %w", id, err)
	}
	return p, nil
}

// findPlaybook loads one playbook; lock is "" or the dialect's FOR UPDATE.
func findPlaybook(ctx context.Context, tx *sqlx.Tx, id, lock string) (bot.Playbook, error) {
	var row playbookRow
	err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+playbookColumns+` FROM playbooks WHERE id = ?`+lock), id)
	if err != nil {
		return bot.Playbook{}, notFound(err, "playbook %s not found", id)
	}
	return row.playbook()
}

// UpdatePlaybook loads the playbook, calls fn on it and saves the result, in
// one transaction; an error from fn aborts without a change and is returned
// as it is. The ID cannot change. ENotFound.
func (db *DB) UpdatePlaybook(ctx context.Context, id string, fn func(*bot.Playbook) error) (bot.Playbook, error) {
	var (
		p     bot.Playbook
		fnErr error
	)
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var err error
		if p, err = findPlaybook(ctx, tx, id, db.dialect.forUpdate); err != nil {
			return err
		}
		if fnErr = fn(&p); fnErr != nil {
			return fnErr
		}
		p.ID = id
		return updatePlaybook(ctx, tx, p)
	})
	if fnErr != nil {
		return bot.Playbook{}, fnErr
	}
	if err != nil {
		return bot.Playbook{}, fmt.Errorf("update playbook %s: %w", id, err)
	}
	return p, nil
}

func updatePlaybook(ctx context.Context, tx *sqlx.Tx, p bot.Playbook) error {
	row, err := newPlaybookRow(p)
	if err != nil {
		return err
	}
	_, err = tx.NamedExecContext(ctx, `UPDATE playbooks SET
		title = :title, description = :description, team_id = :team_id,
		create_public_playbook_run = :create_public_playbook_run, is_public = :is_public,
		create_at = :create_at, update_at = :update_at, delete_at = :delete_at,
		num_stages = :num_stages, num_steps = :num_steps, checklists = :checklists,
		member_ids = :member_ids, broadcast_channel_ids = :broadcast_channel_ids,
		invited_user_ids = :invited_user_ids, invite_users_enabled = :invite_users_enabled,
		default_owner_id = :default_owner_id, default_owner_enabled = :default_owner_enabled,
		announcement_channel_id = :announcement_channel_id,
		announcement_channel_enabled = :announcement_channel_enabled,
		webhook_on_creation_url = :webhook_on_creation_url,
		webhook_on_creation_enabled = :webhook_on_creation_enabled,
		webhook_on_status_update_url = :webhook_on_status_update_url,
		webhook_on_status_update_enabled = :webhook_on_status_update_enabled
		WHERE id = :id`, row)
	return err
}

// playbookSorts maps the validated sort names of PlaybookFilter to columns;
// nothing else ever reaches the ORDER BY.
var playbookSorts = map[string]string{
	"":                     "LOWER(title)",
	bot.PlaybookSortTitle:  "LOWER(title)",
	bot.PlaybookSortStages: "num_stages",
	bot.PlaybookSortSteps:  "num_steps",
}

// ListPlaybooks returns one page of a team's playbooks, archived ones only
// if f.WithArchived, sorted by f.Sort then ID in f.Direction.
func (db *DB) ListPlaybooks(ctx context.Context, f bot.PlaybookFilter) (bot.PlaybookList, error) {
	var list bot.PlaybookList
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var err error
		list, err = listPlaybooks(ctx, tx, f)
		return err
	})
	if err != nil {
		return bot.PlaybookList{}, fmt.Errorf("list playbooks of team %s: %w", f.TeamID, err)
	}
	return list, nil
}

func listPlaybooks(ctx context.Context, tx *sqlx.Tx, f bot.PlaybookFilter) (bot.PlaybookList, error) {
	col, ok := playbookSorts[f.Sort]
	if !ok {
		return bot.PlaybookList{}, bot.FieldErrorf("sort", "sort must be title, stages or steps, got %q", f.Sort)
	}
	dir, err := orderDirection(f.Direction)
	if err != nil {
		return bot.PlaybookList{}, err
	}
	if err := checkPage(f.Page, f.PerPage); err != nil {
		return bot.PlaybookList{}, err
	}
	where, args := "team_id = ?", []any{f.TeamID}
	if !f.WithArchived {
		where += " AND delete_at = 0"
	}
	var total int
	if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT COUNT(*) FROM playbooks WHERE `+where), args...); err != nil {
		return bot.PlaybookList{}, err
	}
	var rows []playbookRow
	q := `SELECT ` + playbookColumns + ` FROM playbooks WHERE ` + where +
		` ORDER BY ` + col + ` ` + dir + `, id ` + dir + ` LIMIT ? OFFSET ?`
	args = append(args, f.PerPage, f.Page*f.PerPage)
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return bot.PlaybookList{}, err
	}
	list := bot.PlaybookList{
		TotalCount: total,
		PageCount:  pageCount(total, f.PerPage),
		HasMore:    (f.Page+1)*f.PerPage < total,
		Items:      make([]bot.Playbook, 0, len(rows)),
	}
	for _, row := range rows {
		p, err := row.playbook()
		if err != nil {
			return bot.PlaybookList{}, err
		}
		list.Items = append(list.Items, p)
	}
	return list, nil
}

// AutoFollows returns the IDs of the users following the playbook, sorted.
func (db *DB) AutoFollows(ctx context.Context, playbookID string) ([]string, error) {
	ids := []string{}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ids,
			tx.Rebind(`SELECT user_id FROM playbook_autofollows WHERE playbook_id = ?`), playbookID)
	})
	if err != nil {
		return nil, fmt.Errorf("list followers of playbook %s: %w", playbookID, err)
	}
	slices.Sort(ids) // in Go, not SQL: the database's collation may differ
	return ids, nil
}

// SetAutoFollow adds (follow) or removes the user from the playbook's
// followers; doing either twice is the same as once. ENotFound if the
// playbook does not exist.
func (db *DB) SetAutoFollow(ctx context.Context, playbookID, userID string, follow bool) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if !follow {
			_, err := tx.ExecContext(ctx, tx.Rebind(
				`DELETE FROM playbook_autofollows WHERE playbook_id = ? AND user_id = ?`), playbookID, userID)
			return err
		}
		if _, err := findPlaybook(ctx, tx, playbookID, ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO playbook_autofollows (playbook_id, user_id)
			VALUES (?, ?) ON CONFLICT DO NOTHING`), playbookID, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set user %s following playbook %s to %t: %w", userID, playbookID, follow, err)
	}
	return nil
}
