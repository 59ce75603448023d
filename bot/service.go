package bot

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Config holds what a Service needs. Store is required; the rest default.
type Config struct {
	Store Store
	Chat  Chat // the default chat platform; NoChat when nil
	// Platforms are the chat platforms by name ("mattermost", "slack"),
	// when the server serves more than one: each run lives on the platform
	// it was started from, DefaultPlatform (Chat) for runs started by REST.
	Platforms       map[string]Chat
	DefaultPlatform string
	Now             func() time.Time // time.Now when nil
	NewID           func() string    // NewID when nil
	Admin           BootstrapAdmin   // no bootstrap admin when Secret is empty
	// ExternalAuth, when set, authenticates bearer tokens this server did
	// not issue (Mattermost tokens).
	ExternalAuth ExternalAuth
	// PublicURL is the server's external base URL, without a trailing
	// slash: webhooks name a run's details page PublicURL + "/runs/" + ID.
	PublicURL string
	// LinkSecret signs the details links of webhooks (DetailsURL); empty
	// means unsigned links, whose page then asks for a token.
	LinkSecret []byte
	// PreviousLinkSecret, when set, is the key LinkSecret replaced: links
	// it signed are still accepted until they expire; nothing is signed
	// with it.
	PreviousLinkSecret []byte
	// ChannelURL, when set, returns the absolute URL of a run's channel
	// for webhooks; "" when nil.
	ChannelURL func(Run) string
	// Logger receives the failures of chat follow-ups (posting a checklist,
	// a broadcast) that happen after a change is committed; slog.Default()
	// when nil.
	Logger *slog.Logger
	// PostWait is how long a change that starts the refresh of its run's
	// checklist post waits for it before it is answered (see show): 1 s
	// when 0, no wait when negative. Changes made while a refresh of the
	// run is in flight never wait.
	PostWait time.Duration
	// WebhooksUnsent says that the dispatcher has no webhook sender (serve
	// without PLAYBOOKS_WEBHOOK_SECRET): every webhook fails unsent, so a
	// playbook saved with one enabled is logged at WARN.
	WebhooksUnsent bool
}

// Service holds the use cases every edge (REST, slash commands, dialogs)
// calls. Each state change is one Store transaction and writes a timeline
// event.
type Service struct {
	store Store
	chat  Chat
	// platforms are the chats by name; defaultPlatform names chat.
	platforms       map[string]Chat
	defaultPlatform string
	clock           func() time.Time
	newID           func() string
	admin           BootstrapAdmin
	log             *slog.Logger
	// external authenticates tokens issued elsewhere; nil for none.
	external ExternalAuth
	// publicURL and channelURL make the links webhooks carry.
	publicURL  string
	channelURL func(Run) string
	linkSecret []byte
	// prevLinkSecret still verifies the links signed before a key change.
	prevLinkSecret []byte

	showLocks [showStripes]sync.Mutex
	// posts are the checklist post refreshes this process owes.
	posts    postRefresher
	postWait time.Duration
	// owner names this Service in the jobs it holds (see postJobs).
	owner string
	// webhooksUnsent: see Config.WebhooksUnsent.
	webhooksUnsent bool
	// uses are the credential uses this replica audited lately
	// (token_admin.go).
	uses recentUses
}

// NewService returns a Service over the given configuration.
func NewService(c Config) *Service {
	s := &Service{store: c.Store, chat: c.Chat, clock: c.Now, newID: c.NewID, admin: c.Admin, log: c.Logger, external: c.ExternalAuth,
		platforms: c.Platforms, defaultPlatform: c.DefaultPlatform,
		publicURL: strings.TrimRight(c.PublicURL, "/"), channelURL: c.ChannelURL, linkSecret: c.LinkSecret,
		prevLinkSecret: c.PreviousLinkSecret, postWait: c.PostWait, webhooksUnsent: c.WebhooksUnsent}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.chat == nil {
		s.chat = NoChat{}
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.newID == nil {
		s.newID = NewID
	}
	s.owner = "service-" + NewID() // not s.newID: tests number their IDs
	if s.postWait == 0 {
		s.postWait = defaultPostWait
	}
	return s
}

// chatFor returns the chat platform of a run: the one named, or the
// default for "" and for names not configured.
func (s *Service) chatFor(platform string) Chat {
	if c, ok := s.platforms[platform]; ok && c != nil {
		return c
	}
	return s.chat
}

// now returns the current time in milliseconds since the Unix epoch.
func (s *Service) now() int64 { return s.clock().UnixMilli() }

// Limits on what a user sends, so that one request cannot bloat a run, a
// playbook or a query. Each is enforced with EInvalid naming it, never by
// truncation; docs/api.md's Limits section lists them, keep both in step.
const (
	// MaxTitleLen is the characters of a title or name (playbook, run,
	// checklist, item) and of a search term.
	MaxTitleLen = 256
	// MaxCommandLen is the characters of an item's slash command.
	MaxCommandLen = 256
	// MaxTextLen is the characters of a description (playbook, run, item)
	// and of a status update: a status update is posted whole to chat, and
	// a Mattermost post holds 16,383 characters.
	MaxTextLen = 16000
	// MaxChecklists is the checklists of a playbook or run.
	MaxChecklists = 100
	// MaxItemsPerList is the items of one checklist.
	MaxItemsPerList = 250
	// MaxItems is the items of a playbook or run, all checklists together:
	// a big incident playbook has a few hundred.
	MaxItems = 500
	// MaxChecklistsBytes is the size of a playbook's or run's checklists as
	// stored (JSON), each item counted as if checked, assigned and its
	// command run, so that working through a run never makes it exceed
	// the limit. Every write of a run rewrites them.
	MaxChecklistsBytes = 512 << 10
	MaxIDList          = 1000
	MaxPerPage         = 1000
	// MaxPageOffset bounds page × per_page: lists page through their first
	// million results, more than any team has runs or playbooks, so the
	// offset can neither overflow nor ask past any possible result.
	MaxPageOffset     = 1_000_000
	MaxReminderSecond = 366 * 24 * 3600
)

// checkTitle validates a required short text.
func checkTitle(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	return checkText(field, v, MaxTitleLen)
}

// checkText validates an optional text's encoding and length: valid UTF-8
// without NUL, which Postgres cannot store in text (and SQLite could), so
// both stores answer alike.
func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return FieldErrorf(field, "%s is not valid UTF-8", field)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return FieldErrorf(field, "%s contains a NUL character (U+0000), which text may not hold", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return FieldErrorf(field, "%s is %d characters long; at most %d are allowed", field, n, max)
	}
	return nil
}

// checklistsUse is how much of the limits on checklists some use.
type checklistsUse struct {
	lists, items, bytes int
	perList             map[string]int // items by checklist ID
}

// measureChecklists returns the use of cs. Its bytes are those of cs as
// the store writes them (JSON) with every item in its largest state, so
// that state changes never grow it.
func measureChecklists(cs []Checklist) (checklistsUse, error) {
	u := checklistsUse{lists: len(cs), perList: make(map[string]int, len(cs))}
	worked := make([]Checklist, len(cs))
	for i, c := range cs {
		u.items += len(c.Items)
		u.perList[c.ID] = len(c.Items)
		worked[i] = Checklist{ID: c.ID, Title: c.Title, Items: make([]ChecklistItem, len(c.Items))}
		for j, it := range c.Items {
			it.State = ItemInProgress // the longest state
			it.StateModified, it.AssigneeModified, it.CommandLastRun = math.MaxInt64, math.MaxInt64, math.MaxInt64
			if len(it.AssigneeID) < len(longestID) {
				it.AssigneeID = longestID
			}
			worked[i].Items[j] = it
		}
	}
	b, err := json.Marshal(worked)
	if err != nil {
		return u, fmt.Errorf("measure checklists: %w", err)
	}
	u.bytes = len(b)
	return u, nil
}

// longestID is as long as any valid ID.
var longestID = strings.Repeat("x", 26)

// checkChecklists checks the checklists of a playbook or run (what) against
// the limits. With before, the use before a change, only a limit that the
// change makes worse is enforced: a run stored before a limit existed can
// still be worked and shrunk. The error names the limit.
func checkChecklists(what, field string, cs []Checklist, before *checklistsUse) error {
	u, err := measureChecklists(cs)
	if err != nil {
		return err
	}
	worse := func(after, limit int, was func(checklistsUse) int) bool {
		return after > limit && (before == nil || after > was(*before))
	}
	fail := func(format string, args ...any) error {
		if field == "" {
			return Errorf(EInvalid, format, args...)
		}
		return FieldErrorf(field, format, args...)
	}
	if worse(u.lists, MaxChecklists, func(b checklistsUse) int { return b.lists }) {
		return fail("this %s would have %d checklists; at most %d are allowed (limit: checklists per %s)", what, u.lists, MaxChecklists, what)
	}
	for i, c := range cs {
		n := len(c.Items)
		if worse(n, MaxItemsPerList, func(b checklistsUse) int { return b.perList[c.ID] }) {
			return fail("checklist %d (%s) would have %d items; at most %d are allowed (limit: items per checklist)", i, abbrevText(c.Title), n, MaxItemsPerList)
		}
	}
	if worse(u.items, MaxItems, func(b checklistsUse) int { return b.items }) {
		return fail("this %s would have %d items; at most %d are allowed (limit: items per %s)", what, u.items, MaxItems, what)
	}
	if worse(u.bytes, MaxChecklistsBytes, func(b checklistsUse) int { return b.bytes }) {
		return fail("the checklists of this %s would take %d bytes when stored; at most %d are allowed (limit: stored size of a %s's checklists)", what, u.bytes, MaxChecklistsBytes, what)
	}
	return nil
}

// abbrevText shortens s for an error message, which should not echo a
// large input.
func abbrevText(s string) string {
	const limit = 64
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "..."
	}
	return s
}

// checkChatIDs validates a list of chat IDs.
func (s *Service) checkChatIDs(field string, ids []string) error {
	if len(ids) > MaxIDList {
		return FieldErrorf(field, "%s has %d entries; at most %d are allowed", field, len(ids), MaxIDList)
	}
	for _, id := range ids {
		if err := s.checkChatID(field, id); err != nil {
			return err
		}
	}
	return nil
}

// checkPage validates paging parameters; perPage 0 means MaxPerPage. The
// offset page × perPage stays within MaxPageOffset, so it never overflows
// into a negative OFFSET.
func checkPage(page, perPage int) (int, error) {
	if page < 0 {
		return 0, FieldErrorf("page", "page must be 0 or more, got %d", page)
	}
	if perPage < 0 || perPage > MaxPerPage {
		return 0, FieldErrorf("per_page", "per_page must be between 1 and %d, got %d", MaxPerPage, perPage)
	}
	if perPage == 0 {
		perPage = MaxPerPage
	}
	if page > MaxPageOffset/perPage {
		return 0, FieldErrorf("page", "page %d of %d per page is past any possible result: page × per_page must be at most %d", page, perPage, MaxPageOffset)
	}
	return perPage, nil
}

// checkDirection validates a sort direction; "" means def.
func checkDirection(d, def string) (string, error) {
	switch d {
	case "":
		return def, nil
	case "asc", "desc":
		return d, nil
	}
	return "", FieldErrorf("direction", "direction must be asc or desc, got %q", d)
}

// nonNil returns s, or an empty slice for nil, so JSON shows [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
