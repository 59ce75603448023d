package main

import (
	"fmt"

	"github.com/playbooks-bot/playbooks/bot"
)

// defaultAdminUserID is the user the bootstrap admin token acts for when
// PLAYBOOKS_ADMIN_USER_ID is not set: a valid ID that names itself.
const defaultAdminUserID = "playbooksadmin000000000000"

// config is everything read from the environment.
type config struct {
	Listen      string
	DatabaseURL string
	Admin       bot.BootstrapAdmin
}

// loadConfig reads the PLAYBOOKS_* environment through getenv.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Listen:      getenv("PLAYBOOKS_LISTEN"),
		DatabaseURL: getenv("PLAYBOOKS_DATABASE_URL"),
		Admin: bot.BootstrapAdmin{
			Secret: getenv("PLAYBOOKS_ADMIN_TOKEN"),
			UserID: getenv("PLAYBOOKS_ADMIN_USER_ID"),
		},
	}
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "./data/playbooks.db"
	}
	if c.Admin.UserID == "" {
		c.Admin.UserID = defaultAdminUserID
	}
	if !bot.ValidID(c.Admin.UserID) {
		return c, fmt.Errorf("PLAYBOOKS_ADMIN_USER_ID %q is not a valid ID (26 lowercase letters and digits)", c.Admin.UserID)
	}
	if c.Admin.Secret != "" && len(c.Admin.Secret) < 16 {
		return c, fmt.Errorf("PLAYBOOKS_ADMIN_TOKEN is too short to be safe: use at least 16 characters")
	}
	return c, nil
}
