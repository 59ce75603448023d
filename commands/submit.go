package commands

import (
	"context"
	"errors"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// Submit handles a submitted dialog (its State already verified). Field problems come back as FieldErrors (keyed by element name, "" for general); on success the Response says what to tell the user (may be empty).
func (d *Dispatcher) Submit(ctx context.Context, sub Submission) (Response, dialogs.FieldErrors) {
	if sub.CallbackID == dialogs.StartRun {
		return d.submitStartRun(ctx, sub)
	}
	st, errs := dialogs.ParseRunState(sub.State)
	if errs != nil {
		return Response{}, errs
	}
	a := sub.Actor
	switch sub.CallbackID {
	case dialogs.EndRun:
		r, err := d.svc.EndRun(ctx, a, st.RunID)
		if err != nil {
			return Response{}, d.fieldErrors(ctx, sub, err, nil)
		}
		return ended(d, r), nil
	case dialogs.StatusUpdate:
		in, errs := dialogs.ParseStatusUpdate(sub.Values)
		if errs != nil {
			return Response{}, errs
		}
		if _, err := d.svc.UpdateStatus(ctx, a, st.RunID, in.Message, in.Reminder); err != nil {
			return Response{}, d.fieldErrors(ctx, sub, err, map[string]string{
				"message": dialogs.StatusMessage, "reminder": dialogs.StatusReminder})
		}
		return Response{}, nil // the Service posts the update in the run's channel
	case dialogs.CheckItem:
		in, errs := dialogs.ParseCheckItem(sub.Values)
		if errs != nil {
			return Response{}, errs
		}
		resp, err := d.toggle(ctx, a, st.RunID, in.Checklist, in.Item)
		if err != nil {
			return Response{}, d.fieldErrors(ctx, sub, err, map[string]string{
				"checklist": dialogs.CheckItemItem, "item": dialogs.CheckItemItem})
		}
		return resp, nil
	case dialogs.NextStage:
		resp, err := d.setStage(ctx, a, st.RunID, st.Index)
		if err != nil {
			return Response{}, d.fieldErrors(ctx, sub, err, nil)
		}
		return resp, nil
	case dialogs.AddItem:
		in, errs := dialogs.ParseAddItem(sub.Values)
		if errs != nil {
			return Response{}, errs
		}
		r, err := d.svc.AddItem(ctx, a, st.RunID, st.Index, bot.ChecklistItem{Title: in.Title, Description: in.Description})
		if err != nil {
			return Response{}, d.fieldErrors(ctx, sub, err, map[string]string{
				"title": dialogs.AddItemTitle, "description": dialogs.AddItemDescription})
		}
		return added(r, st.Index, in.Title), nil
	}
	return Response{}, dialogs.FieldErrors{"": "unknown dialog " + sub.CallbackID}
}

// submitStartRun starts a run from the start-run dialog.
func (d *Dispatcher) submitStartRun(ctx context.Context, sub Submission) (Response, dialogs.FieldErrors) {
	in, errs := dialogs.ParseStartRun(sub.Values)
	if errs != nil {
		return Response{}, errs
	}
	r, err := d.svc.CreateRun(ctx, sub.Actor, bot.NewRun{
		Name: in.Name, Description: in.Description, TeamID: sub.TeamID, PlaybookID: in.PlaybookID,
		Platform: sub.Platform,
	})
	if err != nil {
		return Response{}, d.fieldErrors(ctx, sub, err, map[string]string{
			"playbook_id": dialogs.StartRunPlaybook, "name": dialogs.StartRunName,
			"description": dialogs.StartRunDescription})
	}
	return Response{Text: "Started the run " + d.runName(r) + "."}, nil
}

// fieldErrors turns a use-case error into dialog errors: a bot.Error under
// the element its Field maps to in fields (else ""), anything else as
// "internal error" under "", logged with its cause.
func (d *Dispatcher) fieldErrors(ctx context.Context, sub Submission, err error, fields map[string]string) dialogs.FieldErrors {
	var e *bot.Error
	if !errors.As(err, &e) || e.Code == bot.EInternal {
		d.log.ErrorContext(ctx, "dialog submission", "callback_id", sub.CallbackID, "user_id", sub.Actor.UserID,
			"channel_id", sub.ChannelID, "error", err)
		return dialogs.FieldErrors{"": bot.ErrorMessage(err)}
	}
	return dialogs.FieldErrors{fields[e.Field]: e.Message}
}

// Lookup serves a dynamic select (Slack's external select): the options of element `element` of dialog `callbackID` (opened with `state`) matching what the user typed (`query`, case-insensitive substring), at most dialogs.MaxLookupOptions: the items of the run in channelID (check_item), or the playbooks of the dialog's team the actor may see (start_run).
func (d *Dispatcher) Lookup(ctx context.Context, actor bot.Actor, channelID, callbackID, state, element, query string) []dialogs.Option {
	if callbackID == dialogs.StartRun && element == dialogs.StartRunPlaybook {
		return d.lookupPlaybooks(ctx, actor, channelID, state, query)
	}
	if callbackID != dialogs.CheckItem || element != dialogs.CheckItemItem {
		return []dialogs.Option{}
	}
	var (
		r   bot.Run
		err error
	)
	if st, errs := dialogs.ParseRunState(state); errs == nil {
		r, err = d.svc.Run(ctx, actor, st.RunID)
	} else {
		r, err = d.svc.RunByChannel(ctx, actor, channelID)
	}
	if err != nil {
		if bot.ErrorCode(err) == bot.EInternal {
			d.log.ErrorContext(ctx, "dialog lookup", "callback_id", callbackID, "user_id", actor.UserID,
				"channel_id", channelID, "error", err)
		}
		return []dialogs.Option{}
	}
	opts := dialogs.ItemOptions(r, query)
	return opts[:min(len(opts), dialogs.MaxLookupOptions)]
}

// maxLookupPages bounds the pages of playbooks (bot.MaxPerPage each) a
// lookup reads.
const maxLookupPages = 10

// lookupPlaybooks returns the playbooks of the start-run dialog's team
// (its state) whose title contains query, by title, at most
// dialogs.MaxLookupOptions.
func (d *Dispatcher) lookupPlaybooks(ctx context.Context, actor bot.Actor, channelID, state, query string) []dialogs.Option {
	st, ok := dialogs.ParseTeamState(state)
	if !ok {
		return []dialogs.Option{}
	}
	out := []dialogs.Option{}
	for page := 0; page < maxLookupPages && len(out) < dialogs.MaxLookupOptions; page++ {
		l, err := d.svc.ListPlaybooks(ctx, actor, bot.PlaybookFilter{TeamID: st.TeamID, Page: page, PerPage: bot.MaxPerPage})
		if err != nil {
			if bot.ErrorCode(err) == bot.EInternal {
				d.log.ErrorContext(ctx, "dialog lookup", "callback_id", dialogs.StartRun, "user_id", actor.UserID,
					"channel_id", channelID, "error", err)
			}
			return []dialogs.Option{}
		}
		out = append(out, dialogs.PlaybookOptions(l.Items, query)...)
		if !l.HasMore {
			break
		}
	}
	return out[:min(len(out), dialogs.MaxLookupOptions)]
}
