package bot

import "context"

// Chat is the port to the chat platform a run lives on (Mattermost, Slack).
// NoChat is the implementation for a server with no platform configured.
type Chat interface {
	// CreateChannel creates the run's channel and adds its members, and
	// returns the channel's ID; "" when there is no platform.
	CreateChannel(ctx context.Context, c NewChannel) (string, error)
	// ChannelStats describes a channel. ENotFound.
	ChannelStats(ctx context.Context, channelID string) (RunMetadata, error)
	// User returns a user's name. ENotFound.
	User(ctx context.Context, userID string) (User, error)
	// Mention is how a chat message names a user so that the platform
	// notifies them: Mattermost's @username, Slack's <@U…>. It never
	// fails: a user the platform cannot name is shown by ID.
	Mention(ctx context.Context, userID string) string
	// RunCommand executes a slash command in a channel as a user and returns
	// its trigger ID. EInvalid when there is no platform.
	RunCommand(ctx context.Context, channelID, userID, command string) (string, error)
	// Post posts a message (Markdown) as the bot in a channel and returns the
	// post's ID.
	Post(ctx context.Context, channelID, message string) (string, error)
	// MemberChannels returns those of channelIDs (channels of private runs
	// on this platform) that userID is a member of, in any order. A channel
	// the platform does not know, or that the bot may not read, counts as
	// one the user is not in: the answer decides what the user may see, so
	// doubt hides. An error means the platform could not answer at all.
	MemberChannels(ctx context.Context, userID string, channelIDs []string) ([]string, error)
	// AddChannelMember adds a user to a run's channel; adding a member
	// again is not an error. The error is a *Error saying why when the
	// platform refused (EForbidden, ENotFound, EInvalid).
	AddChannelMember(ctx context.Context, channelID, userID string) error
	// PostReminder posts message in the run's channel, asking its owner
	// for a status update, with an "Update status" control that opens the
	// status update dialog and Snooze choices (SnoozeOptions) that call
	// Service.SnoozeReminder.
	PostReminder(ctx context.Context, r Run, message string) (string, error)
	// ShowRun posts the run's checklist message in its channel, with a
	// control per item to check it, or, when r.ChecklistPostID is set,
	// rewrites that post in place. It returns the post's ID.
	ShowRun(ctx context.Context, r Run) (string, error)
}

// NewChannel describes the channel to create for a run.
type NewChannel struct {
	TeamID      string
	DisplayName string
	Public      bool
	MemberIDs   []string
}

// User is a chat user.
type User struct {
	ID       string
	Username string
	// SystemAdmin is a system admin of the chat platform (Mattermost's
	// system_admin role, a Slack workspace admin or owner): who may ask
	// for a link to the admin page (/playbook admin).
	SystemAdmin bool
}

// NoChat is the Chat of a server with no chat platform configured: runs get
// no channel, users are known by their IDs, and slash commands cannot run.
type NoChat struct{}

var _ Chat = NoChat{}

// CreateChannel creates nothing and returns "".
func (NoChat) CreateChannel(context.Context, NewChannel) (string, error) { return "", nil }

// ChannelStats returns empty metadata: without a platform there is no channel.
func (NoChat) ChannelStats(context.Context, string) (RunMetadata, error) {
	return RunMetadata{}, nil
}

// User returns a user named by their ID.
func (NoChat) User(_ context.Context, userID string) (User, error) {
	return User{ID: userID, Username: userID}, nil
}

// Mention names a user by their ID: without a platform nobody is notified.
func (NoChat) Mention(_ context.Context, userID string) string { return userID }

// Post posts nothing.
func (NoChat) Post(context.Context, string, string) (string, error) { return "", nil }

// MemberChannels returns every channel: without a platform there are no
// channels to be kept out of.
func (NoChat) MemberChannels(_ context.Context, _ string, channelIDs []string) ([]string, error) {
	return channelIDs, nil
}

// AddChannelMember adds nobody: without a platform there are no channels.
func (NoChat) AddChannelMember(context.Context, string, string) error { return nil }

// PostReminder posts nothing.
func (NoChat) PostReminder(context.Context, Run, string) (string, error) { return "", nil }

// ShowRun shows nothing.
func (NoChat) ShowRun(context.Context, Run) (string, error) { return "", nil }

// RunCommand always fails with EInvalid.
func (NoChat) RunCommand(context.Context, string, string, string) (string, error) {
	return "", Errorf(EInvalid, "no chat platform configured")
}
