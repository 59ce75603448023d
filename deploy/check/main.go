// Command check validates the deployment files as the tools that read
// them do, without a Docker daemon, a registry or a network:
//
//	go run . compose -f ../../compose.yaml -env-file .env
//	go run . dockerfile ../../Dockerfile
//
// compose loads a compose file with compose-go, the loader of docker
// compose itself; dockerfile runs BuildKit's Dockerfile checks, those of
// `docker build --check`. Each prints what it found and exits 1 on a
// problem. scripts/container-check runs both. It is a module of its own so
// that the server's go.mod carries neither compose-go nor BuildKit.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: check compose [-f FILE] [-env-file FILE] | check dockerfile FILE")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "compose":
		err = composeCommand(context.Background(), os.Args[2:])
	case "dockerfile":
		err = dockerfileCommand(context.Background(), os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "check: unknown command %q: use compose or dockerfile\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		os.Exit(1)
	}
}
