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
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/playbooks-bot/playbooks/bot"
)

// platformPackage is a package directly under bot/ that is not a test
// fake, with the value of its Platform constant ("" when it has none) and
// whether one of its types has every method of bot.Chat.
type platformPackage struct {
	rel, name string
	chat      bool
}

// adapter reports whether p is a chat adapter: it implements bot.Chat or
// declares a Platform constant. Helpers such as bot/chatkit are neither.
func (p platformPackage) adapter() bool { return p.chat || p.name != "" }

// platformPackages lists the packages directly under bot/ that are not
// test fakes.
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
		found = append(found, inspect(t, rel, p.Dir, p.GoFiles))
	}
	return found
}

// chatMethods are the names of the methods of bot.Chat.
func chatMethods() []string {
	typ := reflect.TypeFor[bot.Chat]()
	var out []string
	for i := range typ.NumMethod() {
		out = append(out, typ.Method(i).Name)
	}
	return out
}

// inspect parses a package's production files for its Platform constant
// and for a type with all of bot.Chat's methods.
func inspect(t *testing.T, rel, dir string, files []string) platformPackage {
	t.Helper()
	p := platformPackage{rel: rel}
	methods := map[string]map[string]bool{} // receiver type → method names
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, filepath.Join(dir, f), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) == 0 {
					continue
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					if methods[id.Name] == nil {
						methods[id.Name] = map[string]bool{}
					}
					methods[id.Name][d.Name.Name] = true
				}
			case *ast.GenDecl:
				if d.Tok == token.CONST {
					if v, ok := constValue(d, "Platform"); ok {
						p.name = v
					}
				}
			}
		}
	}
	want := chatMethods()
	for _, m := range methods {
		if !slices.ContainsFunc(want, func(n string) bool { return !m[n] }) {
			p.chat = true
		}
	}
	return p
}

// constValue returns the string value of the constant name in g.
func constValue(g *ast.GenDecl, name string) (string, bool) {
	for _, s := range g.Specs {
		v := s.(*ast.ValueSpec)
		for i, n := range v.Names {
			if n.Name != name || i >= len(v.Values) {
				continue
			}
			if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				return s, err == nil
			}
		}
	}
	return "", false
}

// TestPlatformRegistry fails when a chat adapter under bot/ (a package
// with a type that has every method of bot.Chat, or a Platform constant)
// is not in the registry of platforms.go, or is registered under another
// name than its Platform constant; and when a registry entry names a package that is not
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
		if !a.adapter() {
			continue
		}
		found[a.rel] = true
		p, ok := registered[a.rel]
		switch {
		case !ok:
			t.Errorf("%s is a chat adapter (implements bot.Chat or declares Platform) but is not registered in cmd/playbooks/platforms.go: see docs/adding-a-platform.md", a.rel)
		case !a.chat:
			t.Errorf("%s has no type with every method of bot.Chat", a.rel)
		case a.name == "":
			t.Errorf("%s declares no constant Platform", a.rel)
		case a.name != p.name:
			t.Errorf("%s is registered as %q, but its Platform constant is %q", a.rel, p.name, a.name)
		}
	}
	for rel := range registered {
		if !found[rel] {
			t.Errorf("the registry names %s, which is not a chat adapter directly under bot/", rel)
		}
	}
}

// TestAddingAPlatformDoc keeps docs/adding-a-platform.md, ARCHITECTURE.md,
// the README and the manual true to the registry: the doc names every
// registered platform's package and entry file, and the files every change
// of its recipe touches; ARCHITECTURE.md lists the adapter; each platform
// has its guide, docs/<name>.md, linked from the manual's index and from
// the README, whose "Connect to" line names it.
func TestAddingAPlatformDoc(t *testing.T) {
	doc, arch, readme, index := readDoc(t, "docs/adding-a-platform.md"), readDoc(t, "ARCHITECTURE.md"), readDoc(t, "README.md"), readDoc(t, "docs/README.md")
	for _, f := range []string{"cmd/playbooks/platforms.go", "cmd/playbooks/architecture_test.go", "ARCHITECTURE.md", "README.md",
		"docs/README.md", configurationDoc} {
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
		guide := "docs/" + p.name + ".md"
		for _, want := range []string{"`" + p.pkg + "`", "`" + entry + "`", "`" + guide + "`"} {
			if !strings.Contains(doc, want) {
				t.Errorf("docs/adding-a-platform.md does not name %s", want)
			}
		}
		if !strings.Contains(arch, "| `"+p.pkg+"` |") {
			t.Errorf("ARCHITECTURE.md has no row for %s", p.pkg)
		}
		if _, err := os.Stat(filepath.Join("../..", guide)); err != nil {
			t.Errorf("%s has no guide: %v", p.title, err)
		}
		if !strings.Contains(index, "]("+p.name+".md)") {
			t.Errorf("docs/README.md does not link %s", guide)
		}
		if !strings.Contains(readme, "**Connect to "+p.title+"**") || !strings.Contains(readme, "]("+guide+")") {
			t.Errorf("README.md has no line \"**Connect to %s**\" with a link to %s", p.title, guide)
		}
	}
}
