package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	digest "github.com/opencontainers/go-digest"
)

// dockerfileCommand parses a Dockerfile with BuildKit's frontend and runs
// its checks over every stage, as `docker build --check` does: a syntax
// or build error, or any warning (StageNameCasing, JSONArgsRecommended,
// UndefinedVar, ...), fails.
func dockerfileCommand(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: check dockerfile FILE")
	}
	dt, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	sm := llb.NewSourceMap(nil, filepath.Base(args[0]), "Dockerfile", dt)
	sm.Definition = &llb.Definition{} // lint needs one; nothing is built
	res, err := dockerfile2llb.DockerfileLint(ctx, dt, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{},
		SourceMap:    sm,
		MetaResolver: offlineImages{},
	})
	if err != nil {
		return err
	}
	var problems []string
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		problems = append(problems, fmt.Sprintf("%s:%d: %s: %s (%s)", args[0], line, w.RuleName, w.Detail, w.URL))
	}
	if res.Error != nil {
		problems = append(problems, args[0]+": "+res.Error.Message)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s):\n%s", len(problems), strings.Join(problems, "\n"))
	}
	fmt.Printf("%s: no problem found by BuildKit's checks\n", args[0])
	return nil
}

// offlineImages stands in for a registry, which the checks ask for each
// base image's configuration: it answers an image with the environment of
// the official golang images, without a network.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	dt, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Env":        []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOLANG_VERSION=", "GOTOOLCHAIN=local", "GOPATH=/go"},
			"WorkingDir": "/go",
		},
		"rootfs": map[string]any{"type": "layers"},
	})
	return ref, digest.FromBytes(dt), dt, err
}
