package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/playbooks-bot/playbooks/bot"
)

// runRow is a row of runs; checklists (their IDs and titles, see item.go)
// and broadcast channels are JSON text. Checklist items, participants,
// status updates and timeline events have tables of their own.
type runRow struct {
	ID                  string `db:"id"`
	Name                string `db:"name"`
	Description         string `db:"description"`
	IsActive            bool   `db:"is_active"`
	OwnerUserID         string `db:"owner_user_id"`
	ReporterUserID      string `db:"reporter_user_id"`
	TeamID              string `db:"team_id"`
	ChannelID           string `db:"channel_id"`
	ChecklistPostID     string `db:"checklist_post_id"`
	Public              bool   `db:"public"`
	Platform            string `db:"platform"`
	CreateAt            int64  `db:"create_at"`
	EndAt               int64  `db:"end_at"`
	DeleteAt            int64  `db:"delete_at"`
	ActiveStage         int    `db:"active_stage"`
	ActiveStageTitle    string `db:"active_stage_title"`
	PostID              string `db:"post_id"`
	PlaybookID          string `db:"playbook_id"`
	Checklists          string `db:"checklists"`
	BroadcastChannelIDs string `db:"broadcast_channel_ids"`
	LastStatusUpdateAt  int64  `db:"last_status_update_at"`
	PreviousReminder    int64  `db:"previous_reminder"`
	WebhookStatusURL    string `db:"webhook_on_status_update_url"`
	// Participants are the run's participants' IDs, joined by
	// idSeparator: read with the row (participantsColumn), never written.
	Participants string `db:"participants"`
}

// participantsColumn is the column of a SELECT of runs (alias: the table's
// name or alias) that reads each run's participants into
// runRow.Participants, in the same round trip as the row.
func participantsColumn(tx *sqlx.Tx, alias string) string {
	join := "group_concat(p.user_id, char(31))"
	if tx.DriverName() == "postgres" {
		join = "string_agg(p.user_id, chr(31))"
	}
	return `COALESCE((SELECT ` + join + ` FROM run_participants p WHERE p.run_id = ` + alias + `.id), '') AS participants`
}

const runColumns = `id, name, description, is_active, owner_user_id, reporter_user_id,
	team_id, channel_id, create_at, end_at, delete_at, active_stage, active_stage_title,
	post_id, playbook_id, checklists, broadcast_channel_ids, last_status_update_at,
	previous_reminder, checklist_post_id, public, platform, webhook_on_status_update_url`

func newRunRow(r bot.Run) (runRow, error) {
	row := runRow{
		ID: r.ID, Name: r.Name, Description: r.Description, IsActive: r.IsActive,
		OwnerUserID: r.OwnerUserID, ReporterUserID: r.ReporterUserID, TeamID: r.TeamID,
		ChannelID: r.ChannelID, CreateAt: r.CreateAt, EndAt: r.EndAt, DeleteAt: r.DeleteAt,
		ActiveStage: r.ActiveStage, ActiveStageTitle: r.ActiveStageTitle, PostID: r.PostID,
		PlaybookID: r.PlaybookID, LastStatusUpdateAt: r.LastStatusUpdateAt,
		PreviousReminder: r.PreviousReminder, ChecklistPostID: r.ChecklistPostID, Public: r.Public,
		Platform: r.Platform, WebhookStatusURL: r.WebhookOnStatusUpdateURL,
	}
	var err error
	if row.Checklists, err = headsJSON(r.Checklists); err != nil {
		return row, err
	}
	if row.BroadcastChannelIDs, err = toJSON(r.BroadcastChannelIDs); err != nil {
		return row, err
	}
	return row, nil
}

// run converts the row; the lists kept in other tables start empty.
func (row runRow) run() (bot.Run, error) {
	r := bot.Run{
		ID: row.ID, Name: row.Name, Description: row.Description, IsActive: row.IsActive,
		CurrentStatus: bot.StatusFinished,
		OwnerUserID:   row.OwnerUserID, ReporterUserID: row.ReporterUserID, TeamID: row.TeamID,
		ChannelID: row.ChannelID, CreateAt: row.CreateAt, EndAt: row.EndAt, DeleteAt: row.DeleteAt,
		ActiveStage: row.ActiveStage, ActiveStageTitle: row.ActiveStageTitle, PostID: row.PostID,
		PlaybookID: row.PlaybookID, LastStatusUpdateAt: row.LastStatusUpdateAt,
		PreviousReminder: row.PreviousReminder, ChecklistPostID: row.ChecklistPostID, Public: row.Public,
		Platform:                 row.Platform,
		ParticipantIDs:           []string{},
		WebhookOnStatusUpdateURL: row.WebhookStatusURL,
	}
	if row.IsActive {
		r.CurrentStatus = bot.StatusInProgress
	}
	if row.Participants != "" {
		r.ParticipantIDs = strings.Split(row.Participants, idSeparator)
		slices.Sort(r.ParticipantIDs) // in Go: collations differ
	}
	var err error
	if r.Checklists, err = checklistsFromHeads(row.Checklists); err != nil {
		return r, fmt.Errorf("run %s: %w", row.ID, err)
	}
	if r.BroadcastChannelIDs, err = fromJSON[string](row.BroadcastChannelIDs); err != nil {
		return r, fmt.Errorf("run %s broadcast_channel_ids: %w", row.ID, err)
	}
	return r, nil
}

// CreateRun inserts r, its participants, the given timeline events and
// jobs, all recorded as r's whatever their RunID. EConflict if its ID
// exists, or if another run has its channel.
func (db *DB) CreateRun(ctx context.Context, r bot.Run, events []bot.TimelineEvent, jobs ...bot.Job) error {
	return db.createRun(ctx, nil, r, events, jobs)
}

// createRun is CreateRun, inserting key first when not nil.
func (db *DB) createRun(ctx context.Context, key *bot.IdempotentRequest, r bot.Run, events []bot.TimelineEvent, jobs []bot.Job) error {
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if key != nil {
			if err := insertIdempotencyKey(ctx, tx, *key); err != nil {
				return err
			}
		}
		if err := insertRun(ctx, tx, r); err != nil {
			return err
		}
		if err := insertParticipants(ctx, tx, r.ID, r.ParticipantIDs); err != nil {
			return err
		}
		if err := insertEvents(ctx, tx, r.ID, events); err != nil {
			return err
		}
		return insertJobs(ctx, tx, r.ID, jobs)
	})
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.ID, err)
	}
	return nil
}

func insertRun(ctx context.Context, tx *sqlx.Tx, r bot.Run) error {
	row, err := newRunRow(r)
	if err != nil {
		return err
	}
	_, err = tx.NamedExecContext(ctx, `INSERT INTO runs (`+runColumns+`) VALUES (
		:id, :name, :description, :is_active, :owner_user_id, :reporter_user_id,
		:team_id, :channel_id, :create_at, :end_at, :delete_at, :active_stage, :active_stage_title,
		:post_id, :playbook_id, :checklists, :broadcast_channel_ids, :last_status_update_at,
		:previous_reminder, :checklist_post_id, :public, :platform, :webhook_on_status_update_url)`, row)
	if err != nil {
		return conflict(err, "run %s already exists, or channel %s has a run", r.ID, r.ChannelID)
	}
	return insertItems(ctx, tx, r.ID, r.Checklists)
}

// insertParticipants adds users to a run's participants; those already
// there are skipped.
func insertParticipants(ctx context.Context, tx *sqlx.Tx, runID string, userIDs []string) error {
	q := tx.Rebind(`INSERT INTO run_participants (run_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	for _, u := range userIDs {
		if _, err := tx.ExecContext(ctx, q, runID, u); err != nil {
			return fmt.Errorf("add participant %s: %w", u, err)
		}
	}
	return nil
}

// Run returns the run with its participants and its newest status updates
// and undeleted timeline events (bot.HistoryLimit of each at most, oldest
// first) with their totals. ENotFound.
func (db *DB) Run(ctx context.Context, id string) (bot.Run, error) {
	var r bot.Run
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var err error
		r, err = findRun(ctx, tx, "id", id, "", true)
		return err
	})
	if err != nil {
		return bot.Run{}, fmt.Errorf("get run %s: %w", id, err)
	}
	return r, nil
}

// RunByChannel returns the run whose channel is channelID. ENotFound.
func (db *DB) RunByChannel(ctx context.Context, channelID string) (bot.Run, error) {
	var r bot.Run
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		if channelID == "" { // runs without a channel all have ''
			return bot.Errorf(bot.ENotFound, "no run has channel %q", channelID)
		}
		var err error
		r, err = findRun(ctx, tx, "channel_id", channelID, "", true)
		return err
	})
	if err != nil {
		return bot.Run{}, fmt.Errorf("get run of channel %s: %w", channelID, err)
	}
	return r, nil
}

// RunState returns the run with its participants but not its history.
// ENotFound.
func (db *DB) RunState(ctx context.Context, id string) (bot.Run, error) {
	var r bot.Run
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var err error
		r, err = findRun(ctx, tx, "id", id, "", false)
		return err
	})
	if err != nil {
		return bot.Run{}, fmt.Errorf("get run state %s: %w", id, err)
	}
	return r, nil
}

// RunAccess reads what decides who may see the run (its ID, team,
// channel, platform and Public), in one statement outside a transaction:
// the check a change makes before it locks anything (bot's mayChange), on
// every click. ENotFound.
func (db *DB) RunAccess(ctx context.Context, id string) (bot.Run, error) {
	var row struct {
		ID        string `db:"id"`
		TeamID    string `db:"team_id"`
		ChannelID string `db:"channel_id"`
		Platform  string `db:"platform"`
		Public    bool   `db:"public"`
	}
	err := db.db.GetContext(ctx, &row, db.db.Rebind(`SELECT id, team_id, channel_id, platform, public FROM runs WHERE id = ?`), id)
	if err != nil {
		return bot.Run{}, fmt.Errorf("get access of run %s: %w", id, unavailable(notFound(err, "run %s not found", id)))
	}
	return bot.Run{ID: row.ID, TeamID: row.TeamID, ChannelID: row.ChannelID, Platform: row.Platform, Public: row.Public}, nil
}

// findRun loads the run whose column ("id" or "channel_id", never user
// input) is value, with its participants and, when history is set, its
// newest status updates and timeline events (loadRunDetails). lock is ""
// or the dialect's FOR UPDATE.
func findRun(ctx context.Context, tx *sqlx.Tx, column, value, lock string, history bool) (bot.Run, error) {
	var row runRow
	q := `SELECT ` + runColumns + `, ` + participantsColumn(tx, "runs") + ` FROM runs WHERE ` + column + ` = ?` + lock
	if err := tx.GetContext(ctx, &row, tx.Rebind(q), value); err != nil {
		if column == "channel_id" {
			return bot.Run{}, notFound(err, "no run has channel %s", value)
		}
		return bot.Run{}, notFound(err, "run %s not found", value)
	}
	r, err := row.run()
	if err != nil {
		return bot.Run{}, err
	}
	runs := []bot.Run{r}
	if err := loadRunDetails(ctx, tx, runs, history); err != nil {
		return bot.Run{}, err
	}
	if err := loadItems(ctx, tx, runs); err != nil {
		return bot.Run{}, err
	}
	return runs[0], nil
}

// UpdateRun locks the run, calls fn on it (with its participants, but not
// its timeline or status updates, whose loading would grow with the run's
// age) and saves the run and fn's change, in one transaction, so that
// concurrent updates of one run are applied one after the other and none is
// lost. Participants fn adds are saved; removed ones are kept. Events of
// the change are recorded as the run's whatever their RunID; deleted events
// get as DeleteAt the CreateAt of the change's first event, or now. An
// error from fn aborts without a change and is returned as it is. It
// returns the run as saved, reloaded without its history. ENotFound, also
// for a DeleteEventIDs entry that is not an undeleted event of the run.
func (db *DB) UpdateRun(ctx context.Context, id string, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	return db.updateRun(ctx, id, nil, fn)
}

// updateRun is UpdateRun; locked, when not nil, runs in the transaction
// once the run is locked and before fn, and its error aborts the change.
func (db *DB) updateRun(ctx context.Context, id string, locked func(*sqlx.Tx) error, fn func(*bot.Run) (bot.RunChange, error)) (bot.Run, error) {
	var (
		r     bot.Run
		fnErr error
	)
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r, err = findRun(ctx, tx, "id", id, db.dialect.forUpdate, false); err != nil {
			return err
		}
		if locked != nil {
			if fnErr = locked(tx); fnErr != nil {
				return fnErr
			}
		}
		before := cloneRun(r)
		old := before.ParticipantIDs
		var change bot.RunChange
		if change, fnErr = fn(&r); fnErr != nil {
			return fnErr
		}
		r.ID = id
		removed, err := writeItems(ctx, tx, id, before.Checklists, r.Checklists)
		if err != nil {
			return err
		}
		if err := updateRunRow(ctx, tx, r, removed); err != nil {
			return err
		}
		var added []string
		for _, u := range r.ParticipantIDs {
			if !slices.Contains(old, u) {
				added = append(added, u)
			}
		}
		if err := insertParticipants(ctx, tx, id, added); err != nil {
			return err
		}
		if err := db.saveChange(ctx, tx, id, change); err != nil {
			return err
		}
		r, err = findRun(ctx, tx, "id", id, "", false)
		return err
	})
	if fnErr != nil {
		return bot.Run{}, fnErr
	}
	if err != nil {
		return bot.Run{}, fmt.Errorf("update run %s: %w", id, err)
	}
	return r, nil
}

// updateRunRow writes r's row, adding 1 and removed (the versions of its
// removed items, see item.go) to its version.
func updateRunRow(ctx context.Context, tx *sqlx.Tx, r bot.Run, removed int64) error {
	row, err := newRunRow(r)
	if err != nil {
		return err
	}
	arg := struct {
		runRow
		Removed int64 `db:"removed"`
	}{row, removed}
	_, err = tx.NamedExecContext(ctx, `UPDATE runs SET
		name = :name, description = :description, is_active = :is_active,
		owner_user_id = :owner_user_id, reporter_user_id = :reporter_user_id,
		team_id = :team_id, channel_id = :channel_id, create_at = :create_at,
		end_at = :end_at, delete_at = :delete_at, active_stage = :active_stage,
		active_stage_title = :active_stage_title, post_id = :post_id,
		playbook_id = :playbook_id, checklists = :checklists,
		broadcast_channel_ids = :broadcast_channel_ids,
		last_status_update_at = :last_status_update_at,
		previous_reminder = :previous_reminder,
		checklist_post_id = :checklist_post_id, public = :public, platform = :platform,
		webhook_on_status_update_url = :webhook_on_status_update_url,
		version = version + 1 + :removed
		WHERE id = :id`, arg)
	return conflict(err, "channel %s already has a run", r.ChannelID)
}

// saveChange writes what a run mutation records besides the run row.
func (db *DB) saveChange(ctx context.Context, tx *sqlx.Tx, runID string, c bot.RunChange) error {
	if c.Idempotency != nil {
		if err := insertIdempotencyKey(ctx, tx, *c.Idempotency); err != nil {
			return err
		}
	}
	if err := insertEvents(ctx, tx, runID, c.Events); err != nil {
		return err
	}
	if c.StatusUpdate != nil {
		if err := insertStatusUpdate(ctx, tx, runID, *c.StatusUpdate); err != nil {
			return err
		}
	}
	// The change's own events are dated by the service's clock; prefer that
	// to ours so that a run's history reads consistently.
	at := db.now()
	if len(c.Events) > 0 && c.Events[0].CreateAt != 0 {
		at = c.Events[0].CreateAt
	}
	if err := cancelJobs(ctx, tx, runID, c.CancelJobs, at); err != nil {
		return err
	}
	if err := insertJobs(ctx, tx, runID, c.Jobs); err != nil {
		return err
	}
	if len(c.DeleteEventIDs) == 0 {
		return nil
	}
	return deleteEvents(ctx, tx, runID, c.DeleteEventIDs, at)
}

// runSorts maps the validated sort names of RunFilter to columns; nothing
// else ever reaches the ORDER BY.
var runSorts = map[string]string{
	"": "create_at", "id": "id", "name": "name", "is_active": "is_active",
	"create_at": "create_at", "end_at": "end_at", "team_id": "team_id",
	"owner_user_id": "owner_user_id",
}

// runQuery returns the WHERE clause (without the keyword) selecting f's
// runs and its arguments, and the ORDER BY clause for f's order, with its
// columns qualified by prefix ("" or "r.").
func runQuery(f bot.RunFilter) (where string, args []any, order func(prefix string) string, err error) {
	col, ok := runSorts[f.Sort]
	if !ok {
		return "", nil, nil, bot.FieldErrorf("sort", "sort must be one of %s, got %q",
			strings.Join(bot.RunSortFields, ", "), f.Sort)
	}
	dir, err := orderDirection(f.Direction)
	if err != nil {
		return "", nil, nil, err
	}
	order = func(prefix string) string {
		if col == "id" {
			return prefix + "id " + dir
		}
		return prefix + col + " " + dir + ", " + prefix + "id " + dir
	}
	where, args = runWhere(f)
	return where, args, order, nil
}

// runWhere returns the WHERE clause (without the keyword) selecting f's
// runs, and its arguments.
func runWhere(f bot.RunFilter) (string, []any) {
	conds := []string{"team_id = ?"}
	args := []any{f.TeamID}
	if len(f.Statuses) > 0 {
		active := slices.Contains(f.Statuses, bot.StatusInProgress)
		finished := slices.Contains(f.Statuses, bot.StatusFinished)
		switch {
		case active && !finished:
			conds, args = append(conds, "is_active = ?"), append(args, true)
		case finished && !active:
			conds, args = append(conds, "is_active = ?"), append(args, false)
		case !active && !finished: // only unknown statuses: nothing has them
			conds = append(conds, "1 = 0")
		}
	}
	if f.OwnerID != "" {
		conds, args = append(conds, "owner_user_id = ?"), append(args, f.OwnerID)
	}
	if f.ParticipantID != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM run_participants p
			WHERE p.run_id = runs.id AND p.user_id = ?)`)
		args = append(args, f.ParticipantID)
	}
	if f.OnlyVisible {
		c, a := visibleCond(f.VisibleChannelIDs)
		conds, args = append(conds, c), append(args, a...)
	}
	if f.SearchTerm != "" {
		conds = append(conds, `LOWER(name) LIKE LOWER(?) ESCAPE '\'`)
		args = append(args, likePattern(f.SearchTerm))
	}
	return strings.Join(conds, " AND "), args
}

// visibleCond is the condition keeping the runs a caller may see: public
// ones, those with no channel, and private ones whose channel is one of
// channelIDs (the caller's).
func visibleCond(channelIDs []string) (string, []any) {
	args := []any{true}
	if len(channelIDs) == 0 {
		return "(public = ? OR channel_id = '')", args
	}
	for _, id := range channelIDs {
		args = append(args, id)
	}
	return "(public = ? OR channel_id = '' OR channel_id IN (?" + strings.Repeat(", ?", len(channelIDs)-1) + "))", args
}

// ListRuns returns one page of a team's runs, with the total count. Each
// run comes with its participants and the history f.Include names,
// bounded as Run's.
func (db *DB) ListRuns(ctx context.Context, f bot.RunFilter) (bot.RunList, error) {
	var list bot.RunList
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		var err error
		list, err = listRuns(ctx, tx, f)
		return err
	})
	if err != nil {
		return bot.RunList{}, fmt.Errorf("list runs of team %s: %w", f.TeamID, err)
	}
	return list, nil
}

func listRuns(ctx context.Context, tx *sqlx.Tx, f bot.RunFilter) (bot.RunList, error) {
	if err := checkPage(f.Page, f.PerPage); err != nil {
		return bot.RunList{}, err
	}
	where, args, order, err := runQuery(f)
	if err != nil {
		return bot.RunList{}, err
	}
	var total int
	if err := tx.GetContext(ctx, &total, tx.Rebind(`SELECT COUNT(*) FROM runs WHERE `+where), args...); err != nil {
		return bot.RunList{}, err
	}
	list := bot.RunList{
		TotalCount: total,
		PageCount:  pageCount(total, f.PerPage),
		HasMore:    (f.Page+1)*f.PerPage < total,
		Items:      []bot.Run{},
	}
	if f.Page*f.PerPage >= total {
		return list, nil
	}
	// The page's IDs come from an index alone; only its rows are read in
	// full. Reading whole rows while skipping OFFSET of them costs ten times
	// as much on deep pages.
	var rows []runRow
	q := `SELECT ` + qualify("r.", runColumns) + `, ` + participantsColumn(tx, "r") + ` FROM runs r JOIN (
		SELECT id FROM runs WHERE ` + where + ` ORDER BY ` + order("") + ` LIMIT ? OFFSET ?
		) page ON page.id = r.id ORDER BY ` + order("r.")
	args = append(args, f.PerPage, f.Page*f.PerPage)
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return bot.RunList{}, err
	}
	for _, row := range rows {
		r, err := row.run()
		if err != nil {
			return bot.RunList{}, err
		}
		list.Items = append(list.Items, r)
	}
	if err := loadRunParts(ctx, tx, list.Items, f.Include); err != nil {
		return bot.RunList{}, err
	}
	if err := loadItems(ctx, tx, list.Items); err != nil {
		return bot.RunList{}, err
	}
	return list, nil
}

// RunOwners returns the distinct owner IDs of the runs of f's team that
// f's visibility keeps, sorted; f's other fields are ignored.
func (db *DB) RunOwners(ctx context.Context, f bot.RunFilter) ([]string, error) {
	ids := []string{}
	where, args := runWhere(bot.RunFilter{TeamID: f.TeamID, OnlyVisible: f.OnlyVisible, VisibleChannelIDs: f.VisibleChannelIDs})
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ids, tx.Rebind(
			`SELECT DISTINCT owner_user_id FROM runs WHERE `+where+` AND owner_user_id <> ''`), args...)
	})
	if err != nil {
		return nil, fmt.Errorf("list run owners of team %s: %w", f.TeamID, err)
	}
	slices.Sort(ids) // in Go, not SQL: the database's collation may differ
	return ids, nil
}

// PrivateRunChannels returns the channels of the private runs matching f's
// team, statuses, owner, participant and search term (its visibility,
// order and paging are ignored), ordered by channel ID.
func (db *DB) PrivateRunChannels(ctx context.Context, f bot.RunFilter) ([]bot.RunChannel, error) {
	f.OnlyVisible, f.VisibleChannelIDs = false, nil
	where, args := runWhere(f)
	var rows []struct {
		ChannelID string `db:"channel_id"`
		Platform  string `db:"platform"`
	}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT channel_id, platform FROM runs WHERE `+where+
			` AND public = ? AND channel_id <> '' ORDER BY channel_id`), append(args, false)...)
	})
	if err != nil {
		return nil, fmt.Errorf("list private run channels of team %s: %w", f.TeamID, err)
	}
	out := make([]bot.RunChannel, len(rows))
	for i, r := range rows {
		out[i] = bot.RunChannel{ChannelID: r.ChannelID, Platform: r.Platform}
	}
	return out, nil
}

// RunChannels returns the non-empty channel IDs of the runs matching f, all
// pages, in f's order.
func (db *DB) RunChannels(ctx context.Context, f bot.RunFilter) ([]string, error) {
	ids := []string{}
	err := db.read(ctx, func(tx *sqlx.Tx) error {
		where, args, order, err := runQuery(f)
		if err != nil {
			return err
		}
		q := `SELECT channel_id FROM runs WHERE ` + where + ` AND channel_id <> '' ORDER BY ` + order("")
		return tx.SelectContext(ctx, &ids, tx.Rebind(q), args...)
	})
	if err != nil {
		return nil, fmt.Errorf("list run channels of team %s: %w", f.TeamID, err)
	}
	return ids, nil
}
