package bot

// Timeline event types. The first ones are the plugin's; the rest are ours.
const (
	EventRunCreated       = "incident_created"
	EventStatusUpdated    = "status_updated"
	EventOwnerChanged     = "owner_changed"
	EventAssigneeChanged  = "assignee_changed"
	EventTaskStateChanged = "task_state_modified"
	EventRanSlashCommand  = "ran_slash_command"
	EventRunFinished      = "run_finished"
	EventRunRestarted     = "run_restored"
	EventStageChanged     = "stage_changed"
	EventItemAdded        = "checklist_item_added"
	EventItemMoved        = "checklist_item_moved"
	EventItemUpdated      = "checklist_item_updated"
	EventItemDeleted      = "checklist_item_deleted"
	EventEventDeleted     = "timeline_event_deleted"
	EventReminderSent     = "reminder_sent"
	EventReminderSet      = "reminder_scheduled"
	EventReminderCanceled = "reminder_cancelled"
	EventReminderSnoozed  = "reminder_snoozed"
)

// TimelineEvent records one change of a run. Deleting an event sets
// DeleteAt; deleted events are kept but not shown.
type TimelineEvent struct {
	ID            string `json:"id"`
	RunID         string `json:"playbook_run_id"`
	CreateAt      int64  `json:"create_at"`
	DeleteAt      int64  `json:"delete_at"`
	EventAt       int64  `json:"event_at"`
	EventType     string `json:"event_type"`
	Summary       string `json:"summary"`
	Details       string `json:"details"`
	PostID        string `json:"post_id"`
	SubjectUserID string `json:"subject_user_id"`
	CreatorUserID string `json:"creator_user_id"`
}
