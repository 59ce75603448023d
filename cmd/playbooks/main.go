// Command playbooks is the playbooks server: `serve` runs the bot and its
// REST API, `migrate` applies schema changes, `token` issues, lists and
// revokes API tokens, `mattermost setup` prepares Mattermost, `health`
// asks a running serve whether it is ready, and `version` says which
// build this is. It is the only package that reads the environment.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the program in environ ("NAME=value" pairs, as os.Environ
// gives them) and returns its exit status (see exitCode), having warned
// about the PLAYBOOKS_* variables nothing reads and printed the error (a
// usage error with a pointer to the help: see usageError).
func runMain(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	getenv := func(k string) string { return env[k] }
	warnUnknown(startupLogger(getenv, stderr), env)
	err := run(ctx, args, getenv, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "playbooks:", err)
	}
	var u *usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, u.hint())
	}
	return exitCode(err)
}

// startupLogger logs what comes before the configuration is loaded in
// the format PLAYBOOKS_LOG_FORMAT asks for (text when it is wrong: the
// configuration then reports that).
func startupLogger(getenv func(string) string, w io.Writer) *slog.Logger {
	var c config
	if err := loadLog(&c, withDefaults(getenv)); err != nil {
		c.LogFormat = "text"
	}
	return newLogger(c, w)
}

// warnUnknown warns about each PLAYBOOKS_* variable of env that no
// setting declares, naming the nearest declared one: a misspelt variable
// would otherwise be silently ignored. The program goes on.
func warnUnknown(logger *slog.Logger, env map[string]string) {
	var known []string
	for _, s := range allSettings() {
		known = append(known, s.name)
	}
	var unknown []string
	for k := range env {
		if strings.HasPrefix(k, envPrefix) && !slices.Contains(known, k) && !testSuiteVariable(k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		near := nearest(k, known)
		logger.Warn(fmt.Sprintf("unknown variable %s is ignored: did you mean %s?", k, near), "variable", k, "did_you_mean", near)
	}
}

// testSuiteVariable reports whether name is one of the variables the
// test and fault suites read (docs/development.md), which a developer's
// shell may hold while running the program: PLAYBOOKS_TEST_*,
// PLAYBOOKS_FAULTS_* and PLAYBOOKS_SKIP_FAULTS.
func testSuiteVariable(name string) bool {
	return strings.HasPrefix(name, "PLAYBOOKS_TEST_") || strings.HasPrefix(name, "PLAYBOOKS_FAULTS_") || name == "PLAYBOOKS_SKIP_FAULTS"
}

// nearest returns the candidate closest to s in edit distance, the first
// of equals.
func nearest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := editDistance(s, c); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the Levenshtein distance with a swap of two adjacent letters counted as
// one edit, the commonest slip ("lsit"). Bytes: the names are ASCII.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1) // row i-2, for swaps
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
