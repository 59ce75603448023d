package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

// composeCommand loads a compose file as `docker compose config` does:
// the Compose Specification's JSON schema, interpolation, env files and
// the consistency checks (depends_on, named volumes, ...). It prints the
// resolved project as JSON. Only the given env file is read, never this
// process's environment, so that the answer is the same on every machine.
func composeCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("compose", flag.ContinueOnError)
	file := fs.String("f", "compose.yaml", "the compose file")
	envFile := fs.String("env-file", "", "the env file for interpolation and env_file (default: .env beside the compose file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := filepath.Dir(*file)
	if *envFile == "" {
		*envFile = filepath.Join(dir, ".env")
	}
	opts, err := cli.NewProjectOptions([]string{*file},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(*envFile),
		cli.WithDotEnv,
		cli.WithConsistency(true),
	)
	if err != nil {
		return err
	}
	project, err := opts.LoadProject(ctx)
	if err != nil {
		return err
	}
	out, err := project.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}
