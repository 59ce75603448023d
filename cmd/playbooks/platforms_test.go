package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// platformPackage is a chat adapter found in the tree: a package directly
// under bot/ that is not a test fake, and the value of its Platform
// constant ("" when it has none).
type platformPackage struct {
	rel, name string
}

// platformPackages lists the chat adapters of the module: every package
// bot/X that is not a test fake. Each must declare its platform's name as
// an exported constant Platform, the key it runs under in bot.Config.
func platformPackages(t *testing.T) []platformPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/bot/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var found []platformPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath, Dir string
			GoFiles         []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		if strings.Count(rel, "/") != 1 || slices.Contains(fakes, rel) {
			continue
		}
		found = append(found, platformPackage{rel: rel, name: platformConst(t, p.Dir, p.GoFiles)})
	}
	return found
}

// platformConst returns the value of the package's constant Platform.
func platformConst(t *testing.T, dir string, files []string) string {
	t.Helper()
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				for i, n := range v.Names {
					if n.Name != "Platform" || i >= len(v.Values) {
						continue
					}
					if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						return s
					}
				}
			}
		}
	}
	return ""
}

// TestPlatformRegistry fails when a chat adapter under bot/ is not in the
// registry of platforms.go, or is registered under another name than its
// Platform constant; and when a registry entry names a package that is not
// an adapter, lacks its import-table row, or is registered twice.
func TestPlatformRegistry(t *testing.T) {
	registered := map[string]platform{}
	for _, p := range platforms {
		if _, dup := registered[p.pkg]; dup {
			t.Errorf("%s is registered twice", p.pkg)
		}
		registered[p.pkg] = p
		if p.name == "" || p.title == "" || !strings.HasPrefix(p.prefix, "/") || !strings.HasSuffix(p.prefix, "/") ||
			p.validID == nil || p.load == nil || p.start == nil {
			t.Errorf("registry entry of %s is incomplete: %+v", p.pkg, p)
		}
		if _, ok := allowed[p.pkg]; !ok {
			t.Errorf("%s has no row in the import table (architecture_test.go)", p.pkg)
		}
	}
	found := map[string]bool{}
	for _, a := range platformPackages(t) {
		found[a.rel] = true
		p, ok := registered[a.rel]
		switch {
		case !ok:
			t.Errorf("%s is a chat adapter (a package under bot/ that is not a test fake) but is not registered in cmd/playbooks/platforms.go: see docs/adding-a-platform.md", a.rel)
		case a.name == "":
			t.Errorf("%s declares no constant Platform", a.rel)
		case a.name != p.name:
			t.Errorf("%s is registered as %q, but its Platform constant is %q", a.rel, p.name, a.name)
		}
	}
	for rel := range registered {
		if !found[rel] {
			t.Errorf("the registry names %s, which is not a package directly under bot/", rel)
		}
	}
}

// TestAddingAPlatformDoc keeps docs/adding-a-platform.md, ARCHITECTURE.md
// and the README true to the registry: the doc names every registered
// platform's package and entry file, and the files every change of its
// recipe touches; ARCHITECTURE.md lists the adapter; the README has a
// "Connect to" section for it.
func TestAddingAPlatformDoc(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("../..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	doc, arch, readme := read("docs/adding-a-platform.md"), read("ARCHITECTURE.md"), read("README.md")
	for _, f := range []string{"cmd/playbooks/platforms.go", "cmd/playbooks/architecture_test.go", "ARCHITECTURE.md", "README.md"} {
		if !strings.Contains(doc, "`"+f+"`") {
			t.Errorf("docs/adding-a-platform.md does not name %s", f)
		}
		if _, err := os.Stat(filepath.Join("../..", f)); err != nil {
			t.Errorf("docs/adding-a-platform.md names %s: %v", f, err)
		}
	}
	for _, p := range platforms {
		entry := "cmd/playbooks/platform_" + p.name + ".go"
		if _, err := os.Stat(filepath.Join("../..", entry)); err != nil {
			t.Errorf("the entry of %s is not in %s: %v", p.pkg, entry, err)
		}
		for _, want := range []string{"`" + p.pkg + "`", "`" + entry + "`"} {
			if !strings.Contains(doc, want) {
				t.Errorf("docs/adding-a-platform.md does not name %s", want)
			}
		}
		if !strings.Contains(arch, "| `"+p.pkg+"` |") {
			t.Errorf("ARCHITECTURE.md has no row for %s", p.pkg)
		}
		if !strings.Contains(readme, "\n## Connect to "+p.title+"\n") {
			t.Errorf("README.md has no section \"## Connect to %s\"", p.title)
		}
	}
}
