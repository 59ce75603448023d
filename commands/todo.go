package commands

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/playbooks-bot/playbooks/bot"
)

// maxTodo is the most entries each list of /playbook todo shows.
const maxTodo = 25

// maxTodoLen keeps the todo reply under the platforms' message limits
// (16383 characters on Mattermost; Slack takes 40000): once the text is
// this long, the remaining entries are counted instead of shown. The
// items may fill half of it, so that the runs always have room.
const maxTodoLen = 12000

// todo answers the caller alone (the reply is ephemeral, as every reply
// not marked InChannel, so the runs' signed links go nowhere else, as
// runName requires) with their open items assigned in the team's runs in
// progress that they may see, overdue first, then by due date, those
// without one last; and the runs they own whose status update is overdue.
func (d *Dispatcher) todo(ctx context.Context, c *call) (Response, error) {
	tasks, err := d.svc.ListTasks(ctx, c.Actor, bot.TaskFilter{
		TeamID: c.TeamID, AssigneeID: "me",
		States:      []string{bot.ItemOpen, bot.ItemInProgress},
		RunStatuses: []string{bot.StatusInProgress},
		Sort:        "due_date", Direction: "asc", PerPage: maxTodo,
	})
	if err != nil {
		return Response{}, err
	}
	overdue, err := d.svc.OverdueStatusUpdates(ctx, c.Actor, c.TeamID)
	if err != nil {
		return Response{}, err
	}
	now := d.svc.Now().UnixMilli()
	channels := map[string]string{} // run ID → how the reply names its channel
	var b strings.Builder
	b.WriteString("#### Your to-do list\n")

	fmt.Fprintf(&b, "\n**Items assigned to you** (%d)\n", tasks.TotalCount)
	if tasks.TotalCount == 0 {
		b.WriteString("No open items are assigned to you in this team's runs in progress. Nice!\n")
	}
	shown := 0
	for _, t := range tasks.Items {
		if b.Len() > maxTodoLen/2 {
			break
		}
		r := bot.Run{ID: t.RunID, Name: t.RunName, TeamID: t.TeamID, ChannelID: t.ChannelID}
		due := "no due date"
		if t.Item.DueDate > 0 {
			due = "due " + minute(t.Item.DueDate)
			if t.Item.DueDate < now {
				due = "**overdue**, was " + due
			}
		}
		state := ""
		if t.Item.State == bot.ItemInProgress {
			state = " (in progress)"
		}
		fmt.Fprintf(&b, "- %s%s: %s · %s in %s, checklist %s (`%d %d`)\n", bot.MarkdownLink(t.Item.Title, ""), state, due,
			d.runName(r), d.channelOf(ctx, c, r, channels), bot.MarkdownLink(t.ChecklistTitle, ""), t.ChecklistIndex, t.ItemIndex)
		shown++
	}
	if more := tasks.TotalCount - shown; more > 0 {
		fmt.Fprintf(&b, "…and %d more: `GET /plugins/playbooks/api/v0/tasks?team_id=%s&assignee_id=me` lists them all.\n",
			more, url.QueryEscape(c.TeamID))
	}

	fmt.Fprintf(&b, "\n**Your runs waiting for a status update** (%d)\n", len(overdue))
	if len(overdue) == 0 {
		b.WriteString("None of your runs is waiting for a status update.\n")
	}
	shown = 0
	for _, o := range overdue {
		if shown == maxTodo || b.Len() > maxTodoLen {
			break
		}
		fmt.Fprintf(&b, "- %s in %s: due since %s; `/playbook update` in its channel\n",
			d.runName(o.Run), d.channelOf(ctx, c, o.Run, channels), minute(o.DueAt))
		shown++
	}
	if more := len(overdue) - shown; more > 0 {
		fmt.Fprintf(&b, "…and %d more: `GET /plugins/playbooks/api/v0/runs?team_id=%s&owner_user_id=me&statuses=InProgress` lists your runs.\n",
			more, url.QueryEscape(c.TeamID))
	}
	return Response{Text: b.String()}, nil
}

// maxChannelLookups bounds the channel names one todo reply looks up:
// each is a few calls to the chat platform (Mattermost: channel, team and
// stats; Slack: conversations.info and team.info, rate-limited), so a long
// list names the channels of its first runs only.
const maxChannelLookups = 10

// channelOf names the run's channel for the reply: ~name on Mattermost
// (a link there), #name elsewhere; "its channel" when the name cannot be
// had or maxChannelLookups were made. Names are looked up once per run,
// with the caller's visibility.
func (d *Dispatcher) channelOf(ctx context.Context, c *call, r bot.Run, cache map[string]string) string {
	if s, ok := cache[r.ID]; ok {
		return s
	}
	s := "no channel"
	if r.ChannelID != "" && len(cache) >= maxChannelLookups {
		return "its channel"
	}
	if r.ChannelID != "" {
		s = "its channel"
		if m, err := d.svc.RunMetadata(ctx, c.Actor, r.ID); err == nil && m.ChannelName != "" {
			prefix := "#"
			if c.Platform == "mattermost" {
				prefix = "~"
			}
			s = prefix + m.ChannelName
		} else if err != nil {
			d.log.Warn("look up the channel of a run for /playbook todo", "run_id", r.ID, "error", err)
		}
	}
	cache[r.ID] = s
	return s
}
