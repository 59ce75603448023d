package bot

// Playbook is a template for runs: its checklists (stages) are copied into
// every run created from it, along with the settings below.
type Playbook struct {
	ID                           string      `json:"id"`
	Title                        string      `json:"title"`
	Description                  string      `json:"description"`
	TeamID                       string      `json:"team_id"`
	CreatePublicPlaybookRun      bool        `json:"create_public_playbook_run"`
	Public                       bool        `json:"public"`
	CreateAt                     int64       `json:"create_at"`
	UpdateAt                     int64       `json:"update_at"`
	DeleteAt                     int64       `json:"delete_at"`
	NumStages                    int64       `json:"num_stages"`
	NumSteps                     int64       `json:"num_steps"`
	Checklists                   []Checklist `json:"checklists"`
	MemberIDs                    []string    `json:"member_ids"`
	BroadcastChannelIDs          []string    `json:"broadcast_channel_ids"`
	InvitedUserIDs               []string    `json:"invited_user_ids"`
	InviteUsersEnabled           bool        `json:"invite_users_enabled"`
	DefaultOwnerID               string      `json:"default_owner_id"`
	DefaultOwnerEnabled          bool        `json:"default_owner_enabled"`
	AnnouncementChannelID        string      `json:"announcement_channel_id"`
	AnnouncementChannelEnabled   bool        `json:"announcement_channel_enabled"`
	WebhookOnCreationURL         string      `json:"webhook_on_creation_url"`
	WebhookOnCreationEnabled     bool        `json:"webhook_on_creation_enabled"`
	WebhookOnStatusUpdateURL     string      `json:"webhook_on_status_update_url"`
	WebhookOnStatusUpdateEnabled bool        `json:"webhook_on_status_update_enabled"`
}

// Checklist is one stage of a playbook or run: a titled list of items.
type Checklist struct {
	ID    string          `json:"id"`
	Title string          `json:"title"`
	Items []ChecklistItem `json:"items"`
}

// Item states, as the API spells them. The empty string is an open item.
const (
	ItemOpen       = ""
	ItemInProgress = "in_progress"
	ItemClosed     = "closed"
)

// ValidItemState reports whether s is one of the three item states.
func ValidItemState(s string) bool {
	return s == ItemOpen || s == ItemInProgress || s == ItemClosed
}

// ChecklistItem is one task of a checklist.
type ChecklistItem struct {
	ID               string `json:"id"`
	Title            string `json:"title"`
	State            string `json:"state"`
	StateModified    int64  `json:"state_modified"`
	AssigneeID       string `json:"assignee_id"`
	AssigneeModified int64  `json:"assignee_modified"`
	Command          string `json:"command"`
	CommandLastRun   int64  `json:"command_last_run"`
	Description      string `json:"description"`
	// DueDate is when the item is due, in Unix milliseconds; 0 for none.
	// Copied from playbook to run with the rest of the item.
	DueDate int64 `json:"due_date"`
}

// Sort orders for ListPlaybooks.
const (
	PlaybookSortTitle  = "title"
	PlaybookSortStages = "stages"
	PlaybookSortSteps  = "steps"
)

// PlaybookFilter selects and orders a page of playbooks of one team.
type PlaybookFilter struct {
	TeamID       string
	Page         int
	PerPage      int
	Sort         string // title, stages or steps
	Direction    string // asc or desc
	WithArchived bool
}

// PlaybookList is one page of playbooks.
type PlaybookList struct {
	TotalCount int        `json:"total_count"`
	PageCount  int        `json:"page_count"`
	HasMore    bool       `json:"has_more"`
	Items      []Playbook `json:"items"`
}

// Autofollows lists the users who follow every new run of a playbook.
type Autofollows struct {
	TotalCount int      `json:"total_count"`
	Items      []string `json:"items"`
}
