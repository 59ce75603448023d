package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/observe"
	"github.com/playbooks-bot/playbooks/store"
	"github.com/playbooks-bot/playbooks/webhook"
)

// openStore opens and migrates the configured database, and logs which
// one it opened. Unless mayCreate (serve and migrate), a missing SQLite
// file is an error: a command run from another folder must not make and
// use a second, empty database.
func openStore(ctx context.Context, cfg config, logger *slog.Logger, mayCreate bool) (*store.DB, error) {
	target := cfg.Database
	if target.Driver == "" {
		var err error
		if target, err = store.ParseURL(cfg.DatabaseURL); err != nil {
			return nil, err
		}
	}
	if target.Driver == "sqlite" && !mayCreate {
		if _, err := os.Stat(target.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: run this command from the folder serve runs in, or set PLAYBOOKS_DATABASE_URL", target.Path)
		}
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	logger.Info("opened database", "driver", target.Driver, "database", target.Display)
	return db, nil
}

// routes builds the service over the configured chat platforms (see the
// registry in platforms.go) and mounts the REST API, each platform's
// endpoints under its prefix, and /healthz, /readyz and /metrics (m's,
// behind cfg.MetricsToken when set), all behind the access logger, which
// logs each request once and counts it in m. It returns the handler, the
// service and the platforms' names, and the platforms' handlers that
// finish work after answering (settlers, waited for at shutdown). Runs
// started from a platform live there; runs started by REST go to the first
// configured platform of the registry.
func routes(cfg config, db *store.DB, logger *slog.Logger, m *observe.Metrics) (http.Handler, *bot.Service, string, []settler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", observe.Healthz())
	mux.Handle("GET /readyz", observe.Readyz(db.Ready, readyTimeout))
	mux.Handle("GET /metrics", m.Handler(cfg.MetricsToken))
	outer := observe.Handler(mux, logger, m)
	configured := cfg.configured()
	if len(configured) == 0 {
		svc := bot.NewService(bot.Config{Store: db, Chat: bot.NoChat{}, Admin: cfg.Admin, Logger: logger, PublicURL: cfg.PublicURL,
			LinkSecret: cfg.LinkSecret, PreviousLinkSecret: cfg.PreviousLinkSecret, WebhooksUnsent: cfg.Webhooks.Secret == ""})
		mux.Handle("/", api.New(api.Config{Service: svc, Logger: logger, AuthThrottle: cfg.Auth.Throttle, OAuthTokenTTL: cfg.OAuthTokenTTL}))
		return outer, svc, "none", nil, nil
	}
	signer, err := cfg.signer()
	if err != nil {
		return nil, nil, "", nil, err
	}
	sc := bot.Config{Store: db, Admin: cfg.Admin, Logger: logger, Platforms: map[string]bot.Chat{}, PublicURL: cfg.PublicURL,
		LinkSecret: cfg.LinkSecret, PreviousLinkSecret: cfg.PreviousLinkSecret, WebhooksUnsent: cfg.Webhooks.Secret == ""}
	deps := platformDeps{signer: signer, logger: logger, auth: cfg.Auth}
	var (
		names []string
		chats []started
	)
	for _, p := range configured {
		s, err := p.start(cfg.Chats[p.name], deps)
		if err != nil {
			return nil, nil, "", nil, err
		}
		sc.Platforms[p.name] = s.chat
		if s.auth != nil && sc.ExternalAuth == nil {
			sc.ExternalAuth = s.auth
		}
		names = append(names, p.name)
		chats = append(chats, s)
	}
	sc.DefaultPlatform = names[0]
	sc.Chat = sc.Platforms[names[0]]
	svc := bot.NewService(sc)

	var (
		delegated delegatedAuth
		settlers  []settler
	)
	for i, p := range configured {
		h, err := chats[i].handler(svc)
		if err != nil {
			return nil, nil, "", nil, err
		}
		if st, ok := h.(settler); ok {
			settlers = append(settlers, st)
		}
		mux.Handle(p.prefix, h)
		if chats[i].delegated != nil && delegated == nil {
			if delegated, err = chats[i].delegated(svc); err != nil {
				return nil, nil, "", nil, err
			}
		}
	}
	mux.Handle("/", api.New(api.Config{Service: svc, Logger: logger, AuthThrottle: cfg.Auth.Throttle, OAuthTokenTTL: cfg.OAuthTokenTTL,
		Delegated: delegated}))
	return outer, svc, strings.Join(names, ","), settlers, nil
}

// settler is a chat platform's handler that may still be working on
// requests it answered (Slack's, which answers within its 3 seconds and
// finishes after): Wait returns once that work is done, or ctx's error.
type settler interface {
	Wait(ctx context.Context) error
}

// warnWebhooksUnsent warns, when serve has no PLAYBOOKS_WEBHOOK_SECRET,
// if anything stored could send a webhook (store.WebhooksInUse): each
// would fail unsent. Without any, the warning would be noise at every
// start; a playbook given a webhook later is warned of then (bot.Config's
// WebhooksUnsent), and so is each webhook that fails unsent.
func warnWebhooksUnsent(ctx context.Context, db *store.DB, logger *slog.Logger) {
	const msg = "PLAYBOOKS_WEBHOOK_SECRET is not set: playbook webhooks will fail without being sent"
	inUse, err := db.WebhooksInUse(ctx)
	switch {
	case err != nil:
		logger.Warn(msg+" (whether any playbook has one is unknown)", "error", err)
	case inUse:
		logger.Warn(msg)
	}
}

// readyTimeout bounds GET /readyz: a database slower than this is not
// ready to serve.
const readyTimeout = 2 * time.Second

// newMetrics returns the server's metrics: its HTTP requests, the job
// queue of db, the pool of db, the build.
func newMetrics(db *store.DB, logger *slog.Logger) *observe.Metrics {
	v, rev := buildVersion()
	return observe.NewMetrics(observe.MetricsConfig{DB: db.Pool(), Jobs: db, Version: v, Revision: rev, Logger: logger})
}

// migrate applies pending migrations.
func migrate(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	db, err := openStore(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

// serve runs the HTTP server until ctx is done, then shuts down gracefully:
// requests in flight may finish within PLAYBOOKS_SHUTDOWN_GRACE, and so
// may the jobs in hand; "shutdown finished" is logged, with how long it
// took, once nothing runs any more.
// It prints "listening on http://ADDR" to stdout once it accepts requests.
// Its flags are parsed into cfg, and logger built from it, by the serve
// command (cli.go).
func serve(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	// Lines logged within a request carry its request_id.
	logger = slog.New(observe.WithRequestID(logger.Handler()))
	db, err := openStore(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer db.Close()

	metrics := newMetrics(db, logger)
	handler, svc, platform, settlers, err := routes(cfg, db, logger, metrics)
	if err != nil {
		return err
	}
	var sender bot.WebhookPoster
	if cfg.Webhooks.Secret != "" {
		ws, err := webhook.New(cfg.Webhooks)
		if err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
		sender = ws
	} else {
		warnWebhooksUnsent(ctx, db, logger)
	}
	host, _ := os.Hostname()
	dispatcher, err := bot.NewDispatcher(bot.DispatcherConfig{
		Service: svc, Sender: sender, Owner: fmt.Sprintf("%s-%d-%s", host, os.Getpid(), bot.NewID()[:6]), Logger: logger,
		Grace: cfg.ShutdownGrace, Retention: cfg.JobRetention, Metrics: metrics,
	})
	if err != nil {
		return err
	}
	// The dispatcher stops claiming as soon as ctx ends, and finishes the
	// jobs in hand within the grace period, beside the HTTP server's.
	dctx, cancelDispatcher := context.WithCancel(ctx)
	dispatched := make(chan error, 1)
	go func() { dispatched <- dispatcher.Run(dctx) }()
	stopDispatcher := sync.OnceFunc(func() {
		cancelDispatcher()
		<-dispatched
	})
	defer stopDispatcher()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	logger.Info("serving", "addr", ln.Addr().String(), "chat", platform)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := cmp.Or(cfg.ShutdownGrace, defaultShutdownGrace)
	logger.Info("shutting down", "grace", grace.String())
	began := time.Now()
	err = drain(srv, errc, grace, settlers, svc, logger)
	// The dispatcher has had the same grace for the jobs in hand.
	stopDispatcher()
	logger.Info("shutdown finished", "duration_ms", float64(time.Since(began).Microseconds())/1000)
	return err
}

// drain stops srv (serving into errc) accepting, and lets the requests in
// flight, then the chat platforms' work and the checklist post refreshes
// they left, finish within grace; whatever still runs after it is cut.
func drain(srv *http.Server, errc <-chan error, grace time.Duration, settlers []settler, svc *bot.Service, logger *slog.Logger) error {
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
		return fmt.Errorf("requests still running after PLAYBOOKS_SHUTDOWN_GRACE (%s) were cut: %w", grace, err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Work a chat platform was answered for before it was done (a Slack
	// run being started) and the checklist post refreshes the last changes
	// started are let finish within the same grace; a refresh cut is found
	// by another replica's sweep, or this one's when it starts again.
	for _, st := range settlers {
		if err := st.Wait(shutdown); err != nil {
			logger.Warn("chat work acknowledged but still running at the end of the grace period was cut", "error", err)
		}
	}
	if err := svc.SettlePosts(shutdown); err != nil {
		logger.Warn("checklist post refreshes still running at the end of the grace period were cut", "error", err)
	}
	return nil
}
