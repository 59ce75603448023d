package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// maxInfoLen keeps the info reply well under a chat post's size limit
// (16383 characters on Mattermost).
const maxInfoLen = 12000

// info shows the run with its numbered checklists.
func (d *Dispatcher) info(ctx context.Context, c *call) (Response, error) {
	r := c.run
	var b strings.Builder
	fmt.Fprintf(&b, "#### %s\n", d.runTitle(r))
	fmt.Fprintf(&b, "Status: **%s** · Owner: %s · Stage: **%s**\n", status(r), d.mention(ctx, r.OwnerUserID), stageName(r))
	if len(r.Checklists) == 0 {
		b.WriteString("\nThis run has no checklists.\n")
	}
	for i, l := range r.Checklists {
		done := 0
		for _, it := range l.Items {
			if it.State == bot.ItemClosed {
				done++
			}
		}
		fmt.Fprintf(&b, "\n**%d %s**: %d of %d done\n", i, l.Title, done, len(l.Items))
		for j, it := range l.Items {
			if b.Len() > maxInfoLen {
				b.WriteString("- …more items not shown\n")
				break
			}
			box := "[ ]"
			switch it.State {
			case bot.ItemClosed:
				box = "[x]"
			case bot.ItemInProgress:
				box = "[~]"
			}
			fmt.Fprintf(&b, "- `%d %d` %s %s", i, j, box, it.Title)
			if it.AssigneeID != "" {
				fmt.Fprintf(&b, " (%s)", d.mention(ctx, it.AssigneeID))
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n`/playbook check <checklist> <item>` checks an item by these numbers.\n")
	return Response{Text: b.String()}, nil
}

// status is a run's status as a person reads it.
func status(r bot.Run) string {
	if r.IsActive {
		return "In progress"
	}
	return "Finished"
}

// stageName is "1 (Mitigate)": the active stage's index and title.
func stageName(r bot.Run) string {
	if len(r.Checklists) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", r.ActiveStage, r.ActiveStageTitle)
}

// maxTimeline is the most timeline events the timeline command shows.
const maxTimeline = 20

// timeline shows the run's latest events, newest last.
func (d *Dispatcher) timeline(_ context.Context, c *call) (Response, error) {
	evs := c.run.TimelineEvents
	var b strings.Builder
	fmt.Fprintf(&b, "#### Timeline of %s\n", d.runTitle(c.run))
	if len(evs) > maxTimeline {
		evs = evs[len(evs)-maxTimeline:]
	}
	// The run carries its newest events only: the total counts the rest.
	if earlier := max(c.run.TimelineEventsTotal, len(c.run.TimelineEvents)) - len(evs); earlier > 0 {
		fmt.Fprintf(&b, "(%d earlier events not shown)\n", earlier)
	}
	if len(evs) == 0 {
		b.WriteString("No events yet.\n")
	}
	for _, e := range evs {
		fmt.Fprintf(&b, "- %s: %s\n", minute(e.EventAt), e.Summary)
	}
	return Response{Text: b.String()}, nil
}

// help shows the help text.
func (d *Dispatcher) help(context.Context, *call) (Response, error) {
	return Response{Text: HelpText()}, nil
}

// day formats a time in milliseconds as a UTC date.
func day(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") }

// minute formats a time in milliseconds as a UTC date and time.
func minute(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC") }
