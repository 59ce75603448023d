// Command composecheck loads a compose file as `docker compose config` does,
// with compose-go (the loader of docker compose itself): the Compose
// Specification's JSON schema, interpolation, env files, and the
// consistency checks (depends_on, named volumes, ...). It prints the
// resolved project as JSON, or the first error and exits 1.
//
// Only the given env file is read, never this process's environment, so
// that a check gives the same answer on every machine:
//
//	go run . -f ../../compose.yaml -env-file .env
//
// It is a module of its own, so that the server's go.mod does not carry
// compose-go; scripts/container-check runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	file := flag.String("f", "compose.yaml", "the compose file")
	envFile := flag.String("env-file", "", "the env file for interpolation and env_file (default: .env beside the compose file)")
	flag.Parse()
	if err := check(context.Background(), *file, *envFile); err != nil {
		fmt.Fprintln(os.Stderr, "composecheck:", err)
		os.Exit(1)
	}
}

// check loads file and prints the resolved project.
func check(ctx context.Context, file, envFile string) error {
	dir := filepath.Dir(file)
	if envFile == "" {
		envFile = filepath.Join(dir, ".env")
	}
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(envFile),
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
