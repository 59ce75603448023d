package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v4"
)

// healthSettings are the variables of `health`'s own flags; its --listen
// is serve's PLAYBOOKS_LISTEN, so that one variable serves both.
var healthSettings = []setting{
	{name: "PLAYBOOKS_HEALTH_URL", help: "health only: the URL to GET (default: http://127.0.0.1:<port of PLAYBOOKS_LISTEN>/readyz)"},
	{name: "PLAYBOOKS_HEALTH_TIMEOUT", def: "5s", help: "health only: how long to wait for the answer"},
}

// healthCommand is `health`, the HEALTHCHECK of a container image that
// has no curl: GET /readyz, exit 0 on 200 and 1 otherwise.
func (c *cli) healthCommand() *ff.Command {
	fs := ff.NewFlagSet("health")
	c.bind(fs, append(settingsNamed("PLAYBOOKS_LISTEN"), healthSettings...),
		map[string]string{"PLAYBOOKS_HEALTH_URL": "url", "PLAYBOOKS_HEALTH_TIMEOUT": "timeout"})
	cmd := &ff.Command{
		Name:      "health",
		Usage:     "playbooks health [--url URL] [flags]",
		ShortHelp: "ask a running serve whether it is ready (exit 0) or not (exit 1)",
		LongHelp: `GETs the server's /readyz (database reachable, migrations applied) and exits
0 on 200, 1 otherwise with a one-line reason on stderr. It is the container
HEALTHCHECK: the image has no curl. Run in the server's environment, it
finds the port in PLAYBOOKS_LISTEN.

` + envHelp,
		Flags: fs,
	}
	cmd.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(cmd, args); err != nil {
			return err
		}
		get := c.lookup(cmd)
		timeout, err := time.ParseDuration(get("PLAYBOOKS_HEALTH_TIMEOUT"))
		if err != nil || timeout <= 0 {
			return c.usage(cmd, fmt.Errorf("--timeout (PLAYBOOKS_HEALTH_TIMEOUT) must be a positive duration such as 5s, got %q", get("PLAYBOOKS_HEALTH_TIMEOUT")))
		}
		target := get("PLAYBOOKS_HEALTH_URL")
		if target == "" {
			if target, err = readyzURL(get("PLAYBOOKS_LISTEN")); err != nil {
				return c.usage(cmd, err)
			}
		}
		return health(ctx, target, timeout, c.stdout)
	}
	return cmd
}

// readyzURL is the /readyz of a serve listening on listen, asked on the
// loopback unless it listens on one address only.
func readyzURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" || port == "0" {
		return "", fmt.Errorf("cannot tell serve's port from --listen (PLAYBOOKS_LISTEN) %q: give --url", listen)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

// health GETs url and returns nil on 200, and an error with a one-line
// reason otherwise.
func health(ctx context.Context, url string, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("unhealthy: bad URL %q: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The first line of the body says why (the error of /readyz).
		line, _ := bufio.NewReader(io.LimitReader(resp.Body, 512)).ReadString('\n')
		reason := strings.TrimSpace(line)
		if reason != "" {
			reason = ": " + reason
		}
		return fmt.Errorf("unhealthy: GET %s answered %s%s", url, resp.Status, reason)
	}
	fmt.Fprintf(stdout, "healthy: GET %s answered %s\n", url, resp.Status)
	return nil
}
