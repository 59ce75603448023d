package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost"
	"github.com/playbooks-bot/playbooks/commands"
	"github.com/playbooks-bot/playbooks/dialogs"
	"github.com/playbooks-bot/playbooks/store"
)

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, cfg config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return db, nil
}

// routes builds the service over the configured chat platform and mounts
// the REST API and, with Mattermost, its slash command, dialog, button and
// lookup endpoints. It returns the handler and the platform's name.
func routes(cfg config, db *store.DB, logger *slog.Logger) (http.Handler, string, error) {
	m := cfg.Mattermost
	if m.URL == "" {
		svc := bot.NewService(bot.Config{Store: db, Chat: bot.NoChat{}, Admin: cfg.Admin, Logger: logger})
		return api.New(api.Config{Service: svc, Logger: logger}), "none", nil
	}
	signer, err := dialogs.NewSigner([]byte(m.Secret), nil)
	if err != nil {
		return nil, "", err
	}
	client, err := mattermost.NewClient(mattermost.Config{
		URL: m.URL, BotToken: m.BotToken, Signer: signer, PublicURL: m.PublicURL, Logger: logger,
	})
	if err != nil {
		return nil, "", err
	}
	svc := bot.NewService(bot.Config{
		Store: db, Chat: client, Admin: cfg.Admin, Logger: logger,
		Platforms: map[string]bot.Chat{mattermost.Platform: client}, DefaultPlatform: mattermost.Platform,
		ExternalAuth: mattermost.NewTokenAuth(m.URL, nil, time.Minute),
	})
	disp := commands.NewDispatcher(svc).WithUsers(client).WithLogger(logger)
	mm, err := mattermost.NewHandler(mattermost.HandlerConfig{
		Client: client, Dispatcher: disp, Service: svc, Signer: signer,
		CommandTokens: m.CommandTokens, Logger: logger,
	})
	if err != nil {
		return nil, "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/mattermost/", mm)
	mux.Handle("/", api.New(api.Config{Service: svc, Logger: logger, DialogSubmissions: mm.DialogSubmission()}))
	return mux, "mattermost", nil
}

// migrate applies pending migrations.
func migrate(ctx context.Context, cfg config, stdout io.Writer) error {
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

// serve runs the HTTP server until ctx is done, then shuts down gracefully.
// It prints "listening on http://ADDR" to stdout once it accepts requests.
func serve(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", cfg.Listen, "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	handler, platform, err := routes(cfg, db, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", *listen)
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
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
