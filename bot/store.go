package bot

import "context"

// RunChange is what a run mutation writes besides the run row itself, in
// the same transaction.
type RunChange struct {
	Events         []TimelineEvent // appended to the timeline
	StatusUpdate   *StatusUpdate   // inserted when not nil
	DeleteEventIDs []string        // timeline events to soft-delete (DeleteAt = now)
	// CancelJobs are kinds of job (JobReminder) whose pending jobs of the
	// run are cancelled, before Jobs are inserted.
	CancelJobs []string
	Jobs       []Job // inserted, as the run's whatever their RunID
	// Idempotency, when not nil, is inserted first (the status update's
	// key): ErrIdempotencyKeyTaken, and nothing changed, when its scope
	// holds the key unexpired.
	Idempotency *IdempotentRequest
}

// ItemRef names a checklist item of a run: by its ID when ItemID is set,
// else by the indexes of its checklist in the run and of the item in it.
type ItemRef struct {
	Checklist, Item int
	ItemID          string
}

// RunItem is one checklist item of a run, where it is, with the run: what
// an item change (RunStore.UpdateItem) sees, changes and returns. So that
// such a change costs the same however long the run's checklists, Run
// carries its checklists' IDs and titles but not their items (Items empty),
// unless ref named no item (Found false): Run then carries all its items,
// as UpdateRun's fn sees them, so that the caller can say why.
type RunItem struct {
	Run                 Run
	Checklist, Position int           // the item's indexes in the run, when Found
	Item                ChecklistItem // the item as last saved, when Found
	Found               bool
}

// PlaybookStore persists playbooks.
type PlaybookStore interface {
	// CreatePlaybook inserts p. EConflict if its ID exists.
	CreatePlaybook(ctx context.Context, p Playbook) error
	// Playbook returns the playbook with the given ID, archived or not. ENotFound.
	Playbook(ctx context.Context, id string) (Playbook, error)
	// UpdatePlaybook loads the playbook, calls fn on it and saves the result,
	// in one transaction; an error from fn aborts without a change. ENotFound.
	UpdatePlaybook(ctx context.Context, id string, fn func(*Playbook) error) (Playbook, error)
	// ListPlaybooks returns one page of a team's playbooks.
	ListPlaybooks(ctx context.Context, f PlaybookFilter) (PlaybookList, error)
	// AutoFollows returns the IDs of the users following the playbook, sorted.
	AutoFollows(ctx context.Context, playbookID string) ([]string, error)
	// SetAutoFollow adds (follow) or removes the user from the playbook's followers.
	SetAutoFollow(ctx context.Context, playbookID, userID string, follow bool) error
}

// RunStore persists runs with their participants, status updates and timeline.
type RunStore interface {
	// CreateRun inserts r, its participants, the given timeline events and
	// jobs. EConflict if its ID exists.
	CreateRun(ctx context.Context, r Run, events []TimelineEvent, jobs ...Job) error
	// Run returns the run with its newest status updates and undeleted
	// timeline events, HistoryLimit of each at most, oldest first, and
	// their totals. ENotFound.
	Run(ctx context.Context, id string) (Run, error)
	// RunState returns the run with its participants but without its
	// status updates and timeline (nil): a read whose cost does not grow
	// with the run's age. ENotFound.
	RunState(ctx context.Context, id string) (Run, error)
	// RunAccess returns what decides who may see and change the run, and
	// nothing else: its ID, team, channel, platform and whether it is
	// public (every other field zero), in one read of its row. ENotFound.
	RunAccess(ctx context.Context, id string) (Run, error)
	// RunByChannel returns the run whose channel is channelID, with its
	// history as Run. ENotFound.
	RunByChannel(ctx context.Context, channelID string) (Run, error)
	// UpdateRun locks the run, calls fn on it and saves the run and fn's
	// change, in one transaction, so that concurrent updates of one run are
	// applied one after the other and none is lost. The run fn sees, and the
	// one returned, carry the participants but not the status updates or
	// timeline (nil), so an update costs the same however old the run. An
	// error from fn aborts without a change. ENotFound, also when a
	// DeleteEventIDs entry is not an undeleted event of the run.
	UpdateRun(ctx context.Context, id string, fn func(*Run) (RunChange, error)) (Run, error)
	// UpdateItem is UpdateRun for a change of one checklist item (its
	// state, assignee, or when its command last ran), and of nothing else
	// of the run but added participants: the item ref names is locked,
	// not the run, so that changes of distinct items of one run do not
	// wait on each other, while changes of the run's structure (adding,
	// moving, removing items) still exclude them. fn sees the run's row
	// and participants and ref's item as last saved, but not the run's
	// other items (see RunItem); when ref names no item, fn is called all
	// the same, to say why (it must then change nothing). A change of
	// anything but ri.Item and added participants is refused with an
	// error and nothing saved. It returns what fn left. ENotFound.
	UpdateItem(ctx context.Context, id string, ref ItemRef, fn func(ri *RunItem) (RunChange, error)) (RunItem, error)
	// RefreshPost brings the run's checklist post up to date: under a lock
	// of the run's post, held across replicas and not the run's row lock
	// (changes of the run do not wait for it), it reads the run (as
	// RunState) and, unless force is false and the post exists and shows
	// the run's latest version already, calls show, which posts or rewrites
	// the post and returns its ID ("" for unchanged); it then records the
	// ID and that the post shows the version read. Each write of the run
	// (CreateRun, UpdateRun) makes a new version; recording the post does
	// not. It reports whether show was called; show's error is returned as
	// it is, with nothing recorded. ENotFound.
	RefreshPost(ctx context.Context, id string, force bool, show func(Run) (string, error)) (bool, error)
	// ListRuns returns one page of a team's runs, with the total count,
	// their participants and the history f.Include names, bounded as Run's,
	// with a number of queries that does not grow with the page.
	ListRuns(ctx context.Context, f RunFilter) (RunList, error)
	// RunOwners returns the distinct owner IDs of the runs of f's team
	// that f's visibility (OnlyVisible) keeps, sorted; f's other fields
	// are ignored.
	RunOwners(ctx context.Context, f RunFilter) ([]string, error)
	// ListTasks returns one page of the checklist items of the runs that
	// runs selects (its team, statuses and visibility; its other fields are
	// ignored), filtered, ordered and paged as f says (validated, defaults
	// filled in), with their total count. now (Unix ms) decides Overdue.
	ListTasks(ctx context.Context, runs RunFilter, f TaskFilter, now int64) (TaskPage, error)
	// PrivateRunChannels returns the channels of the private runs (not
	// Public, with a channel) matching f's team, statuses, owner,
	// participant and search term, all pages: the channels whose
	// membership decides what a caller may see of f.
	PrivateRunChannels(ctx context.Context, f RunFilter) ([]RunChannel, error)
	// RunChannels returns the non-empty channel IDs of the runs matching f,
	// all pages, in f's order.
	RunChannels(ctx context.Context, f RunFilter) ([]string, error)
}

// TimelineStore reads a run's timeline without loading the run.
type TimelineStore interface {
	// TimelineEvents returns a page of the undeleted timeline events of
	// the run runID, at most limit (1 to 10,000), in time order, from the
	// cursor after ("" for the first page; otherwise a Next of a page the
	// store returned for that run, or EInvalid). A run without events, or
	// that does not exist, has one empty page.
	TimelineEvents(ctx context.Context, runID, after string, limit int) (TimelinePage, error)
	// TimelineEvent returns the undeleted timeline event eventID of the run
	// runID. ENotFound.
	TimelineEvent(ctx context.Context, runID, eventID string) (TimelineEvent, error)
}

// TokenStore persists API tokens (their hashes only). Issuing and
// revoking write their audit event in the transaction of the change.
type TokenStore interface {
	// CreateToken inserts t and its audit event e. EConflict if its ID or
	// hash exists.
	CreateToken(ctx context.Context, t Token, e AuditEvent) error
	// TokenByHash returns the token with the given hash, revoked or not. ENotFound.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// TokenByID returns the token with the given ID, revoked or not. ENotFound.
	TokenByID(ctx context.Context, id string) (Token, error)
	// ListTokens returns the tokens of userID, every token when "",
	// oldest first.
	ListTokens(ctx context.Context, userID string) ([]Token, error)
	// RevokeToken sets the token's RevokeAt to at and writes e, unless it
	// is revoked already: then it changes and writes nothing and reports
	// false. ENotFound.
	RevokeToken(ctx context.Context, id string, at int64, e AuditEvent) (bool, error)
	// TouchToken sets the token's LastUsedAt to at if it is before
	// staleBefore, and reports whether it did, so that of replicas seeing
	// one use at once, one writes it.
	TouchToken(ctx context.Context, id string, at, staleBefore int64) (bool, error)
}

// SeenStore remembers keys for a while, for every replica at once: the
// signatures of requests already accepted (to refuse replays) and the
// submissions already handled (to handle each once).
type SeenStore interface {
	// Remember records key until expiresAt (ms since the epoch) and reports
	// whether it is new: not recorded, or recorded but expired at now.
	Remember(ctx context.Context, key string, now, expiresAt int64) (bool, error)
	// Forget removes key, so that the same key is new again.
	Forget(ctx context.Context, key string) error
}

// Store is everything the core persists.
type Store interface {
	PlaybookStore
	RunStore
	TimelineStore
	TokenStore
	ClientStore
	AuditStore
	AdminSessionStore
	SeenStore
	JobStore
	IdempotencyStore
}
