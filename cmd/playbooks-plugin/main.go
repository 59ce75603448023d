// Command playbooks-plugin is the server executable of the bot's companion
// Mattermost plugin (see package companion). Mattermost starts it; it is
// built into the plugin bundle by scripts/plugin-bundle, not run by hand.
package main

import (
	"github.com/mattermost/mattermost/server/public/plugin"

	"github.com/playbooks-bot/playbooks/mmplugin/companion"
)

func main() {
	plugin.ClientMain(&companion.Plugin{})
}
