package commands

import (
	"context"
	"fmt"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// noPlaybooks is the reply to run and playbooks in a team with no playbooks.
const noPlaybooks = "This team has no playbooks yet, so no run can start. Create one with the REST API " +
	"(`POST /plugins/playbooks/api/v0/playbooks`), then try again."

// teamPlaybooks returns the team's non-archived playbooks, by title.
func (d *Dispatcher) teamPlaybooks(ctx context.Context, c *call) (bot.PlaybookList, error) {
	return d.svc.ListPlaybooks(ctx, c.Actor, bot.PlaybookFilter{TeamID: c.TeamID, PerPage: bot.MaxPerPage})
}

// startRun opens the start-run dialog.
func (d *Dispatcher) startRun(ctx context.Context, c *call) (Response, error) {
	l, err := d.teamPlaybooks(ctx, c)
	if err != nil {
		return Response{}, err
	}
	if len(l.Items) == 0 {
		return Response{Text: noPlaybooks}, nil
	}
	dlg := dialogs.StartRunDialog(c.TeamID, l.Items)
	return Response{Dialog: &dlg}, nil
}

// endRun opens the dialog that confirms ending the run.
func (d *Dispatcher) endRun(_ context.Context, c *call) (Response, error) {
	if !c.run.IsActive {
		return Response{Text: "This run has already ended; `/playbook restart` makes it active again."}, nil
	}
	dlg := dialogs.EndRunDialog(c.run)
	return Response{Dialog: &dlg}, nil
}

// finishRun ends the run without asking.
func (d *Dispatcher) finishRun(ctx context.Context, c *call) (Response, error) {
	if !c.run.IsActive {
		return Response{Text: "This run has already ended; `/playbook restart` makes it active again."}, nil
	}
	r, err := d.svc.EndRun(ctx, c.Actor, c.run.ID)
	if err != nil {
		return Response{}, err
	}
	return ended(d, r), nil
}

// ended announces the end of a run.
func ended(d *Dispatcher, r bot.Run) Response {
	return Response{Text: fmt.Sprintf("Ended the run %s.", d.runName(r)), InChannel: true}
}

// restartRun makes an ended run active again.
func (d *Dispatcher) restartRun(ctx context.Context, c *call) (Response, error) {
	if c.run.IsActive {
		return Response{Text: "This run is still in progress; there is nothing to restart."}, nil
	}
	r, err := d.svc.RestartRun(ctx, c.Actor, c.run.ID)
	if err != nil {
		return Response{}, err
	}
	return Response{Text: fmt.Sprintf("Restarted the run %s.", d.runName(r)), InChannel: true}, nil
}

// updateStatus opens the status-update dialog.
func (d *Dispatcher) updateStatus(_ context.Context, c *call) (Response, error) {
	dlg := dialogs.StatusUpdateDialog(c.run)
	return Response{Dialog: &dlg}, nil
}

// owner shows the run's owner, or changes it.
func (d *Dispatcher) owner(ctx context.Context, c *call) (Response, error) {
	if len(c.args) == 0 {
		return Response{Text: fmt.Sprintf("%s owns this run.", d.mention(ctx, c.run.OwnerUserID))}, nil
	}
	id, err := d.resolveUser(ctx, c.args[0])
	if err != nil {
		return Response{}, err
	}
	// Called for the owner too: one who has left a private run's channel
	// is added back, and the reply says so.
	r, added, err := d.svc.ChangeOwner(ctx, c.Actor, c.run.ID, id)
	if err != nil {
		return Response{}, err
	}
	name := d.mention(ctx, r.OwnerUserID)
	if id == c.run.OwnerUserID {
		return Response{Text: fmt.Sprintf("%s already owns this run.", name) + addedNote(name, added)}, nil
	}
	return Response{Text: fmt.Sprintf("%s is now the owner of %s.", name, d.runName(r)) + addedNote(name, added),
		InChannel: true}, nil
}

// addedNote is what a reply adds when the Service added a user to the
// run's private channel so that they can see the run they now own or
// have an item of.
func addedNote(name string, added bool) string {
	if !added {
		return ""
	}
	return fmt.Sprintf(" %s was not in this private run's channel and has been added.", name)
}

// maxListed is the most runs or playbooks a list shows.
const maxListed = 25

// listRuns lists the team's runs in progress, newest first.
func (d *Dispatcher) listRuns(ctx context.Context, c *call) (Response, error) {
	l, err := d.svc.ListRuns(ctx, c.Actor, bot.RunFilter{
		TeamID: c.TeamID, Statuses: []string{bot.StatusInProgress}, PerPage: maxListed,
	})
	if err != nil {
		return Response{}, err
	}
	if len(l.Items) == 0 {
		return Response{Text: "No runs are in progress in this team. `/playbook run` starts one."}, nil
	}
	text := fmt.Sprintf("#### Runs in progress (%d)\n", l.TotalCount)
	for _, r := range l.Items {
		text += fmt.Sprintf("- %s: owner %s, stage %s, started %s\n",
			d.runName(r), d.mention(ctx, r.OwnerUserID), stageName(r), day(r.CreateAt))
	}
	if more := l.TotalCount - len(l.Items); more > 0 {
		text += fmt.Sprintf("\n…and %d more.\n", more)
	}
	return Response{Text: text}, nil
}

// listPlaybooks lists the team's playbooks.
func (d *Dispatcher) listPlaybooks(ctx context.Context, c *call) (Response, error) {
	l, err := d.teamPlaybooks(ctx, c)
	if err != nil {
		return Response{}, err
	}
	if len(l.Items) == 0 {
		return Response{Text: noPlaybooks}, nil
	}
	text := fmt.Sprintf("#### Playbooks (%d)\n", l.TotalCount)
	for i, p := range l.Items {
		if i == maxListed {
			text += fmt.Sprintf("\n…and %d more.\n", l.TotalCount-maxListed)
			break
		}
		text += fmt.Sprintf("- **%s**: %s, %s\n", p.Title, plural(int(p.NumStages), "stage"), plural(int(p.NumSteps), "item"))
	}
	text += "\n`/playbook run` starts a run from one of them.\n"
	return Response{Text: text}, nil
}

// plural is "1 stage", "2 stages".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
