package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/playbooks-bot/playbooks/bot"
)

// Query strings and path variables are decoded here, by pure functions
// over url.Values and strings; as with bodies, the Service judges the
// values (sort fields, page ranges, IDs).

// decodeRunFilter decodes the query of listPlaybookRuns. statuses may repeat
// (statuses=A&statuses=B) or be comma-separated; absent, it is
// ["InProgress"] as the spec's default says, and given but empty, it does
// not filter.
func decodeRunFilter(q url.Values) (bot.RunFilter, error) {
	f, err := runFilter(q)
	if err != nil {
		return f, err
	}
	if f.Page, err = queryInt(q, "page"); err != nil {
		return f, err
	}
	if f.PerPage, err = queryInt(q, "per_page"); err != nil {
		return f, err
	}
	vals, ok := q["statuses"]
	if !ok {
		f.Statuses = []string{bot.StatusInProgress}
	}
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.Statuses = append(f.Statuses, s)
			}
		}
	}
	f.Include, err = decodeRunInclude(q["include"])
	return f, err
}

// decodeRunInclude decodes listPlaybookRuns' include, repeated or
// comma-separated: the history each listed run carries. EInvalid, naming
// the values it takes, for any other.
func decodeRunInclude(vals []string) (bot.RunInclude, error) {
	var in bot.RunInclude
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			switch s = strings.TrimSpace(s); s {
			case "":
			case bot.IncludeTimelineEvents:
				in.TimelineEvents = true
			case bot.IncludeStatusUpdates:
				in.StatusUpdates = true
			default:
				return in, bot.FieldErrorf("include", "include must be one or more of %s, got %q",
					strings.Join(bot.RunIncludes, ", "), abbrev(s))
			}
		}
	}
	return in, nil
}

// decodeChannelFilter decodes the query of getChannels, whose single status
// is all (the default), InProgress or Finished.
func decodeChannelFilter(q url.Values) (bot.RunFilter, error) {
	f, err := runFilter(q)
	if err != nil {
		return f, err
	}
	switch st := q.Get("status"); st {
	case "", "all":
	case bot.StatusInProgress, bot.StatusFinished:
		f.Statuses = []string{st}
	default:
		return f, bot.FieldErrorf("status", "status must be all, InProgress or Finished, got %q", abbrev(st))
	}
	return f, nil
}

// runFilter decodes the query parameters listPlaybookRuns and getChannels
// share. "me" as owner or participant is passed on: the Service resolves it.
func runFilter(q url.Values) (bot.RunFilter, error) {
	team, err := decodeTeam(q)
	f := bot.RunFilter{
		TeamID:        team,
		OwnerID:       q.Get("owner_user_id"),
		ParticipantID: q.Get("participant_id"),
		SearchTerm:    q.Get("search_term"),
		Sort:          q.Get("sort"),
		Direction:     q.Get("direction"),
	}
	return f, err
}

// decodePlaybookFilter decodes the query of getPlaybooks.
func decodePlaybookFilter(q url.Values) (bot.PlaybookFilter, error) {
	team, err := decodeTeam(q)
	f := bot.PlaybookFilter{TeamID: team, Sort: q.Get("sort"), Direction: q.Get("direction")}
	if err != nil {
		return f, err
	}
	if f.Page, err = queryInt(q, "page"); err != nil {
		return f, err
	}
	if f.PerPage, err = queryInt(q, "per_page"); err != nil {
		return f, err
	}
	if v := q.Get("with_archived"); v != "" {
		if f.WithArchived, err = strconv.ParseBool(v); err != nil {
			return f, bot.FieldErrorf("with_archived", "with_archived must be true or false, got %q", abbrev(v))
		}
	}
	return f, nil
}

// decodeTeam returns the required team_id query parameter.
func decodeTeam(q url.Values) (string, error) {
	if t := q.Get("team_id"); t != "" {
		return t, nil
	}
	return "", required("team_id")
}

// decodeAutocompleteChannel returns the channel of getChecklistAutocomplete:
// channel_ID as the spec spells it, or channel_id as the plugin once did.
func decodeAutocompleteChannel(q url.Values) (string, error) {
	for _, k := range []string{"channel_ID", "channel_id"} {
		if v := q.Get(k); v != "" {
			return v, nil
		}
	}
	return "", required("channel_ID")
}

// queryInt returns an optional integer query parameter; 0 when absent.
func queryInt(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, bot.FieldErrorf(name, "%s must be an integer, got %q", name, abbrev(v))
	}
	return n, nil
}

// parseIndex parses a zero-based index from a path variable.
func parseIndex(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, bot.FieldErrorf(name, "%s must be an integer index, got %q", name, abbrev(v))
	}
	return n, nil
}

// pathIndexes returns the {checklist} and, when the route has one, {item}
// path variables as integers.
func pathIndexes(r *http.Request) (checklist, item int, err error) {
	vars := mux.Vars(r)
	if checklist, err = parseIndex("checklist", vars["checklist"]); err != nil {
		return 0, 0, err
	}
	if v, ok := vars["item"]; ok {
		item, err = parseIndex("item", v)
	}
	return checklist, item, err
}

// pathID returns a string path variable, such as {id}.
func pathID(r *http.Request, name string) string {
	return mux.Vars(r)[name]
}
