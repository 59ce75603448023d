package bot

import (
	"log/slog"
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
}

// NewService returns a Service over the given configuration.
func NewService(c Config) *Service {
	s := &Service{store: c.Store, chat: c.Chat, clock: c.Now, newID: c.NewID, admin: c.Admin, log: c.Logger, external: c.ExternalAuth,
		platforms: c.Platforms, defaultPlatform: c.DefaultPlatform,
		publicURL: strings.TrimRight(c.PublicURL, "/"), channelURL: c.ChannelURL, linkSecret: c.LinkSecret,
		prevLinkSecret: c.PreviousLinkSecret}
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

// Limits on text a user sends, so that one request cannot bloat a run.
const (
	MaxTitleLen       = 256
	MaxTextLen        = 64 * 1024
	MaxChecklists     = 100
	MaxItemsPerList   = 1000
	MaxIDList         = 1000
	MaxPerPage        = 1000
	MaxReminderSecond = 366 * 24 * 3600
)

// checkTitle validates a required short text.
func checkTitle(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return FieldErrorf(field, "%s is required", field)
	}
	return checkText(field, v, MaxTitleLen)
}

// checkText validates an optional text's encoding and length.
func checkText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return FieldErrorf(field, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return FieldErrorf(field, "%s is %d characters long; at most %d are allowed", field, n, max)
	}
	return nil
}

// checkIDs validates a list of IDs.
func checkIDs(field string, ids []string) error {
	if len(ids) > MaxIDList {
		return FieldErrorf(field, "%s has %d entries; at most %d are allowed", field, len(ids), MaxIDList)
	}
	for _, id := range ids {
		if err := checkID(field, id); err != nil {
			return err
		}
	}
	return nil
}

// checkPage validates paging parameters; perPage 0 means MaxPerPage.
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
