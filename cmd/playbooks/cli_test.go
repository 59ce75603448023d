package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/peterbourgon/ff/v4"

	"github.com/playbooks-bot/playbooks"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
)

// result is what one run of the program did.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the program as main does, in environ ("NAME=value" pairs).
func runCLI(t *testing.T, environ []string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runMain(context.Background(), args, environ, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// commandPaths returns the path of every command of the tree but the
// root, e.g. ["serve"], ["token", "list"], so that a command added later
// is covered by the tests that walk them.
func commandPaths(t *testing.T) [][]string {
	t.Helper()
	c := &cli{getenv: func(string) string { return "" }, vars: map[ff.Flag]string{}}
	var paths [][]string
	var walk func(prefix []string, cmd *ff.Command)
	walk = func(prefix []string, cmd *ff.Command) {
		for _, sub := range cmd.Subcommands {
			p := append(slices.Clone(prefix), sub.Name)
			paths = append(paths, p)
			walk(p, sub)
		}
	}
	walk(nil, c.commands())
	if len(paths) < 9 {
		t.Fatalf("command tree has %d commands, want at least 9: %v", len(paths), paths)
	}
	return paths
}

// snapshot returns every file under dir with the SHA-256 of its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestHelpDoesNothingElse checks issue 12: every command's and
// subcommand's -h and --help print its help to stdout and exit 0, and
// change nothing: an existing SQLite database is byte-identical
// afterwards, and none is created where there was none.
func TestHelpDoesNothingElse(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing", "playbooks.db")
	env := []string{"PLAYBOOKS_DATABASE_URL=" + existing}
	if r := runCLI(t, env, "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	if r := runCLI(t, env, "token", "create", "--user", "u1", "--admin"); r.code != 0 {
		t.Fatalf("token create: %+v", r)
	}
	before := snapshot(t, dir)
	if len(before) == 0 {
		t.Fatal("no database file after migrate")
	}
	missing := filepath.Join(dir, "missing", "playbooks.db")
	// A serve that ran would listen: give it an address that proves it did.
	envs := map[string][]string{
		"existing database": {"PLAYBOOKS_DATABASE_URL=" + existing, "PLAYBOOKS_LISTEN=127.0.0.1:0"},
		"no database":       {"PLAYBOOKS_DATABASE_URL=" + missing, "PLAYBOOKS_LISTEN=127.0.0.1:0"},
	}
	var cases [][]string
	cases = append(cases, []string{"--help"}, []string{"-h"}, []string{"help"}, []string{"help", "token", "revoke"})
	for _, p := range commandPaths(t) {
		cases = append(cases, append(slices.Clone(p), "--help"), append(slices.Clone(p), "-h"))
	}
	// After an argument, flags are no longer parsed: help must still win.
	cases = append(cases, []string{"token", "revoke", "tok_1", "--help"}, []string{"token", "create", "--user", "u1", "--admin", "-h"})
	for name, environ := range envs {
		for _, args := range cases {
			t.Run(name+"/"+strings.Join(args, " "), func(t *testing.T) {
				r := runCLI(t, environ, args...)
				if r.code != 0 {
					t.Fatalf("exit %d, want 0; stderr %q", r.code, r.stderr)
				}
				if !strings.Contains(r.stdout, "USAGE") || strings.Contains(r.stdout, "listening on") {
					t.Errorf("stdout is not just the help:\n%s", r.stdout)
				}
				if r.stderr != "" {
					t.Errorf("stderr = %q, want nothing", r.stderr)
				}
			})
		}
	}
	after := snapshot(t, dir)
	if !maps.Equal(before, after) {
		t.Errorf("files changed by help:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("help created %s (%v)", filepath.Dir(missing), err)
	}
}

// TestUsageErrors checks that a wrong command line prints, to stderr, the
// error and one line naming the help of the command it was for (a help
// that exists: run, it exits 0), and exits 2, before touching any
// database.
func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PLAYBOOKS_DATABASE_URL=" + filepath.Join(dir, "db", "playbooks.db"), "PLAYBOOKS_LISTEN=127.0.0.1:0"}
	cases := map[string][]string{
		"no command":         {},
		"unknown command":    {"frobnicate"},
		"unknown root flag":  {"--frobnicate"},
		"token alone":        {"token"},
		"unknown token":      {"token", "frob"},
		"revoke no id":       {"token", "revoke"},
		"revoke two ids":     {"token", "revoke", "a", "b"},
		"create extra arg":   {"token", "create", "--user", "u", "--admin", "extra"},
		"create no value":    {"token", "create", "--user"},
		"create no user":     {"token", "create", "--admin"},
		"create no scope":    {"token", "create", "--user", "u1"},
		"setup no flags":     {"mattermost", "setup"},
		"setup no team":      {"mattermost", "setup", "--url", "http://127.0.0.1:1", "--token", "t", "--public-url", "http://127.0.0.1:2"},
		"list extra arg":     {"token", "list", "x"},
		"migrate extra arg":  {"migrate", "now"},
		"serve extra arg":    {"serve", "now"},
		"mattermost alone":   {"mattermost"},
		"mattermost unknown": {"mattermost", "teardown"},
		"version extra arg":  {"version", "x"},
		"version flag arg":   {"--version", "x"},
		"version flag serve": {"--version", "serve"},
		"health extra arg":   {"health", "x"},
		"health bad timeout": {"health", "--timeout", "soon"},
		"health no port":     {"health", "--listen", ":0"},
	}
	for _, p := range commandPaths(t) {
		cases[strings.Join(p, " ")+" unknown flag"] = append(slices.Clone(p), "--no-such-flag")
	}
	pointer := regexp.MustCompile(`^Run 'playbooks ((?:[a-z]+ )*)--help' for usage\.$`)
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, env, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "playbooks: ") || !pointer.MatchString(lines[1]) {
				t.Fatalf("stderr is %d lines, want the error and a pointer to --help:\n%s", len(lines), r.stderr)
			}
			help := append(strings.Fields(pointer.FindStringSubmatch(lines[1])[1]), "--help")
			if h := runCLI(t, env, help...); h.code != 0 || !strings.Contains(h.stdout, "USAGE") {
				t.Errorf("the pointer %q: exit %d, stdout %q; want its help", lines[1], h.code, h.stdout)
			}
		})
	}
	if files := snapshot(t, dir); len(files) != 0 {
		t.Errorf("usage errors created %v", files)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "list", "--no-such-flag"}, "playbooks: token list: unknown flag \"no-such-flag\"\nRun 'playbooks token list --help' for usage.\n"},
		{[]string{"serve", "--lisen", ":1"}, "playbooks: serve: unknown flag \"lisen\"\nRun 'playbooks serve --help' for usage.\n"},
		{[]string{"frobnicate"}, "playbooks: unknown command \"frobnicate\"\nRun 'playbooks --help' for usage.\n"},
		{[]string{"token", "revoke"}, "playbooks: token revoke takes one TOKEN_ID, got 0 arguments\nRun 'playbooks token revoke --help' for usage.\n"},
	} {
		if r := runCLI(t, env, tt.args...); r.stderr != tt.want {
			t.Errorf("%v: stderr\n%s\nwant\n%s", tt.args, r.stderr, tt.want)
		}
	}
}

// TestDidYouMean checks that a mistyped command, at the top or below
// token, client, admin and mattermost, is answered with the nearest
// command of that level, and garbage with none; still in two lines.
func TestDidYouMean(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string // "" for no suggestion
	}{
		{[]string{"serv"}, `playbooks: unknown command "serv": did you mean "serve"?`},
		{[]string{"migrat"}, `playbooks: unknown command "migrat": did you mean "migrate"?`},
		{[]string{"tokne", "list"}, `playbooks: unknown command "tokne": did you mean "token"?`},
		{[]string{"Matermost", "setup"}, `playbooks: unknown command "Matermost": did you mean "mattermost"?`},
		{[]string{"mattermost", "stup"}, `playbooks: unknown mattermost command "stup": did you mean "setup"?`},
		{[]string{"token", "lsit"}, `playbooks: unknown token command "lsit": did you mean "list"?`},
		{[]string{"client", "revoek", "c1"}, `playbooks: unknown client command "revoek": did you mean "revoke"?`},
		{[]string{"admin", "lnk"}, `playbooks: unknown admin command "lnk": did you mean "link"?`},
		{[]string{"frobnicate"}, ""},
		{[]string{"x"}, ""},
		{[]string{"token", "frob"}, ""},
		{[]string{"mattermost", "teardown"}, ""},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.code != 2 || len(lines) != 2 {
				t.Fatalf("exit %d, %d lines of stderr; want 2 and 2:\n%s", r.code, len(lines), r.stderr)
			}
			switch {
			case tt.want == "" && strings.Contains(r.stderr, "did you mean"):
				t.Errorf("got a suggestion for garbage: %s", lines[0])
			case tt.want != "" && lines[0] != tt.want:
				t.Errorf("got %s\nwant %s", lines[0], tt.want)
			}
		})
	}
}

// TestVersion checks `playbooks version` and `playbooks --version`.
func TestVersion(t *testing.T) {
	want := regexp.MustCompile(`^playbooks \S+ \(revision \S+, go\S+\)\n$`)
	var lines []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runCLI(t, nil, args...)
		if r.code != 0 || !want.MatchString(r.stdout) {
			t.Errorf("%v: exit %d, stdout %q; want 0 and a version line", args, r.code, r.stdout)
		}
		lines = append(lines, r.stdout)
	}
	if lines[0] != lines[1] {
		t.Errorf("version %q and --version %q differ", lines[0], lines[1])
	}
	// A test binary records no module version and no VCS information, as
	// a go run binary does not: it says the changelog's newest release.
	dev := "v" + playbooks.Release() + "+dev"
	if v, rev := buildVersion(); v != dev || rev != "" {
		t.Errorf("test binary version %q, revision %q; want %q and none (no -X, no module version, no VCS)", v, rev, dev)
	}
	if !strings.HasPrefix(lines[0], "playbooks "+dev+" (revision unknown, go") {
		t.Errorf("version line %q, want it to name %s", lines[0], dev)
	}
}

// TestChooseVersion checks which version a build reports, from what it
// was built with.
func TestChooseVersion(t *testing.T) {
	vcs := func(version string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/playbooks-bot/playbooks", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const rev = "15a871e6a51ab2f8b1e0e0a4a1c2a3d4e5f60718"
	for _, tc := range []struct {
		name    string
		ldflag  string
		info    *debug.BuildInfo
		release string
		want    string
		wantRev string
	}{
		{"release build", "v0.6.0", vcs("(devel)"), "0.5.0", "v0.6.0", ""},
		{"release build from git", "v0.6.0", vcs("v0.6.0", "vcs.revision", rev, "vcs.modified", "false"), "0.6.0", "v0.6.0", rev},
		{"go install module@version", "", vcs("v0.6.0"), "0.6.0", "v0.6.0", ""},
		{"go build after a tag", "", vcs("v0.6.1-0.20261207184318-15a871e6a51a", "vcs.revision", rev), "0.6.0", "v0.6.1-0.20261207184318-15a871e6a51a", rev},
		{"go build, dirty tree", "", vcs("v0.6.0+dirty", "vcs.revision", rev, "vcs.modified", "true"), "0.6.0", "v0.6.0+dirty", rev + "-dirty"},
		{"go build, no tag", "", vcs("v0.0.0-20261207184318-15a871e6a51a", "vcs.revision", rev), "0.5.0", "v0.5.0+dev", rev},
		{"go run", "", vcs("(devel)"), "0.5.0", "v0.5.0+dev", ""},
		{"no build information", "", nil, "0.5.0", "v0.5.0+dev", ""},
		{"no release in the changelog", "", vcs("(devel)"), "", "devel", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, r := chooseVersion(tc.ldflag, tc.info, tc.release)
			if v != tc.want || r != tc.wantRev {
				t.Errorf("chooseVersion = %q, %q; want %q, %q", v, r, tc.want, tc.wantRev)
			}
		})
	}
}

// TestVersionLdflags builds the binary as a release would and checks that
// -X main.version is what it reports.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "playbooks")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v1.2.3", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "playbooks v1.2.3 (") {
		t.Errorf("--version of a -X main.version=v1.2.3 build: %q, %v", out, err)
	}
}

// TestFlagsAndEnvironment checks that every flag of the command tree is
// also set by its variable, that a flag wins over the variable, and that
// the variable wins over the default.
func TestFlagsAndEnvironment(t *testing.T) {
	// Each command's bound flags are declared variables.
	known := map[string]bool{}
	for _, s := range allSettings() {
		known[s.name] = true
	}
	c := &cli{getenv: func(string) string { return "" }, vars: map[ff.Flag]string{}}
	c.root = c.commands()
	for f, name := range c.vars {
		if !known[name] {
			long, _ := f.GetLongName()
			t.Errorf("--%s is bound to %s, which no setting declares", long, name)
		}
	}
	load := func(t *testing.T, env map[string]string, args ...string) config {
		t.Helper()
		c := &cli{getenv: func(k string) string { return env[k] }, vars: map[ff.Flag]string{}}
		c.root = c.commands()
		if err := c.root.Parse(args); err != nil {
			t.Fatal(err)
		}
		sel := c.root.GetSelected()
		if err := c.fromEnv(sel); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(c.lookup(sel))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	env := map[string]string{"PLAYBOOKS_LISTEN": "127.0.0.1:1111", "PLAYBOOKS_SHUTDOWN_GRACE": "45s", "PLAYBOOKS_LOG_LEVEL": "warn"}
	cfg := load(t, env, "serve", "--listen", "127.0.0.1:2222", "--log-format=json")
	if cfg.Listen != "127.0.0.1:2222" || cfg.ShutdownGrace.String() != "45s" || cfg.LogFormat != "json" || cfg.LogLevel.String() != "WARN" {
		t.Errorf("flag over variable over default: listen %s, grace %v, format %s, level %v; want 127.0.0.1:2222, 45s, json, WARN",
			cfg.Listen, cfg.ShutdownGrace, cfg.LogFormat, cfg.LogLevel)
	}
	cfg = load(t, nil, "serve")
	if cfg.Listen != ":8080" || cfg.DatabaseURL != "./data/playbooks.db" || cfg.LogFormat != "text" {
		t.Errorf("defaults: %+v", cfg)
	}
	// The token flags go before or after the subcommand.
	for _, args := range [][]string{{"token", "--database-url", "/x/a.db", "list"}, {"token", "list", "--database-url", "/x/a.db"}} {
		if cfg := load(t, map[string]string{"PLAYBOOKS_DATABASE_URL": "/x/b.db"}, args...); cfg.Database.Path != "/x/a.db" {
			t.Errorf("%v: database %s, want /x/a.db", args, cfg.Database.Path)
		}
	}

	// The whole program: migrate creates the database the flag names, not
	// the variable's.
	dir := t.TempDir()
	fromEnv, fromFlag := filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	if r := runCLI(t, []string{"PLAYBOOKS_DATABASE_URL=" + fromEnv}, "migrate", "--database-url", fromFlag); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	if _, err := os.Stat(fromFlag); err != nil {
		t.Errorf("the flag's database was not created: %v", err)
	}
	if _, err := os.Stat(fromEnv); !os.IsNotExist(err) {
		t.Errorf("the variable's database exists (%v), want the flag to win", err)
	}
	if r := runCLI(t, []string{"PLAYBOOKS_DATABASE_URL=" + fromEnv}, "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	if _, err := os.Stat(fromEnv); err != nil {
		t.Errorf("the variable's database was not created: %v", err)
	}
	// A wrong value from a variable is reported with the variable's name.
	if r := runCLI(t, []string{"PLAYBOOKS_LOG_LEVEL=loud"}, "migrate", "--database-url", fromFlag); r.code != 1 || !strings.Contains(r.stderr, "PLAYBOOKS_LOG_LEVEL") {
		t.Errorf("bad PLAYBOOKS_LOG_LEVEL: %+v", r)
	}
	if r := runCLI(t, []string{"PLAYBOOKS_HEALTH_TIMEOUT=soon"}, "health"); r.code != 2 || !strings.Contains(r.stderr, "PLAYBOOKS_HEALTH_TIMEOUT") {
		t.Errorf("bad PLAYBOOKS_HEALTH_TIMEOUT: %+v", r)
	}
}

// TestServeHelpListsEveryVariable checks that `serve --help` lists every
// variable serve reads, with its default.
func TestServeHelpListsEveryVariable(t *testing.T) {
	r := runCLI(t, nil, "serve", "--help")
	for _, s := range serveSettings() {
		want := "[$" + s.name + "]"
		if s.def != "" {
			want += " (default: " + s.def + ")"
		}
		if !strings.Contains(r.stdout, "--"+s.flag()+" ") || !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help lacks --%s ... %s", s.flag(), want)
		}
	}
	for _, name := range []string{"PLAYBOOKS_SLACK_SIGNING_SECRET", "PLAYBOOKS_WEBHOOK_SECRET", "PLAYBOOKS_LINK_SECRET",
		"PLAYBOOKS_LOG_FORMAT", "PLAYBOOKS_LOG_LEVEL", "PLAYBOOKS_METRICS_TOKEN", "PLAYBOOKS_JOB_RETENTION"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("serve --help does not mention %s", name)
		}
	}
}

// TestUnknownScheme checks that a database URL of another scheme is an
// error naming the accepted ones, not an SQLite file named "mysql:".
func TestUnknownScheme(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"migrate"}, {"token", "list"}} {
		r := runCLI(t, []string{"PLAYBOOKS_DATABASE_URL=mysql://db/playbooks"}, args...)
		if r.code != 1 || !strings.Contains(r.stderr, `unknown scheme "mysql"`) || !strings.Contains(r.stderr, "postgres://, postgresql://, sqlite://, file://") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and the accepted schemes", args, r.code, r.stderr)
		}
	}
	if files := snapshot(t, "."); len(files) != 0 {
		t.Errorf("created %v", files)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("created %v", entries)
	}
}

// TestUnknownVariables checks the warning about a misspelt variable: it
// names the nearest known one, and the program goes on.
func TestUnknownVariables(t *testing.T) {
	r := runCLI(t, []string{"PLAYBOOKS_DATABSE_URL=x", "PLAYBOOKS_LISTEN=:1", "PLAYBOOKS_LOGLEVEL=debug",
		"PLAYBOOKS_TEST_DATABASE_URL=postgres://x", "OTHER_DATABSE_URL=y"}, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "playbooks ") {
		t.Fatalf("version with unknown variables: %+v", r)
	}
	for _, want := range []string{
		"unknown variable PLAYBOOKS_DATABSE_URL is ignored: did you mean PLAYBOOKS_DATABASE_URL?",
		"unknown variable PLAYBOOKS_LOGLEVEL is ignored: did you mean PLAYBOOKS_LOG_LEVEL?",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, not := range []string{"PLAYBOOKS_LISTEN", "OTHER_", "PLAYBOOKS_TEST_"} {
		if strings.Contains(r.stderr, not) {
			t.Errorf("warned about %s:\n%s", not, r.stderr)
		}
	}
	// In the JSON log format, the warning is a JSON line.
	r = runCLI(t, []string{"PLAYBOOKS_LOG_FORMAT=json", "PLAYBOOKS_SECRET_PREVIUOS=x"}, "version")
	var line struct{ Level, Msg, Variable, Did_You_Mean string }
	if err := json.Unmarshal([]byte(r.stderr), &line); err != nil || line.Level != "WARN" || line.Did_You_Mean != "PLAYBOOKS_SECRET_PREVIOUS" {
		t.Errorf("JSON warning %q: %+v, %v", r.stderr, line, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"PLAYBOOKS_LISTN", "PLAYBOOKS_LISTEN"},
		{"PLAYBOOKS_SLACK_TOKEN", "PLAYBOOKS_SLACK_BOT_TOKEN"},
		{"PLAYBOOKS_WEBHOOKS_SECRET", "PLAYBOOKS_WEBHOOK_SECRET"},
		{"PLAYBOOKS_MATTERMOST_COMMAND_TOKEN", "PLAYBOOKS_MATTERMOST_COMMAND_TOKENS"},
	} {
		var names []string
		for _, s := range allSettings() {
			names = append(names, s.name)
		}
		if got := nearest(tt.in, names); got != tt.want {
			t.Errorf("nearest(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestTokenNeverCreatesDatabase checks issue 12: `token` run from a folder
// without the database fails, naming the absolute path it looked at,
// instead of creating and using a second, empty database.
func TestTokenNeverCreatesDatabase(t *testing.T) {
	serveDir, otherDir := t.TempDir(), t.TempDir()
	t.Chdir(serveDir)
	if r := runCLI(t, nil, "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	abs := filepath.Join(serveDir, "data", "playbooks.db")
	if r := runCLI(t, nil, "token", "create", "--user", "u1", "--admin"); r.code != 0 || !strings.Contains(r.stderr, abs) {
		t.Fatalf("token create in serve's folder: %+v; want it to log %s", r, abs)
	}

	t.Chdir(otherDir)
	missing := filepath.Join(otherDir, "data", "playbooks.db")
	for _, args := range [][]string{
		{"token", "create", "--user", "u1", "--admin"}, {"token", "list"}, {"token", "revoke", "tok_1"},
	} {
		r := runCLI(t, nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "no database at "+missing) || !strings.Contains(r.stderr, "PLAYBOOKS_DATABASE_URL") {
			t.Errorf("%v from another folder: exit %d, stderr %q; want 1 naming %s and PLAYBOOKS_DATABASE_URL", args, r.code, r.stderr, missing)
		}
	}
	if entries, _ := os.ReadDir(otherDir); len(entries) != 0 {
		t.Errorf("token commands created %v in another folder", entries)
	}
	// Pointed at serve's database, they work from anywhere.
	r := runCLI(t, []string{"PLAYBOOKS_DATABASE_URL=" + abs}, "token", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "u1") {
		t.Errorf("token list with PLAYBOOKS_DATABASE_URL: %+v", r)
	}
}

// TestDatabaseLogged checks that the commands that open the database log
// which one: the absolute SQLite path, the Postgres URL without password.
func TestDatabaseLogged(t *testing.T) {
	for kind, url := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			want := url
			if kind == "postgres" {
				// The test server trusts local connections; the password
				// is there to be hidden.
				url = strings.Replace(url, "postgres@", "postgres:hunter2secret@", 1)
			}
			for _, args := range [][]string{{"migrate"}, {"token", "list"}} {
				r := runCLI(t, []string{"PLAYBOOKS_DATABASE_URL=" + url, "PLAYBOOKS_LOG_FORMAT=json"}, args...)
				if r.code != 0 {
					t.Fatalf("%v: %+v", args, r)
				}
				var line struct{ Msg, Driver, Database string }
				if err := json.Unmarshal([]byte(strings.Split(r.stderr, "\n")[0]), &line); err != nil {
					t.Fatalf("%v: log %q: %v", args, r.stderr, err)
				}
				if line.Msg != "opened database" || line.Driver != kind || line.Database != want {
					t.Errorf("%v logged %+v, want opened database %s %s", args, line, kind, want)
				}
				if strings.Contains(r.stderr, "hunter2") {
					t.Errorf("%v logged the password: %s", args, r.stderr)
				}
			}
			// At level warn, the info line is not written.
			if r := runCLI(t, []string{"PLAYBOOKS_DATABASE_URL=" + url, "PLAYBOOKS_LOG_LEVEL=warn"}, "migrate"); r.code != 0 || r.stderr != "" {
				t.Errorf("migrate at level warn: %+v, want no log", r)
			}
		})
	}
}

// TestLogConfig checks PLAYBOOKS_LOG_FORMAT and PLAYBOOKS_LOG_LEVEL
// validation.
func TestLogConfig(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PLAYBOOKS_LOG_FORMAT": "xml"}, "PLAYBOOKS_LOG_FORMAT must be text or json"},
		{map[string]string{"PLAYBOOKS_LOG_LEVEL": "verbose"}, "PLAYBOOKS_LOG_LEVEL must be debug, info, warn or error"},
		{map[string]string{"PLAYBOOKS_DATABASE_URL": "mysql://x"}, "PLAYBOOKS_DATABASE_URL"},
	} {
		if _, err := loadConfig(func(k string) string { return tt.env[k] }); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.env, err, tt.want)
		}
	}
	c, err := loadConfig(func(k string) string {
		return map[string]string{"PLAYBOOKS_LOG_FORMAT": "JSON", "PLAYBOOKS_LOG_LEVEL": "Debug", "PLAYBOOKS_METRICS_TOKEN": "m-token"}[k]
	})
	if err != nil || c.LogFormat != "json" || c.LogLevel.String() != "DEBUG" || c.MetricsToken != "m-token" {
		t.Fatalf("log config: %+v, %v", c, err)
	}
	var buf bytes.Buffer
	newLogger(c, &buf).Debug("hello", "run_id", "r1")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["msg"] != "hello" || line["run_id"] != "r1" {
		t.Errorf("JSON debug line %q: %v", buf.String(), err)
	}
}

// TestHealth checks `playbooks health`: exit 0 on 200 from /readyz, 1
// with a one-line reason otherwise.
func TestHealth(t *testing.T) {
	var (
		mu           sync.Mutex
		status, body = http.StatusOK, "ok"
		requests     []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests = append(requests, r.Method+" "+r.URL.Path)
		w.WriteHeader(status)
		fmt.Fprintln(w, body)
		fmt.Fprintln(w, "second line")
	}))
	defer srv.Close()
	asked := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(requests)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	// The default URL is 127.0.0.1 on the port of PLAYBOOKS_LISTEN.
	r := runCLI(t, []string{"PLAYBOOKS_LISTEN=:" + port}, "health")
	if r.code != 0 || !strings.Contains(r.stdout, "200") {
		t.Errorf("healthy server: %+v, want exit 0", r)
	}
	if got := asked(); len(got) != 1 || got[0] != "GET /readyz" {
		t.Errorf("health asked %v, want GET /readyz", got)
	}
	// --listen and --url override the variables.
	if r := runCLI(t, []string{"PLAYBOOKS_LISTEN=:1"}, "health", "--listen", "0.0.0.0:"+port); r.code != 0 {
		t.Errorf("--listen: %+v", r)
	}
	if r := runCLI(t, []string{"PLAYBOOKS_HEALTH_URL=http://127.0.0.1:1/readyz"}, "health", "--url", srv.URL+"/healthz"); r.code != 0 || slices.Index(asked(), "GET /healthz") != 2 {
		t.Errorf("--url: %+v, asked %v", r, asked())
	}

	mu.Lock()
	status, body = http.StatusServiceUnavailable, `{"error":"database unreachable"}`
	mu.Unlock()
	r = runCLI(t, []string{"PLAYBOOKS_HEALTH_URL=" + srv.URL + "/readyz"}, "health")
	if r.code != 1 || !strings.Contains(r.stderr, "503") || !strings.Contains(r.stderr, "database unreachable") ||
		strings.Contains(r.stderr, "second line") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("unready server: %+v, want exit 1 and one line with the reason", r)
	}
	srv.Close()
	r = runCLI(t, []string{"PLAYBOOKS_LISTEN=127.0.0.1:" + port}, "health", "--timeout", "10s")
	if r.code != 1 || !strings.Contains(r.stderr, "unhealthy") {
		t.Errorf("no server: %+v, want exit 1", r)
	}
}

// TestSetupFromEnvironment checks that `mattermost setup` takes its flags
// from their variables too, the admin token kept off the command line,
// and that a flag still wins.
func TestSetupFromEnvironment(t *testing.T) {
	mm := mmtest.New(t)
	team := mm.AddTeam("acme")
	admin := mm.AddAdmin("root", team.Id)
	env := []string{
		"PLAYBOOKS_MATTERMOST_URL=" + mm.URL, "PLAYBOOKS_MATTERMOST_ADMIN_TOKEN=" + mm.AddToken(admin.Id),
		"PLAYBOOKS_MATTERMOST_TEAM=no-such-team", "PLAYBOOKS_PUBLIC_URL=http://127.0.0.1:9902",
		"PLAYBOOKS_MATTERMOST_BOT_USERNAME=incidentbot",
	}
	r := runCLI(t, env, "mattermost", "setup", "--team", "acme")
	if r.code != 0 || !strings.Contains(r.stdout, "PLAYBOOKS_LISTEN=127.0.0.1:9902") || !strings.Contains(r.stdout, "incidentbot") {
		t.Fatalf("setup from the environment: %+v", r)
	}
	if r := runCLI(t, env, "mattermost", "setup"); r.code != 1 || !strings.Contains(r.stderr, "no-such-team") {
		t.Errorf("setup with the variable's team: %+v, want it to look for no-such-team", r)
	}
	r = runCLI(t, nil, "mattermost", "setup", "--url", mm.URL)
	if r.code != 2 || !strings.Contains(r.stderr, "--token (PLAYBOOKS_MATTERMOST_ADMIN_TOKEN), --team (PLAYBOOKS_MATTERMOST_TEAM), --public-url (PLAYBOOKS_PUBLIC_URL) required") {
		t.Errorf("setup without its required flags: %+v", r)
	}
}
