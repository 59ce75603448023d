package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// repoRoot is the repository, seen from this package's folder.
const repoRoot = "../.."

// TestDocLinks follows every relative link and image of the repository's
// Markdown files (README.md, ARCHITECTURE.md and the others at the root,
// docs/, and any other folder's, but not testdata/), as GitHub renders
// them: the file or folder must exist in the repository, and an #anchor
// must name a heading of the Markdown file it points into (GitHub's slugs).
// Links with a scheme (https:, mailto:) are not followed.
func TestDocLinks(t *testing.T) {
	files := markdownFiles(t, repoRoot)
	for _, must := range []string{"README.md", "ARCHITECTURE.md", "docs/README.md"} {
		if !slices.Contains(files, must) {
			t.Errorf("%s is missing, or not checked", must)
		}
	}
	docs := map[string]*markdownDoc{}
	load := func(rel string) *markdownDoc {
		if d, ok := docs[rel]; ok {
			return d
		}
		d := parseMarkdown(t, rel)
		docs[rel] = d
		return d
	}
	var checked int
	for _, rel := range files {
		for _, l := range load(rel).links {
			checked++
			if err := checkLink(rel, l.dest, load); err != nil {
				t.Errorf("%s:%d: dead link %q: %v", rel, l.line, l.dest, err)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no link found in the Markdown files: the parsing is broken")
	}
	t.Logf("%d links checked in %d files", checked, len(files))
}

// checkLink checks the link dest found in the file from (both relative to
// the repository).
func checkLink(from, dest string, load func(string) *markdownDoc) error {
	u, err := url.Parse(dest)
	switch {
	case err != nil:
		return err
	case u.Scheme != "" || u.Host != "":
		return nil // not ours to follow
	case strings.HasPrefix(u.Path, "/"):
		return fmt.Errorf("an absolute path: GitHub resolves it outside the repository; make it relative")
	}
	target := from
	if u.Path != "" {
		target = filepath.ToSlash(filepath.Join(filepath.Dir(from), u.Path))
		if target == ".." || strings.HasPrefix(target, "../") {
			return fmt.Errorf("points outside the repository")
		}
		info, err := os.Stat(filepath.Join(repoRoot, target))
		if err != nil {
			return fmt.Errorf("no such file or folder %s", target)
		}
		if info.IsDir() {
			if u.Fragment != "" {
				return fmt.Errorf("an anchor into a folder")
			}
			return nil
		}
	}
	if u.Fragment == "" {
		return nil
	}
	if !strings.HasSuffix(target, ".md") {
		return fmt.Errorf("an anchor into %s, which is not Markdown", target)
	}
	if d := load(target); !d.anchors[u.Fragment] {
		return fmt.Errorf("%s has no heading with the anchor #%s", target, u.Fragment)
	}
	return nil
}

// markdownFiles returns the Markdown files of the repository, relative to
// root, leaving out test data, hidden folders and what programs write.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch name := d.Name(); {
			case rel == ".":
			case strings.HasPrefix(name, "."), name == "testdata", name == "node_modules",
				rel == "data", rel == "dist", rel == "artifacts":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".md") {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// markdownDoc is what the link check needs of a Markdown file.
type markdownDoc struct {
	links   []markdownLink
	anchors map[string]bool
}

type markdownLink struct {
	dest string
	line int
}

// parseMarkdown parses the file rel of the repository with goldmark
// (CommonMark and GitHub's extensions, as GitHub renders it) into its
// links and images, and the anchors of its headings.
func parseMarkdown(t *testing.T, rel string) *markdownDoc {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	root := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	doc := &markdownDoc{anchors: map[string]bool{}}
	slugs := newSlugger()
	err = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			doc.anchors[slugs.slug(plainText(n, src))] = true
		case *ast.Link:
			doc.links = append(doc.links, markdownLink{dest: string(n.Destination), line: lineOf(n, src)})
		case *ast.Image:
			doc.links = append(doc.links, markdownLink{dest: string(n.Destination), line: lineOf(n, src)})
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// plainText is the text of n as GitHub makes a heading's anchor from it:
// the text of its children, code spans' included, without markup.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// lineOf is the line of the first text within n (links have no position
// of their own in goldmark), or of its block.
func lineOf(n ast.Node, src []byte) int {
	offset := -1
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			offset = t.Segment.Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	for p := n; offset < 0 && p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			offset = p.Lines().At(0).Start
		}
	}
	if offset < 0 {
		return 0
	}
	return 1 + strings.Count(string(src[:offset]), "\n")
}

// slugger makes the anchors of a file's headings as GitHub does
// (github-slugger): lower case; letters, marks, digits, connector
// punctuation such as _, hyphens and spaces kept, anything else dropped;
// each space a hyphen; a repeated slug gets -1, -2, ...
type slugger struct{ seen map[string]int }

func newSlugger() *slugger { return &slugger{seen: map[string]int{}} }

func (s *slugger) slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-', unicode.IsLetter(r), unicode.IsMark(r), unicode.IsNumber(r), unicode.Is(unicode.Pc, r):
			b.WriteRune(r)
		}
	}
	// As github-slugger counts repeats: "x", "x" and then "x-1" make
	// x, x-1 and x-1-1.
	original := b.String()
	slug := original
	for {
		if _, taken := s.seen[slug]; !taken {
			break
		}
		s.seen[original]++
		slug = fmt.Sprintf("%s-%d", original, s.seen[original])
	}
	s.seen[slug] = 0
	return slug
}

// TestGitHubSlug checks the anchors against GitHub's for headings of
// the shapes the docs use.
func TestGitHubSlug(t *testing.T) {
	s := newSlugger()
	for _, c := range []struct{ heading, want string }{
		{"A tour with curl", "a-tour-with-curl"},
		{"Docker Compose (one host)", "docker-compose-one-host"},
		{"Jobs: webhooks, reminders and post refreshes", "jobs-webhooks-reminders-and-post-refreshes"},
		{"What's new?", "whats-new"},
		{"OAuth2 client credentials", "oauth2-client-credentials"},
		{"snake_case and kebab-case", "snake_case-and-kebab-case"},
		{"Two  spaces", "two--spaces"},
		{"Ünïcode ok", "ünïcode-ok"},
		{"playbooks --help", "playbooks---help"},
		{"Setup", "setup"},
		{"Setup", "setup-1"},
		{"Setup", "setup-2"},
		{"Setup-1", "setup-1-1"},
	} {
		if got := s.slug(c.heading); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
}
