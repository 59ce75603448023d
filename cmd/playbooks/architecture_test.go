package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/playbooks-bot/playbooks"

// rule is one row of the import table of ARCHITECTURE.md. Packages of
// this module are named exactly: a row that allows "bot" allows bot alone,
// not bot/slack or bot/mattermost/mmtest.
type rule struct {
	// repo are the packages of this module the package's production code
	// may depend on, directly or through another package.
	repo []string
	// thirdParty are the module path prefixes its production code may
	// import directly (what those pull in is their business).
	thirdParty []string
	// testRepo and testThirdParty are what its tests may import besides:
	// test fakes (mmtest, slacktest, chattest, storetest) and test-only
	// libraries are allowed here and nowhere else.
	testRepo       []string
	testThirdParty []string
}

// fakes are the packages of this module that exist for tests only.
var fakes = []string{"bot/chattest", "bot/mattermost/mmtest", "bot/slack/slacktest", "browsertest", "store/storetest"}

// allowed is the import table of ARCHITECTURE.md, denying by default:
// every package of the module has a row, and a package without one fails
// the test.
var allowed = map[string]rule{
	// The module root: the embedded changelog and the release it names, and
	// the blank import of the SQLite driver that orders a first build.
	".": {
		thirdParty: []string{"modernc.org/", "golang.org/x/", "github.com/dustin/", "github.com/mattn/", "github.com/ncruces/",
			"github.com/remyoudompheng/", "github.com/google/uuid"},
	},
	"bot": {
		testRepo:       []string{"bot/chattest", "store", "store/storetest", "webhook"},
		testThirdParty: []string{"github.com/google/go-cmp"},
	},
	"store": {
		repo: []string{"bot"},
		thirdParty: []string{"github.com/jmoiron/sqlx", "github.com/lib/pq", "modernc.org/", "github.com/pressly/goose", "github.com/mfridman/",
			"github.com/sethvargo/", "go.uber.org/", "golang.org/x/", "github.com/dustin/", "github.com/mattn/", "github.com/ncruces/",
			"github.com/remyoudompheng/", "github.com/google/uuid"},
		testRepo:       []string{"store/storetest"},
		testThirdParty: []string{"github.com/google/go-cmp"},
	},
	"dialogs": {
		repo:           []string{"bot"},
		testThirdParty: []string{"github.com/google/go-cmp"},
	},
	"webhook": {
		repo:           []string{"bot"},
		thirdParty:     []string{"code.dny.dev/ssrf"},
		testThirdParty: []string{"github.com/standard-webhooks/standard-webhooks/libraries"},
	},
	"commands": {
		repo:           []string{"bot", "dialogs"},
		testRepo:       []string{"bot/chattest", "store/storetest"},
		testThirdParty: []string{"github.com/google/go-cmp"},
	},
	"bot/chatkit": {
		repo: []string{"bot"},
	},
	"bot/mattermost": {
		repo:           []string{"bot", "bot/chatkit", "commands", "dialogs", "mmplugin"},
		thirdParty:     []string{"github.com/mattermost/"},
		testRepo:       []string{"bot/chattest", "bot/mattermost/mmtest", "store", "store/storetest"},
		testThirdParty: []string{"github.com/google/go-cmp"},
	},
	"bot/slack": {
		repo:           []string{"bot", "bot/chatkit", "commands", "dialogs"},
		thirdParty:     []string{"github.com/slack-go/"},
		testRepo:       []string{"bot/chattest", "bot/slack/slacktest", "store", "store/storetest"},
		testThirdParty: []string{"github.com/google/go-cmp", "go.yaml.in/yaml/"},
	},
	"api": {
		repo:       []string{"bot", "commands", "dialogs"},
		thirdParty: []string{"github.com/gorilla/mux", "golang.org/x/time/rate", "go.yaml.in/yaml/v3"},
		testRepo:   []string{"bot/mattermost", "bot/mattermost/mmtest", "browsertest", "store", "store/storetest"},
		testThirdParty: []string{"github.com/getkin/kin-openapi", "github.com/google/go-cmp", "go.yaml.in/yaml/",
			"github.com/mattermost/mattermost/server/public/model", "golang.org/x/oauth2"},
	},
	"observe": {
		repo:           []string{"bot"},
		thirdParty:     []string{"github.com/prometheus/client_golang"},
		testThirdParty: []string{"github.com/prometheus/common/", "github.com/prometheus/client_model", "github.com/google/go-cmp"},
	},
	"cmd/playbooks": {
		repo:       []string{".", "api", "bot", "bot/chatkit", "bot/mattermost", "bot/slack", "commands", "dialogs", "mmplugin", "observe", "store", "webhook"},
		thirdParty: []string{"github.com/peterbourgon/ff/v4"},
		testRepo:   []string{"bot/mattermost/mmtest", "bot/slack/slacktest", "browsertest", "mmplugin/companion", "store/storetest"},
		testThirdParty: []string{"github.com/lib/pq", "github.com/mattermost/mattermost/server/public/model",
			"github.com/mattermost/mattermost/server/public/plugin", "github.com/stretchr/testify/mock",
			"github.com/standard-webhooks/standard-webhooks/libraries", "mvdan.cc/sh/", "github.com/prometheus/common/",
			"github.com/prometheus/client_model", "golang.org/x/oauth2", "github.com/yuin/goldmark"},
	},
	// The companion Mattermost plugin: the contract both sides share, the
	// plugin, its executable.
	"mmplugin": {
		repo:       []string{"bot", "commands", "dialogs"},
		thirdParty: []string{"github.com/mattermost/mattermost/server/public/model", "github.com/standard-webhooks/standard-webhooks/libraries"},
	},
	"mmplugin/companion": {
		repo:           []string{"bot", "commands", "dialogs", "mmplugin"},
		thirdParty:     []string{"github.com/mattermost/mattermost/server/public/model", "github.com/mattermost/mattermost/server/public/plugin"},
		testThirdParty: []string{"github.com/stretchr/testify/mock"},
	},
	"cmd/playbooks-plugin": {
		repo:       []string{"bot", "commands", "dialogs", "mmplugin", "mmplugin/companion"},
		thirdParty: []string{"github.com/mattermost/mattermost/server/public/plugin"},
	},
	// Test fakes: production packages of their own, for tests only.
	"bot/chattest":          {repo: []string{"bot"}},
	"bot/mattermost/mmtest": {thirdParty: []string{"github.com/mattermost/mattermost/server/public/model"}, testThirdParty: []string{"github.com/google/go-cmp"}},
	"bot/slack/slacktest":   {testThirdParty: []string{"github.com/slack-go/slack"}}, // its own tests call it as the adapter does
	"store/storetest":       {repo: []string{"bot", "store"}, thirdParty: []string{"github.com/lib/pq"}},
	// The fault suite (build tag faults) is all test code.
	"faults":      {testRepo: []string{"bot/mattermost", "bot/mattermost/mmtest"}, testThirdParty: []string{"github.com/lib/pq"}},
	"browsertest": {},
}

// pkg is what go list says of a package of this module.
type pkg struct {
	ImportPath   string
	Deps         []string // production dependencies, transitively
	Imports      []string // production imports, directly
	TestImports  []string
	XTestImports []string
}

// listPackages returns every package of the module, the fault suite's
// included.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-tags", "faults", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestArchitecture fails when a package of the module imports what the
// table in ARCHITECTURE.md does not give it, or has no row in the table:
// production code may depend on exactly the packages its row names
// (directly or through another package) and import third-party modules of
// its row directly; tests may add their row's test packages and libraries.
// A test fake in production code, a sub-package that its parent's row does
// not name, a package without a row: each fails.
func TestArchitecture(t *testing.T) {
	problems := checkArchitecture(listPackages(t), allowed)
	for _, p := range problems {
		t.Error(p)
	}
}

// checkArchitecture returns what breaks the table in ps.
func checkArchitecture(ps []pkg, table map[string]rule) []string {
	var problems []string
	seen := map[string]bool{}
	ours := func(path string) (string, bool) {
		if path == module {
			return ".", true
		}
		return strings.CutPrefix(path, module+"/")
	}
	std := func(path string) bool { return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") }
	hasPrefix := func(prefixes []string, path string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(path, p) })
	}
	for _, p := range ps {
		rel, _ := ours(p.ImportPath)
		seen[rel] = true
		r, ok := table[rel]
		if !ok {
			problems = append(problems, rel+" has no row in the import table of ARCHITECTURE.md: add one (deny by default)")
			continue
		}
		for _, d := range p.Deps {
			if dr, ok := ours(d); ok && !slices.Contains(r.repo, dr) {
				problems = append(problems, rel+" depends on "+dr+"; its row allows only "+strings.Join(r.repo, ", "))
			}
		}
		for _, d := range p.Imports {
			if _, ok := ours(d); ok || std(d) {
				continue
			}
			if !hasPrefix(r.thirdParty, d) {
				problems = append(problems, rel+" imports "+d+", which its row does not give it")
			}
		}
		for _, d := range append(slices.Clone(p.TestImports), p.XTestImports...) {
			if dr, ok := ours(d); ok {
				if dr != rel && !slices.Contains(r.repo, dr) && !slices.Contains(r.testRepo, dr) {
					problems = append(problems, rel+"'s tests import "+dr+", which its row does not give them")
				}
				continue
			}
			if !std(d) && !hasPrefix(r.thirdParty, d) && !hasPrefix(r.testThirdParty, d) {
				problems = append(problems, rel+"'s tests import "+d+", which its row does not give them")
			}
		}
	}
	for rel, r := range table {
		if !seen[rel] {
			problems = append(problems, "the import table has a row for "+rel+", which is no package of the module")
		}
		if !slices.Contains(fakes, rel) {
			for _, f := range fakes {
				if slices.Contains(r.repo, f) {
					problems = append(problems, "the row of "+rel+" lets production code use the test fake "+f)
				}
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// TestArchitectureRules checks the checker on made-up packages: each
// bypass the old, prefix-matching table let through is reported.
func TestArchitectureRules(t *testing.T) {
	m := func(rel string) string { return module + "/" + rel }
	table := map[string]rule{
		"bot":                   {},
		"store":                 {repo: []string{"bot"}},
		"api":                   {repo: []string{"bot"}, thirdParty: []string{"github.com/gorilla/mux"}, testRepo: []string{"bot/mattermost/mmtest"}},
		"bot/slack":             {repo: []string{"bot"}},
		"bot/mattermost":        {repo: []string{"bot"}},
		"bot/mattermost/mmtest": {},
	}
	base := []pkg{
		{ImportPath: m("bot")}, {ImportPath: m("store"), Deps: []string{m("bot")}},
		{ImportPath: m("bot/slack"), Deps: []string{m("bot")}}, {ImportPath: m("bot/mattermost"), Deps: []string{m("bot")}},
		{ImportPath: m("bot/mattermost/mmtest")},
		{ImportPath: m("api"), Deps: []string{m("bot")}, Imports: []string{"github.com/gorilla/mux", "net/http"},
			XTestImports: []string{m("bot/mattermost/mmtest"), m("api")}},
	}
	if got := checkArchitecture(base, table); len(got) != 0 {
		t.Fatalf("a tree that keeps the table: %q", got)
	}
	for name, tc := range map[string]struct {
		change func([]pkg) []pkg
		want   string
	}{
		"sub-package of an allowed one": {func(ps []pkg) []pkg { ps[5].Deps = append(ps[5].Deps, m("bot/slack")); return ps }, "api depends on bot/slack"},
		"test fake in production":       {func(ps []pkg) []pkg { ps[5].Deps = append(ps[5].Deps, m("bot/mattermost/mmtest")); return ps }, "api depends on bot/mattermost/mmtest"},
		"package without a row": {func(ps []pkg) []pkg {
			return append(ps, pkg{ImportPath: m("bot/teams"), Deps: []string{m("store"), m("bot")}})
		}, "bot/teams has no row"},
		"third party not in the row": {func(ps []pkg) []pkg { ps[1].Imports = []string{"github.com/lib/pq"}; return ps }, "store imports github.com/lib/pq"},
		"test import not in the row": {func(ps []pkg) []pkg { ps[2].TestImports = []string{m("store")}; return ps }, "bot/slack's tests import store"},
		"row without a package":      {func(ps []pkg) []pkg { return ps[:4] }, "row for bot/mattermost/mmtest"},
	} {
		t.Run(name, func(t *testing.T) {
			ps := tc.change(slices.Clone(base))
			got := checkArchitecture(ps, table)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("problems %q, want one with %q", got, tc.want)
			}
		})
	}
}

// TestArchitectureDoc keeps the repository's ARCHITECTURE.md true: its
// package table names exactly the production packages of the import
// table, each with the packages its row allows.
func TestArchitectureDoc(t *testing.T) {
	b, err := os.ReadFile("../../ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		var deps []string
		for _, d := range strings.Split(cells[3], ",") {
			if d = strings.Trim(strings.TrimSpace(d), "`"); d != "" && d != "–" {
				deps = append(deps, d)
			}
		}
		documented[name] = deps
	}
	for rel, r := range allowed {
		if slices.Contains(fakes, rel) || rel == "faults" {
			continue
		}
		deps, ok := documented[rel]
		if !ok {
			t.Errorf("ARCHITECTURE.md has no row for %s", rel)
			continue
		}
		want := slices.Sorted(slices.Values(r.repo))
		if got := slices.Sorted(slices.Values(deps)); !slices.Equal(got, want) {
			t.Errorf("ARCHITECTURE.md: %s may depend on %v; the import table says %v", rel, got, want)
		}
		delete(documented, rel)
	}
	for rel := range documented {
		t.Errorf("ARCHITECTURE.md has a row for %s, which the import table lacks", rel)
	}
}
