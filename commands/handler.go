package commands

import (
	"log/slog"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/dialogs"
)

// HandlerBase is what the inbound handler of every chat adapter needs
// besides its platform's own settings. Dispatcher and Service are
// required.
type HandlerBase struct {
	Dispatcher *Dispatcher
	Service    *bot.Service
	// Signer verifies dialog states and button payloads; the adapter
	// client's when nil. It must be the one the client signs with.
	Signer *dialogs.Signer
	// Logger receives refused requests and internal errors; slog.Default()
	// when nil.
	Logger *slog.Logger
}
