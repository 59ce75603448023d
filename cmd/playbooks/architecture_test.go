package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/playbooks-bot/playbooks"

// allowed is the import table of ARCHITECTURE.md: which of this
// repository's packages each package may import, and which third-party
// module prefixes it may use beyond the standard library.
var allowed = map[string]struct {
	repo       []string
	thirdParty []string
}{
	"bot":            {},
	"store":          {repo: []string{"bot"}, thirdParty: []string{"github.com/jmoiron/sqlx", "github.com/lib/pq", "modernc.org/", "github.com/pressly/goose", "github.com/mfridman/", "github.com/sethvargo/", "go.uber.org/", "golang.org/x/", "github.com/dustin/", "github.com/mattn/", "github.com/ncruces/", "github.com/remyoudompheng/", "github.com/google/uuid"}},
	"dialogs":        {repo: []string{"bot"}},
	"webhook":        {repo: []string{"bot"}, thirdParty: []string{"code.dny.dev/ssrf"}},
	"commands":       {repo: []string{"bot", "dialogs"}},
	"bot/mattermost": {repo: []string{"bot", "commands", "dialogs"}, thirdParty: []string{"github.com/mattermost/"}},
	"bot/slack":      {repo: []string{"bot", "commands", "dialogs"}, thirdParty: []string{"github.com/slack-go/"}},
	"api":            {repo: []string{"bot", "commands", "dialogs"}, thirdParty: []string{"github.com/gorilla/mux", "golang.org/x/time/rate"}},
}

// TestArchitecture fails when a package imports something the table in
// ARCHITECTURE.md does not allow it: a package of this repository, directly
// or through another package, or a third-party package directly. (What a
// third-party package pulls in is that package's business: mattermost's
// model brings grpc and more.)
func TestArchitecture(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct {
		ImportPath string
		Standard   bool
		Deps       []string
		Imports    []string
	}
	std := map[string]bool{}
	var ours []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Standard {
			std[p.ImportPath] = true
		}
		if strings.HasPrefix(p.ImportPath, module+"/") {
			ours = append(ours, p)
		}
	}
	checked := 0
	for _, p := range ours {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		rule, ok := allowed[rel]
		if !ok {
			continue // cmd/playbooks and test helpers may import anything
		}
		checked++
		for _, d := range p.Deps {
			if dr, ok := strings.CutPrefix(d, module+"/"); ok &&
				!slices.ContainsFunc(rule.repo, func(a string) bool { return dr == a || strings.HasPrefix(dr, a+"/") }) {
				t.Errorf("%s imports %s; ARCHITECTURE.md allows only %v", rel, dr, rule.repo)
			}
		}
		for _, d := range p.Imports {
			if std[d] || strings.HasPrefix(d, module+"/") {
				continue
			}
			if !slices.ContainsFunc(rule.thirdParty, func(prefix string) bool { return strings.HasPrefix(d, prefix) }) {
				t.Errorf("%s imports %s, which ARCHITECTURE.md does not give it", rel, d)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked %d packages, want at least bot, store and api", checked)
	}
}
