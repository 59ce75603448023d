package dialogs

import (
	"strings"
	"testing"
	"time"

	"github.com/playbooks-bot/playbooks/bot"
)

// TestVerifyButton checks that both payloads of the bot's buttons come
// back as the click they ask for, and that the encodings posted before
// they were shared (Slack's item JSON, Mattermost's reminder JSON) still
// do; anything else is EUnauthenticated.
func TestVerifyButton(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	run, item := bot.NewID(), bot.NewID()
	for _, tt := range []struct {
		name, payload string
		want          Button
	}{
		{"item", ItemButton{RunID: run, Checklist: 1, Item: 2, ItemID: item}.String(),
			Button{RunID: run, Action: bot.ButtonToggleItem, ItemID: item}},
		{"update", ReminderButton{Action: bot.ButtonUpdateStatus, RunID: run}.String(),
			Button{RunID: run, Action: bot.ButtonUpdateStatus}},
		{"snooze", ReminderButton{Action: bot.ButtonSnooze, RunID: run, Seconds: 900}.String(),
			Button{RunID: run, Action: bot.ButtonSnooze, Seconds: 900}},
		{"Slack's former item", `{"run":"` + run + `","c":0,"i":1,"item_id":"` + item + `"}`,
			Button{RunID: run, Action: bot.ButtonToggleItem, ItemID: item}},
		{"Mattermost's former snooze", `{"r":"` + run + `","c":0,"i":0,"it":"","a":"snooze","s":3600}`,
			Button{RunID: run, Action: bot.ButtonSnooze, Seconds: 3600}},
		{"Mattermost's former update", `{"r":"` + run + `","c":0,"i":0,"it":"","a":"update_status"}`,
			Button{RunID: run, Action: bot.ButtonUpdateStatus}},
	} {
		got, err := VerifyButton(s, s.Sign(ButtonAudience, tt.payload, ButtonTTL))
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v, want %+v", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "x " + run + " 0", "z " + run, `{"r":"` + run + `","a":"delete"}`, `{"r":"nope"}`} {
		if _, err := VerifyButton(s, s.Sign(ButtonAudience, bad, ButtonTTL)); bot.ErrorCode(err) != bot.EUnauthenticated {
			t.Errorf("payload %q: error %v, want EUnauthenticated", bad, err)
		}
	}
	if _, err := VerifyButton(s, s.Sign(bot.NewID(), ItemButton{RunID: run}.String(), ButtonTTL)); bot.ErrorCode(err) != bot.EUnauthenticated {
		t.Errorf("a token for a user: error %v, want EUnauthenticated", err)
	}
}
