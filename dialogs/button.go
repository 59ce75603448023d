package dialogs

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// Buttons are signed for any user ("*": everyone who sees a post may click
// it; the use case then authorizes the clicking user) and valid a year:
// they are re-signed whenever their post is rewritten.
const (
	ButtonAudience = "*"
	ButtonTTL      = 365 * 24 * time.Hour
)

// Button is what a click on one of the bot's buttons asks, as decoded from
// its signed payload: the run it was rendered for, its action
// (bot.ButtonToggleItem, bot.ButtonUpdateStatus, bot.ButtonSnooze), the
// item to toggle and the snooze delay in seconds.
type Button struct {
	RunID   string
	Action  string
	ItemID  string
	Seconds int64
}

// ItemButton is the signed payload of a checklist item's button, on every
// platform: the item by its indices when rendered, and its ID, so that a
// click on a stale post cannot toggle an item that moved into its place.
type ItemButton struct {
	RunID     string `json:"r"`
	Checklist int    `json:"c"`
	Item      int    `json:"i"`
	ItemID    string `json:"it"`
}

// String is the payload to sign.
func (b ItemButton) String() string {
	out, _ := json.Marshal(b)
	return string(out)
}

// ReminderButton is the signed payload of a reminder's control, on every
// platform: its action (bot.ButtonUpdateStatus or bot.ButtonSnooze), the
// run, and for a snooze its delay. It is encoded compactly ("<kind> <run
// ID> <seconds>") rather than as JSON: a Slack select option's value must
// fit in 150 characters, signature included.
type ReminderButton struct {
	Action  string
	RunID   string
	Seconds int64
}

// Kinds of reminder control in ReminderButton's encoding.
const (
	reminderUpdate = "u"
	reminderSnooze = "z"
)

// String is the payload to sign.
func (b ReminderButton) String() string {
	kind := reminderUpdate
	if b.Action == bot.ButtonSnooze {
		kind = reminderSnooze
	}
	return kind + " " + b.RunID + " " + strconv.FormatInt(b.Seconds, 10)
}

// VerifyButton returns what a button's signed token asks: an ItemButton's
// or a ReminderButton's payload, or one of the encodings posted before
// they were shared (Slack's item JSON, Mattermost's reminder JSON), so
// that buttons already posted keep working. EUnauthenticated when the
// token is missing, forged or expired, or its payload none of these.
func VerifyButton(s *Signer, token string) (Button, error) {
	raw, err := s.Verify(ButtonAudience, token)
	if err != nil {
		return Button{}, err
	}
	b, ok := parseButton(raw)
	if !ok || !bot.OwnID(b.RunID) {
		return Button{}, bot.Errorf(bot.EUnauthenticated, "this button is not valid")
	}
	return b, nil
}

// parseButton decodes a button's payload.
func parseButton(raw string) (Button, bool) {
	if !strings.HasPrefix(raw, "{") {
		f := strings.Fields(raw)
		if len(f) != 3 || (f[0] != reminderUpdate && f[0] != reminderSnooze) {
			return Button{}, false
		}
		secs, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return Button{}, false
		}
		b := Button{RunID: f[1], Action: bot.ButtonUpdateStatus}
		if f[0] == reminderSnooze {
			b.Action, b.Seconds = bot.ButtonSnooze, secs
		}
		return b, true
	}
	var j struct {
		RunID      string `json:"r"`
		ItemID     string `json:"it"`
		Action     string `json:"a"`       // Mattermost's former reminder buttons
		Seconds    int64  `json:"s"`       // Mattermost's former reminder buttons
		SlackRunID string `json:"run"`     // Slack's former item buttons
		SlackItem  string `json:"item_id"` // Slack's former item buttons
	}
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		return Button{}, false
	}
	if j.RunID == "" && j.ItemID == "" {
		j.RunID, j.ItemID = j.SlackRunID, j.SlackItem
	}
	switch j.Action {
	case "":
		return Button{RunID: j.RunID, Action: bot.ButtonToggleItem, ItemID: j.ItemID}, true
	case bot.ButtonUpdateStatus:
		return Button{RunID: j.RunID, Action: j.Action}, true
	case bot.ButtonSnooze:
		return Button{RunID: j.RunID, Action: j.Action, Seconds: j.Seconds}, true
	}
	return Button{}, false
}
