package bot

// Run statuses, as the API's statuses filter spells them.
const (
	StatusInProgress = "InProgress"
	StatusFinished   = "Finished"
)

// Run is one incident being worked through a playbook's checklists. Its
// checklists are a copy taken at creation: later edits of the playbook do
// not change it.
type Run struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name"`
	Description         string          `json:"description"`
	IsActive            bool            `json:"is_active"`
	CurrentStatus       string          `json:"current_status"`
	OwnerUserID         string          `json:"owner_user_id"`
	ReporterUserID      string          `json:"reporter_user_id"`
	TeamID              string          `json:"team_id"`
	ChannelID           string          `json:"channel_id"`
	ChecklistPostID     string          `json:"checklist_post_id"`
	Platform            string          `json:"platform"` // the chat platform of its channel: "mattermost", "slack" or "" for none
	Public              bool            `json:"public"`   // its channel is public (the playbook's create_public_playbook_run)
	CreateAt            int64           `json:"create_at"`
	EndAt               int64           `json:"end_at"`
	DeleteAt            int64           `json:"delete_at"`
	ActiveStage         int             `json:"active_stage"`
	ActiveStageTitle    string          `json:"active_stage_title"`
	PostID              string          `json:"post_id"`
	PlaybookID          string          `json:"playbook_id"`
	Checklists          []Checklist     `json:"checklists"`
	ParticipantIDs      []string        `json:"participant_ids"`
	BroadcastChannelIDs []string        `json:"broadcast_channel_ids"`
	LastStatusUpdateAt  int64           `json:"last_status_update_at"`
	PreviousReminder    int64           `json:"previous_reminder"`              // seconds, of the latest status update
	StatusUpdates       []StatusUpdate  `json:"status_updates,omitzero"`        // see TimelineEvents
	TimelineEvents      []TimelineEvent `json:"timeline_events,omitzero"`       // oldest first, the newest HistoryLimit at most; nil (left out of the JSON) when not loaded
	StatusUpdatesTotal  int             `json:"status_updates_total,omitzero"`  // see TimelineEventsTotal
	TimelineEventsTotal int             `json:"timeline_events_total,omitzero"` // the run's undeleted events when loaded: more than len(TimelineEvents) means older ones were left out (the export has all)
	// WebhookOnStatusUpdateURL is its playbook's status-update webhook when
	// the run was created, "" for none.
	WebhookOnStatusUpdateURL string `json:"webhook_on_status_update_url"`
	// DetailsURL is not stored: the Service sets it to DetailsURL(r) on the
	// copy it hands to Chat.ShowRun and Chat.PostReminder, which post in
	// the run's channel and link the run's name to it; "" elsewhere.
	DetailsURL string `json:"-"`
}

// StatusUpdate is one status message posted on a run. Reminder is the number
// of seconds after which the owner is to be reminded to post the next one; 0
// means no reminder.
type StatusUpdate struct {
	ID       string `json:"id"`
	RunID    string `json:"playbook_run_id"`
	UserID   string `json:"user_id"`
	Message  string `json:"message"`
	Reminder int64  `json:"reminder"`
	CreateAt int64  `json:"create_at"`
}

// Sort fields for ListRuns, as the API spells them.
var RunSortFields = []string{"id", "name", "is_active", "create_at", "end_at", "team_id", "owner_user_id"}

// RunFilter selects and orders a page of runs of one team. Empty fields do
// not filter.
type RunFilter struct {
	TeamID        string
	Statuses      []string // InProgress, Finished
	OwnerID       string
	ParticipantID string
	SearchTerm    string // case-insensitive substring of the name
	// OnlyVisible, when set, keeps a private run (not Public, with a
	// channel) only when its channel is one of VisibleChannelIDs: the
	// channels of private runs the caller is a member of. Public runs and
	// runs with no channel are kept. Service sets both for every caller
	// but an admin (the rule is in visibility.go); edges leave them unset.
	OnlyVisible       bool
	VisibleChannelIDs []string
	Sort              string // one of RunSortFields
	Direction         string // asc or desc
	Page              int
	PerPage           int
	// Include names the history each listed run carries (RunIncludes),
	// bounded as Run's: none by default, so that a page's size does not
	// grow with its runs' age.
	Include RunInclude
}

// HistoryLimit is the most timeline events, and the most status updates,
// a run carries when read with its history: the newest ones. The timeline
// export pages through all of them.
const HistoryLimit = 1000

// Values of the list's include parameter, as the API spells them.
const (
	IncludeTimelineEvents = "timeline_events"
	IncludeStatusUpdates  = "status_updates"
)

// RunIncludes are the values the list's include parameter takes.
var RunIncludes = []string{IncludeTimelineEvents, IncludeStatusUpdates}

// RunInclude says which parts of their history listed runs carry.
type RunInclude struct {
	TimelineEvents bool
	StatusUpdates  bool
}

// TimelinePage is one page of a run's undeleted timeline events, in time
// order (event time, then the order they were written).
type TimelinePage struct {
	Events []TimelineEvent
	// Next is the cursor of the following page, "" after the last one. It
	// is opaque: only the store that made it reads it.
	Next string
}

// RunChannel is the channel of a run, on its chat platform.
type RunChannel struct {
	ChannelID string
	Platform  string
}

// RunList is one page of runs.
type RunList struct {
	TotalCount int   `json:"total_count"`
	PageCount  int   `json:"page_count"`
	HasMore    bool  `json:"has_more"`
	Items      []Run `json:"items"`
}

// RunMetadata describes a run's channel as the chat platform sees it.
type RunMetadata struct {
	ChannelName        string `json:"channel_name"`
	ChannelDisplayName string `json:"channel_display_name"`
	TeamName           string `json:"team_name"`
	NumMembers         int64  `json:"num_members"`
	TotalPosts         int64  `json:"total_posts"`
}

// OwnerInfo names a user who owns at least one run.
type OwnerInfo struct {
	UserID   string `json:"user_id"`
	Username string `json:"username"`
}

// AutocompleteItem is one checklist item offered to /playbook check.
type AutocompleteItem struct {
	Item     string `json:"item"`
	Hint     string `json:"hint"`
	HelpText string `json:"helptext"`
}
