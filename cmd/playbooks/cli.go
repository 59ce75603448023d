package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/peterbourgon/ff/v4"
	"github.com/peterbourgon/ff/v4/ffhelp"
)

// usageError is a wrong command line: an unknown command or flag, a
// missing or extra argument. The program prints it and a pointer to the
// help of the command it was for (hint), not the help itself, which would
// bury the one line that matters; it exits 2.
type usageError struct {
	err error
	// path is the command as typed after "playbooks": "token list"; ""
	// for the root.
	path string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// hint is the line printed after the error.
func (e *usageError) hint() string {
	return fmt.Sprintf("Run '%s --help' for usage.", strings.TrimSpace("playbooks "+e.path))
}

// exitCode is the exit status for what run returned: 0 for success (help
// included), 2 for a wrong command line, 1 for anything else.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return 2
	default:
		return 1
	}
}

// cli is one invocation of the program: its command tree, and which flag
// is set by which variable.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	root           *ff.Command
	// vars maps each flag bound to a variable to that variable's name.
	vars map[ff.Flag]string
}

// run is the whole program, so that a test can start it on port 0. It
// returns nil after printing help, a *usageError for a wrong command line
// (see exitCode), and any other error for a failure.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr, vars: map[ff.Flag]string{}}
	c.root = c.commands()
	return c.run(ctx, args)
}

func (c *cli) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return c.usage(c.root, errors.New("no command given"))
	}
	if args[0] == "help" { // `help token list` is `token list --help`
		args = append(slices.Clone(args[1:]), "--help")
	}
	err := c.root.Parse(args)
	selected := c.root.GetSelected()
	if selected == nil {
		selected = c.root
	}
	switch {
	case errors.Is(err, ff.ErrHelp):
		c.help(selected, c.stdout)
		return nil
	case err != nil:
		err = flagSetError(err)
		if p := commandPath(selected); p != "" {
			err = fmt.Errorf("%s: %w", p, err)
		}
		return c.usage(selected, err)
	}
	// Flags stop at the first argument: `token revoke ID --help` still
	// asks for help, and must not revoke anything.
	if slices.ContainsFunc(selected.Flags.GetArgs(), isHelp) {
		c.help(selected, c.stdout)
		return nil
	}
	if v, ok := c.root.Flags.GetFlag("version"); ok && v.IsSet() && selected != c.root {
		return c.usage(c.root, fmt.Errorf("--version takes no command, got %q", selected.Name))
	}
	if err := c.fromEnv(selected); err != nil {
		return c.usage(selected, err)
	}
	return c.root.Run(ctx)
}

// flagSetError returns the error of the flag set that refused the command
// line, of which ff.Command.Parse returns "list: parse args: unknown flag
// ..." (wrapped in the command's name and the parse stage): run names the
// command by its whole path instead. TestUsageErrors checks the result.
func flagSetError(err error) error {
	inner := err
	for range 2 {
		if inner = errors.Unwrap(inner); inner == nil {
			return err
		}
	}
	return inner
}

// commandPath names cmd as typed after "playbooks": "token list"; "" for
// the root.
func commandPath(cmd *ff.Command) string {
	var names []string
	for ; cmd != nil && cmd.GetParent() != nil; cmd = cmd.GetParent() {
		names = append([]string{cmd.Name}, names...)
	}
	return strings.Join(names, " ")
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help"
}

// help writes cmd's help.
func (c *cli) help(cmd *ff.Command, w io.Writer) {
	ffhelp.Command(cmd).WriteTo(w)
}

// usage returns err as a usage error of cmd, whose help the program
// points to.
func (c *cli) usage(cmd *ff.Command, err error) error {
	return &usageError{err: err, path: commandPath(cmd)}
}

// group is the Exec of cmd, a command that only holds subcommands (token,
// mattermost): run without one, or with one it does not have, it is a
// usage error naming them, or the one nearest a mistyped name.
func (c *cli) group(cmd *ff.Command) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		names := subcommandNames(cmd)
		use := "use " + orList(names)
		if len(args) == 0 {
			return c.usage(cmd, fmt.Errorf("%s: no subcommand given: %s", cmd.Name, use))
		}
		if near := suggest(args[0], names); near != "" {
			use = fmt.Sprintf("did you mean %q?", near)
		}
		return c.usage(cmd, fmt.Errorf("unknown %s command %q: %s", cmd.Name, args[0], use))
	}
}

// subcommandNames returns the names of cmd's subcommands.
func subcommandNames(cmd *ff.Command) []string {
	var names []string
	for _, sub := range cmd.Subcommands {
		names = append(names, sub.Name)
	}
	return names
}

// suggest returns the name nearest to typed (in the optimal string
// alignment distance, case aside, as ff matches commands) when it is near
// enough to be a slip: one edit for a word of up to 4 letters, two for a
// longer one. Otherwise "": a far guess is noise.
func suggest(typed string, names []string) string {
	typed = strings.ToLower(typed)
	near := nearest(typed, names)
	limit := 2
	if len(typed) <= 4 {
		limit = 1
	}
	if near == "" || editDistance(typed, near) > limit {
		return ""
	}
	return near
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// bind adds to fs a string flag for each setting, named after it (see
// setting.flag) unless names gives another name for it, with the setting's
// default and help, and records it as set by the variable.
func (c *cli) bind(fs *ff.FlagSet, settings []setting, names map[string]string) {
	for _, s := range settings {
		long := s.flag()
		if n, ok := names[s.name]; ok {
			long = n
		}
		usage := s.help + " [$" + s.name + "]"
		if s.secret {
			usage += " (secret: prefer the variable, ps shows flags)"
		}
		fs.StringConfig(ff.FlagConfig{LongName: long, Usage: usage, Placeholder: "VALUE"}, s.def)
		f, _ := fs.GetFlag(long)
		c.vars[f] = s.name
	}
}

// fromEnv sets each flag of cmd (its parents' included) that the command
// line left unset from its variable, when that is set: flags win over the
// environment.
func (c *cli) fromEnv(cmd *ff.Command) error {
	return cmd.Flags.WalkFlags(func(f ff.Flag) error {
		name, ok := c.vars[f]
		if !ok || f.IsSet() {
			return nil
		}
		if v := c.getenv(name); v != "" {
			if err := f.SetValue(v); err != nil {
				return fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
		return nil
	})
}

// lookup is getenv as cmd's flags override it: the value of the flag bound
// to a variable (set on the command line, else from the variable, else its
// default), and the variable itself for variables cmd has no flag for.
func (c *cli) lookup(cmd *ff.Command) func(string) string {
	values := map[string]string{}
	cmd.Flags.WalkFlags(func(f ff.Flag) error {
		if name, ok := c.vars[f]; ok {
			values[name] = f.GetValue()
		}
		return nil
	})
	return func(name string) string {
		if v, ok := values[name]; ok {
			return v
		}
		return c.getenv(name)
	}
}

// config loads the configuration as cmd's flags and the environment give
// it, and the logger it asks for.
func (c *cli) config(cmd *ff.Command) (config, *slog.Logger, error) {
	cfg, err := loadConfig(c.lookup(cmd))
	if err != nil {
		return cfg, nil, err
	}
	return cfg, newLogger(cfg, c.stderr), nil
}

// noArgs returns a usage error when cmd was given arguments.
func (c *cli) noArgs(cmd *ff.Command, args []string) error {
	if len(args) > 0 {
		return c.usage(cmd, fmt.Errorf("%s: unexpected argument %q", cmd.Name, args[0]))
	}
	return nil
}

// databaseSettings are the flags of every command that opens the
// database besides serve.
func databaseSettings() []setting {
	return settingsNamed("PLAYBOOKS_DATABASE_URL", "PLAYBOOKS_LOG_FORMAT", "PLAYBOOKS_LOG_LEVEL")
}

// settingsNamed returns the declared settings of these names; it panics
// on a name never declared, a programming error every test would meet.
func settingsNamed(names ...string) []setting {
	var out []setting
	for _, name := range names {
		s, ok := lookupSetting(name)
		if !ok {
			panic("undeclared setting " + name)
		}
		out = append(out, s)
	}
	return out
}

// envHelp is the paragraph every command with flags ends its help with.
const envHelp = `Every flag can also be set by the variable named after it in [brackets];
a flag given on the command line wins over the variable.`

// commands builds the command tree.
func (c *cli) commands() *ff.Command {
	rootFlags := ff.NewFlagSet("playbooks")
	showVersion := rootFlags.BoolLong("version", "print the version and exit")
	root := &ff.Command{
		Name:      "playbooks",
		Usage:     "playbooks <command> [flags] [args]",
		ShortHelp: "incident-response checklists for Mattermost and Slack, with a REST API",
		LongHelp: `Run "playbooks <command> --help" for a command's flags and the variables
that set them.`,
		Flags: rootFlags,
		Exec: func(ctx context.Context, args []string) error {
			if *showVersion {
				return c.version(args)
			}
			if len(args) > 0 {
				err := fmt.Errorf("unknown command %q", args[0])
				// `help` is a command too (run turns it into --help).
				if near := suggest(args[0], append(subcommandNames(c.root), "help")); near != "" {
					err = fmt.Errorf("unknown command %q: did you mean %q?", args[0], near)
				}
				return c.usage(c.root, err)
			}
			return c.usage(c.root, errors.New("no command given"))
		},
		Subcommands: []*ff.Command{
			c.serveCommand(), c.migrateCommand(), c.tokenCommand(), c.clientCommand(), c.adminCommand(), c.mattermostCommand(),
			c.versionCommand(), c.healthCommand(),
		},
	}
	return root
}

func (c *cli) serveCommand() *ff.Command {
	fs := ff.NewFlagSet("serve")
	c.bind(fs, serveSettings(), nil)
	cmd := &ff.Command{
		Name:      "serve",
		Usage:     "playbooks serve [flags]",
		ShortHelp: "run the bot and the REST API (migrates the database first)",
		LongHelp: `Serves the REST API, the chat platforms' endpoints and the details pages,
and runs the job dispatcher (webhooks, reminders, post refreshes). It applies
pending migrations first, creating the SQLite file if there is none, and
stops gracefully on SIGTERM or SIGINT. Each flag below lists its variable and
its default; a chat platform is configured when its variables are set.

` + envHelp,
		Flags: fs,
	}
	cmd.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(cmd, args); err != nil {
			return err
		}
		cfg, logger, err := c.config(cmd)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, logger, c.stdout)
	}
	return cmd
}

func (c *cli) migrateCommand() *ff.Command {
	fs := ff.NewFlagSet("migrate")
	c.bind(fs, databaseSettings(), nil)
	cmd := &ff.Command{
		Name:      "migrate",
		Usage:     "playbooks migrate [flags]",
		ShortHelp: "apply pending schema migrations and exit",
		LongHelp: `Applies the pending migrations to the database, creating the SQLite file if
there is none (serve does the same when it starts).

` + envHelp,
		Flags: fs,
	}
	cmd.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(cmd, args); err != nil {
			return err
		}
		cfg, logger, err := c.config(cmd)
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, logger, c.stdout)
	}
	return cmd
}

func (c *cli) versionCommand() *ff.Command {
	cmd := &ff.Command{
		Name:      "version",
		Usage:     "playbooks version",
		ShortHelp: "print the version and exit (also: playbooks --version)",
		Flags:     ff.NewFlagSet("version"),
	}
	cmd.Exec = func(ctx context.Context, args []string) error {
		if err := c.noArgs(cmd, args); err != nil {
			return err
		}
		return c.version(nil)
	}
	return cmd
}

// version prints the version line.
func (c *cli) version(args []string) error {
	if len(args) > 0 {
		return c.usage(c.root, fmt.Errorf("--version takes no command, got %q", args[0]))
	}
	fmt.Fprintln(c.stdout, versionLine())
	return nil
}
