package observe

import (
	"context"
	"log/slog"

	"github.com/playbooks-bot/playbooks/bot"
)

// WithRequestID returns a slog.Handler that adds the request_id of the
// request a record's context belongs to (bot.RequestID), so that the
// lines a handler logs beside the access line (an internal error's cause,
// a refused signature) can be joined to it. Records without one pass as
// they are. The access line itself is logged outside the request's
// context and names its ID once.
func WithRequestID(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := bot.RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
