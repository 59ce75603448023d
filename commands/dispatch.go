package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Dispatcher runs /playbook commands, dialog submissions and dynamic lookups against the use cases.
type Dispatcher struct {
	svc    *bot.Service
	users  UserResolver
	runURL func(bot.Run) string
	log    *slog.Logger
}

// UserResolver finds a chat user by username, so that commands can take
// @username where the use cases want a user ID. When it also has a method
// User(ctx, userID string) (bot.User, error), as a bot.Chat does, replies
// name users by their username instead of their ID.
type UserResolver interface {
	// UserByName returns the user with the given username (no "@"). ENotFound.
	UserByName(ctx context.Context, name string) (bot.User, error)
}

// userNamer is the optional half of a UserResolver: the reverse lookup.
type userNamer interface {
	User(ctx context.Context, userID string) (bot.User, error)
}

// userIDChecker is the optional part of a UserResolver that knows the shape
// of its platform's user IDs, as the chat adapters' clients do.
type userIDChecker interface {
	ValidID(id string) bool
}

// isUserID reports whether a command argument is a user ID rather than a
// username: by the resolver's platform rule when it has one, else when it
// has the shape of the IDs this server makes.
func (d *Dispatcher) isUserID(s string) bool {
	if c, ok := d.users.(userIDChecker); ok {
		return c.ValidID(s)
	}
	return bot.OwnID(s)
}

// NewDispatcher returns a Dispatcher over the use cases of svc. It cannot
// resolve @usernames until WithUsers gives it a resolver.
func NewDispatcher(svc *bot.Service) *Dispatcher {
	return &Dispatcher{svc: svc, log: slog.Default()}
}

// WithUsers makes d resolve @usernames with r, and returns d.
func (d *Dispatcher) WithUsers(r UserResolver) *Dispatcher {
	d.users = r
	return d
}

// WithRunURL makes replies that name a run link its name to url(run), and
// returns d. Without it, they link to the Service's DetailsURL.
func (d *Dispatcher) WithRunURL(url func(bot.Run) string) *Dispatcher {
	d.runURL = url
	return d
}

// WithLogger makes d log internal errors, which users only see as
// "internal error", to l (slog.Default() otherwise), and returns d.
func (d *Dispatcher) WithLogger(l *slog.Logger) *Dispatcher {
	if l == nil {
		l = slog.Default()
	}
	d.log = l
	return d
}

// call is one command being run: the request, its subcommand and arguments,
// and, for commands that need one, the run of the request's channel.
type call struct {
	Request
	cmd  Command
	args []string
	run  bot.Run
}

// usageError is a mistake in a command's arguments; its reply shows the
// command's usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// notInRun is the reply to a run command outside a run's channel.
const notInRun = "This command works in a run's channel; use `/playbook list` to find one."

// Dispatch runs one /playbook command. Errors become an ephemeral Response whose text says what was wrong and shows the right usage; it never returns a Go error.
func (d *Dispatcher) Dispatch(ctx context.Context, req Request) Response {
	fields := strings.Fields(req.Text)
	if len(fields) == 0 {
		return Response{Text: HelpText()}
	}
	name := strings.ToLower(fields[0])
	cmd, ok := lookup(name)
	if !ok {
		return Response{Text: fmt.Sprintf("Unknown command %q.\nUsage: `/playbook %s`; `/playbook help` explains each command.",
			fields[0], AutocompleteHint())}
	}
	c := &call{Request: req, cmd: cmd, args: fields[1:]}
	if err := checkArgCount(cmd, c.args); err != nil {
		return d.fail(ctx, c, err)
	}
	if cmd.needsRun {
		r, err := d.svc.RunByChannel(ctx, req.Actor, req.ChannelID)
		if bot.ErrorCode(err) == bot.ENotFound {
			return Response{Text: notInRun}
		} else if err != nil {
			return d.fail(ctx, c, err)
		}
		c.run = r
	}
	resp, err := cmd.handle(d, ctx, c)
	if err != nil {
		return d.fail(ctx, c, err)
	}
	if resp.Dialog != nil {
		if err := dialogs.Validate(*resp.Dialog); err != nil {
			return d.fail(ctx, c, fmt.Errorf("build dialog: %w", err))
		}
	}
	return resp
}

// checkArgCount checks the number of arguments against the registry.
func checkArgCount(cmd Command, args []string) error {
	if len(args) < cmd.min {
		return usagef("Missing %s.", argName(cmd, len(args)))
	}
	if cmd.max >= 0 && len(args) > cmd.max {
		extra := args[cmd.max:]
		if cmd.max == 0 {
			return usagef("`%s` takes no arguments, got %q.", cmd.Name, strings.Join(extra, " "))
		}
		return usagef("Too many arguments: %q.", strings.Join(extra, " "))
	}
	return nil
}

// argName is the name of argument i of cmd, as its usage spells it.
func argName(cmd Command, i int) string {
	f := strings.Fields(strings.NewReplacer("[", "", "]", "").Replace(cmd.Usage()))
	if i < len(f) {
		return f[i]
	}
	return "an argument"
}

// fail turns err into the ephemeral reply: a usage error with the command's
// usage, a bot.Error's message, or "internal error", logged with its cause.
func (d *Dispatcher) fail(ctx context.Context, c *call, err error) Response {
	var ue *usageError
	if errors.As(err, &ue) {
		return Response{Text: ue.msg + "\nUsage: `" + c.cmd.UsageLine() + "`" + usageNote(c.cmd)}
	}
	if bot.ErrorCode(err) == bot.EInternal {
		d.log.ErrorContext(ctx, "playbook command", "command", c.cmd.Name, "user_id", c.Actor.UserID,
			"channel_id", c.ChannelID, "error", err)
	}
	return Response{Text: bot.ErrorMessage(err)}
}

// usageNote recalls the numbering for the commands that take indexes.
func usageNote(cmd Command) string {
	if strings.Contains(cmd.Usage(), "<checklist>") {
		return "\n" + indexNote
	}
	return ""
}

// index parses an index argument named name (e.g. "<item>").
func index(s, name string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, usagef("%s must be a number, got %q.", name, s)
	}
	if n < 0 {
		return 0, usagef("%s must be 0 or more, got %d.", name, n)
	}
	return n, nil
}

// checklistArg parses a checklist index of r.
func checklistArg(r bot.Run, s string) (int, error) {
	c, err := index(s, "<checklist>")
	if err != nil {
		return 0, err
	}
	switch {
	case len(r.Checklists) == 0:
		return 0, usagef("This run has no checklists.")
	case c >= len(r.Checklists):
		return 0, usagef("Checklist %d does not exist; this run has checklists 0 to %d.", c, len(r.Checklists)-1)
	}
	return c, nil
}

// itemArgs parses a checklist index and an item index of r.
func itemArgs(r bot.Run, cs, is string) (int, int, error) {
	c, err := checklistArg(r, cs)
	if err != nil {
		return 0, 0, err
	}
	i, err := index(is, "<item>")
	if err != nil {
		return 0, 0, err
	}
	l := r.Checklists[c]
	switch {
	case len(l.Items) == 0:
		return 0, 0, usagef("Checklist %d (%s) has no items.", c, l.Title)
	case i >= len(l.Items):
		return 0, 0, usagef("Item %d does not exist; checklist %d (%s) has items 0 to %d.", i, c, l.Title, len(l.Items)-1)
	}
	return c, i, nil
}

// resolveUser turns a command argument into a user ID: a user ID as is, a
// @username (or bare username) through the resolver.
func (d *Dispatcher) resolveUser(ctx context.Context, arg string) (string, error) {
	name := strings.TrimPrefix(arg, "@")
	if d.isUserID(name) && !strings.HasPrefix(arg, "@") {
		return name, nil
	}
	if name == "" {
		return "", usagef("Give a @username or a user ID.")
	}
	if d.users == nil {
		return "", usagef("Cannot look up @%s here; give the user's ID instead.", name)
	}
	u, err := d.users.UserByName(ctx, name)
	if bot.ErrorCode(err) == bot.ENotFound {
		return "", usagef("There is no user @%s.", name)
	} else if err != nil {
		return "", fmt.Errorf("look up user %s: %w", name, err)
	}
	return u.ID, nil
}

// userMentioner is the optional part of a UserResolver that writes a
// mention its platform notifies (bot.Chat's Mention).
type userMentioner interface {
	Mention(ctx context.Context, userID string) string
}

// mention names a user in a reply as the platform mentions them (Slack's
// <@U…>, Mattermost's @username), so that an in-channel reply notifies
// them; userName when the resolver cannot.
func (d *Dispatcher) mention(ctx context.Context, id string) string {
	if id == "" {
		return "nobody"
	}
	if m, ok := d.users.(userMentioner); ok {
		return m.Mention(ctx, id)
	}
	return d.userName(ctx, id)
}

// userName names a user in a reply: @username when the resolver can say it,
// else the ID. Lookup failures fall back to the ID: the name is cosmetic.
func (d *Dispatcher) userName(ctx context.Context, id string) string {
	if id == "" {
		return "nobody"
	}
	if n, ok := d.users.(userNamer); ok {
		if u, err := n.User(ctx, id); err == nil && u.Username != "" {
			return "@" + u.Username
		}
	}
	return id
}

// runName is a run's name for a reply, as a Markdown link to its details
// page: WithRunURL's URL when set, else the Service's DetailsURL (signed
// when the server signs links); in bold when there is no URL. The name is
// escaped for link text.
//
// A signed link lets whoever holds it read the run: replies that name a
// run go only where its channel's members see them (an in-channel reply
// to a command typed in the run's channel, or an answer to the user who
// acted), never to another channel.
func (d *Dispatcher) runName(r bot.Run) string {
	return bot.MarkdownLink(r.Name, d.runLink(r))
}

// runLink is the URL runName links to; "" for none.
func (d *Dispatcher) runLink(r bot.Run) string {
	if d.runURL != nil {
		return d.runURL(r)
	}
	return d.svc.DetailsURL(r)
}

// runTitle is a run's name for a heading: linked like runName, as it is
// when there is no URL.
func (d *Dispatcher) runTitle(r bot.Run) string {
	if u := d.runLink(r); u != "" {
		return bot.MarkdownLink(r.Name, u)
	}
	return r.Name
}
