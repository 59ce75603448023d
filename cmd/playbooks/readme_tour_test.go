package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mvdan.cc/sh/v3/syntax"

	"github.com/playbooks-bot/playbooks/api"
	"github.com/playbooks-bot/playbooks/bot"
)

// The tour of docs/tour.md is the section between these markers; its
// fenced sh blocks are run, the other blocks (answers) are not.
const (
	tourDoc   = "docs/tour.md"
	tourBegin = "<!-- tour:begin"
	tourEnd   = "<!-- tour:end"
	// tourOrigin is the server's address in the docs, replaced by the
	// test server's.
	tourOrigin = "http://localhost:8080"
	// tourProgram runs the program in the docs, replaced by the test
	// binary run as the program (see TestMain).
	tourProgram = "go run ./cmd/playbooks"
)

// tourLearnt are the variables the docs have the reader set from an
// earlier answer; the test sets them to what it learnt from that answer.
var tourLearnt = []string{"TOKEN", "PLAYBOOK_ID", "RUN_ID", "LINK"}

// readDoc returns the file rel of the repository.
func readDoc(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// needTools skips the test, or fails it under CI, without the tools a
// reader of the docs runs.
func needTools(t *testing.T, what string) {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s needs %s, which is missing, and CI is set: %v", what, tool, err)
			}
			t.Skipf("SKIPPING %s: no %s: %v", what, tool, err)
		}
	}
}

// TestReadmeTour runs the curl tour of docs/tour.md command by command with
// bash, against the program on a fresh SQLite file, as a reader would: the
// server started by the tour's serve command (with the variables the tour
// exports before it), the token made by its token command, each id the
// reader is told to export taken from the answer before, and each answer
// checked for its status and what it must show. So the tour cannot drift
// from the code: a wrong path, body or variable fails here.
func TestReadmeTour(t *testing.T) {
	needTools(t, "the tour")
	blocks := tourBlocks(t, readDoc(t, tourDoc))
	tr := newTourRunner(t, tourDoc+" tour")
	tr.steps, tr.signsLinks = tourSteps(tr), true
	tr.runBlocks(t, blocks)
}

// runBlocks runs the commands of blocks in order, as a reader would paste
// them, and fails when they never start the server or end before the
// runner's steps have all been taken.
func (tr *tourRunner) runBlocks(t *testing.T, blocks []string) {
	t.Helper()
	var n int
	for _, block := range blocks {
		for _, c := range splitCommands(t, block) {
			n++
			tr.run(t, n, c)
		}
	}
	if tr.srv == nil {
		t.Fatalf("%s: never starts the server (%s serve)", tr.name, tourProgram)
	}
	if len(tr.steps) > 0 {
		var left []string
		for _, s := range tr.steps {
			left = append(left, s.name)
		}
		t.Fatalf("%s: ends before these steps: %s", tr.name, strings.Join(left, ", "))
	}
}

// tourBlocks returns the fenced sh blocks of the tour section of doc.
func tourBlocks(t *testing.T, doc string) []string {
	t.Helper()
	return shBlocks(t, doc, tourBegin, tourEnd)
}

// shBlocks returns the fenced sh blocks of doc between the markers begin
// and end, which it must have once each.
func shBlocks(t *testing.T, doc, begin, end string) []string {
	t.Helper()
	_, section, ok := strings.Cut(doc, begin)
	if !ok || strings.Count(doc, begin) != 1 {
		t.Fatalf("the doc must have exactly one %q marker", begin)
	}
	section, _, ok = strings.Cut(section, end)
	if !ok {
		t.Fatalf("the doc has no %q marker after %q", end, begin)
	}
	var blocks []string
	lines := strings.Split(section, "\n")
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		lang := strings.TrimPrefix(fence, "```")
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s: the %q block is not closed", begin, fence)
		}
		if lang == "sh" {
			blocks = append(blocks, strings.Join(body, "\n")+"\n")
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("%s: no sh block", begin)
	}
	return blocks
}

// tourCommand is one command of the tour: its source and its parse.
type tourCommand struct {
	src  string
	stmt *syntax.Stmt
	// off is the offset of src in the block the positions of stmt count in.
	off uint
}

// splitCommands splits a block into its commands with a shell parser, so
// that quoted newlines, continuations and here-documents stay in their
// command. Each command's source runs up to the next one (comments and
// here-document bodies included).
func splitCommands(t *testing.T, block string) []tourCommand {
	t.Helper()
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(block), "tour")
	if err != nil {
		t.Fatalf("a sh block does not parse: %v\n%s", err, block)
	}
	var cmds []tourCommand
	for i, s := range f.Stmts {
		end := uint(len(block))
		if i+1 < len(f.Stmts) {
			end = f.Stmts[i+1].Pos().Offset()
		}
		start := s.Pos().Offset()
		cmds = append(cmds, tourCommand{src: block[start:end], stmt: s, off: start})
	}
	return cmds
}

// tourRunner runs the tour's commands in a folder of their own, carrying
// the exported variables from one bash to the next.
type tourRunner struct {
	name    string // the doc and section, for messages
	dir     string // the reader's folder: the server's SQLite file is ./data/playbooks.db in it
	origin  string // the server's address, on a port chosen before it starts
	env     []string
	state   string // a file of `export -p`: the variables of the reader's shell
	body    string // where curl writes each answer's body
	header  string // and its headers
	learnt  map[string]string
	srv     *server
	steps   []tourStep
	lastRun bot.Run // the run as the API showed it last
	status  string  // the status update the tour posted
	// signsLinks: the doc must export PLAYBOOKS_PUBLIC_URL (the origin)
	// and PLAYBOOKS_SECRET before serve, as its details link needs.
	signsLinks bool
}

// newTourRunner returns a runner of the doc section name; its steps are
// the caller's to set.
func newTourRunner(t *testing.T, name string) *tourRunner {
	t.Helper()
	dir, tmp := t.TempDir(), t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// playbooks: this test binary run as the program, as startProcess does.
	wrapper := fmt.Sprintf("#!/bin/sh\n%s=1 exec %s -test.run='^$' -- \"$@\"\n", asProgram, shellQuote(t, self))
	if err := os.WriteFile(filepath.Join(bin, "playbooks"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	tr := &tourRunner{
		name: name, dir: dir, origin: "http://127.0.0.1:" + freePort(t),
		state: filepath.Join(tmp, "state"), body: filepath.Join(tmp, "body"), header: filepath.Join(tmp, "header"),
		learnt: map[string]string{},
	}
	tr.env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"TOUR_STATE=" + tr.state, "TOUR_BODY=" + tr.body, "TOUR_HEADER=" + tr.header}
	if err := os.WriteFile(tr.state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return tr
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago: the
// tour's PLAYBOOKS_PUBLIC_URL must name the server's port before it starts.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func shellQuote(t *testing.T, s string) string {
	t.Helper()
	q, err := syntax.Quote(s, syntax.LangBash)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// run runs the tour's command number n: an export (with what was learnt
// substituted), the program (serve started by the test, other commands
// run by bash), or curl, whose answer the next step checks. Nothing else
// is allowed, so that every command of the tour is checked.
func (tr *tourRunner) run(t *testing.T, n int, c tourCommand) {
	t.Helper()
	where := fmt.Sprintf("%s, command %d:\n%s", tr.name, n, strings.TrimSpace(c.src))
	src := strings.ReplaceAll(c.src, tourOrigin, tr.origin)
	t.Logf("tour command %d: %s", n, strings.SplitN(strings.TrimSpace(c.src), "\n", 2)[0])
	switch cmd := c.stmt.Cmd.(type) {
	case *syntax.DeclClause:
		if cmd.Variant.Value != "export" {
			t.Fatalf("%s\nthe tour may only export variables (a new shell does not see others)", where)
		}
		src = tr.substituteExports(t, where, c, cmd)
		tr.bash(t, where, src)
	case *syntax.CallExpr:
		var words []string
		for _, w := range cmd.Args {
			words = append(words, w.Lit())
		}
		switch {
		case slices.Equal(words, strings.Fields(tourProgram+" serve")):
			tr.serve(t, where)
		case len(words) > 3 && slices.Equal(words[:3], strings.Fields(tourProgram)):
			out := tr.bash(t, where, strings.Replace(src, tourProgram, "playbooks", 1))
			if len(words) > 4 && words[3] == "token" && words[4] == "create" {
				m := secretPattern.FindStringSubmatch(out)
				if m == nil {
					t.Fatalf("%s\nprinted %q, want a secret", where, out)
				}
				tr.learnt["TOKEN"] = m[1]
			}
		case len(words) > 0 && words[0] == "curl":
			if tr.srv == nil {
				t.Fatalf("%s\ncurl before the server is started", where)
			}
			tr.curl(t, where, src)
		default:
			t.Fatalf("%s\nthe tour may only export variables, run %q and curl", where, tourProgram)
		}
	default:
		t.Fatalf("%s\nthe tour may only export variables, run %q and curl", where, tourProgram)
	}
}

// substituteExports returns the export command with each variable of
// tourLearnt set to what the test learnt, quoted, in place of the example
// value the doc shows.
func (tr *tourRunner) substituteExports(t *testing.T, where string, c tourCommand, cmd *syntax.DeclClause) string {
	t.Helper()
	parts := []string{"export"}
	for _, a := range cmd.Args {
		text := strings.ReplaceAll(c.src[a.Pos().Offset()-c.off:a.End().Offset()-c.off], tourOrigin, tr.origin)
		if a.Name != nil && slices.Contains(tourLearnt, a.Name.Value) {
			v, ok := tr.learnt[a.Name.Value]
			if !ok {
				t.Fatalf("%s\nsets %s before the answer it comes from", where, a.Name.Value)
			}
			text = a.Name.Value + "=" + shellQuote(t, v)
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, " ") + "\n"
}

// bash runs src in the reader's folder in a bash that has the variables
// exported so far and keeps those src exports; it fails t unless src
// succeeds, and returns its output. curl there is the real one told to
// write the body and headers to files and the method, status and URL to
// the output.
func (tr *tourRunner) bash(t *testing.T, where, src string) string {
	t.Helper()
	script := `. "$TOUR_STATE"
curl() { command curl -sS --max-time 60 -o "$TOUR_BODY" -D "$TOUR_HEADER" -w '%{method} %{http_code} %{url_effective}' "$@"; }
` + strings.TrimRight(src, "\n") + `
rc=$?
export -p > "$TOUR_STATE"
exit $rc
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang guard, not an assertion
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-c", script)
	cmd.Dir, cmd.Env = tr.dir, tr.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s\nfailed: %v\nstdout: %s\nstderr: %s", where, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// serve starts the server the way the tour's serve command would, with
// the PLAYBOOKS_ variables the tour exported before it, on the port of the
// tour's origin and on the SQLite file ./data/playbooks.db of the reader's
// folder. The commands after it run in a new terminal: a fresh shell.
func (tr *tourRunner) serve(t *testing.T, where string) {
	t.Helper()
	out := tr.bash(t, where, `for v in "${!PLAYBOOKS_@}"; do printf '%s=%s\0' "$v" "${!v}"; done`)
	env := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if tr.signsLinks && (env["PLAYBOOKS_PUBLIC_URL"] != tr.origin || env["PLAYBOOKS_SECRET"] == "") {
		t.Fatalf("%s\nserve gets PLAYBOOKS_PUBLIC_URL=%q and PLAYBOOKS_SECRET=%q; the tour must export PLAYBOOKS_PUBLIC_URL=%s and PLAYBOOKS_SECRET before it",
			where, env["PLAYBOOKS_PUBLIC_URL"], env["PLAYBOOKS_SECRET"], tourOrigin)
	}
	env["PLAYBOOKS_LISTEN"] = strings.TrimPrefix(tr.origin, "http://")
	env["PLAYBOOKS_DATABASE_URL"] = filepath.Join(tr.dir, "data", "playbooks.db")
	tr.srv = startServer(t, env)
	if tr.srv.URL != tr.origin {
		t.Fatalf("the server listens on %s, want %s", tr.srv.URL, tr.origin)
	}
	if err := os.WriteFile(tr.state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// tourAnswer is what a curl of the tour got.
type tourAnswer struct {
	method string
	status int
	url    *url.URL
	header http.Header
	body   []byte
}

// curl runs a curl command of the tour and checks its answer with the
// next step.
func (tr *tourRunner) curl(t *testing.T, where, src string) {
	t.Helper()
	os.Remove(tr.body)
	os.Remove(tr.header)
	out := tr.bash(t, where, src)
	f := strings.SplitN(out, " ", 3)
	if len(f) != 3 {
		t.Fatalf("%s\ncurl wrote %q, want its method, status and URL", where, out)
	}
	a := tourAnswer{method: f[0], header: http.Header{}}
	var err error
	if a.status, err = strconv.Atoi(f[1]); err != nil {
		t.Fatalf("%s\ncurl wrote status %q", where, f[1])
	}
	if a.url, err = url.Parse(f[2]); err != nil {
		t.Fatal(err)
	}
	a.body, _ = os.ReadFile(tr.body) // none for an empty answer
	raw, err := os.ReadFile(tr.header)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n")[1:] {
		if k, v, ok := strings.Cut(line, ":"); ok {
			a.header.Add(k, strings.TrimSpace(v))
		}
	}
	if len(tr.steps) == 0 {
		t.Fatalf("%s\nthe tour has a curl past its last step", where)
	}
	s := tr.steps[0]
	tr.steps = tr.steps[1:]
	path := regexp.MustCompile("^" + s.path() + "$")
	if a.method != s.method || !path.MatchString(a.url.Path) {
		t.Fatalf("%s\nsent %s %s, want step %q: %s %s", where, a.method, a.url.Path, s.name, s.method, path)
	}
	if a.status != s.status {
		t.Fatalf("%s\nstep %q: got status %d, want %d: %s", where, s.name, a.status, s.status, a.body)
	}
	if err := s.check(t, src, a); err != nil {
		t.Fatalf("%s\nstep %q: %v\nanswer: %s", where, s.name, err, abbrev(a.body))
	}
}

func abbrev(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// tourStep is what one curl of the tour must send and get.
type tourStep struct {
	name   string
	method string
	path   func() string // a regexp of the path
	status int
	// check checks the answer (the command's source at hand) and learns
	// from it.
	check func(t *testing.T, src string, a tourAnswer) error
}

// apiPath is a step's path: p (a regexp) under the API's base path.
func apiPath(p string) func() string {
	return func() string { return regexp.QuoteMeta(api.BasePath) + p }
}

// runPath is a step's path: suffix (a regexp) under the run the tour
// started, known once it has.
func (tr *tourRunner) runPath(suffix string) func() string {
	return func() string { return regexp.QuoteMeta(api.BasePath+"/runs/"+tr.learnt["RUN_ID"]) + suffix }
}

// tourSteps are the steps of the tour in order: the issue's "create a
// playbook, start a run, check an item, post a status update, end it,
// export the timeline, open the details page".
func tourSteps(tr *tourRunner) []tourStep {
	return []tourStep{
		{"create a playbook", "POST", apiPath("/playbooks"), http.StatusCreated,
			func(t *testing.T, _ string, a tourAnswer) error {
				var created struct{ ID string }
				if err := json.Unmarshal(a.body, &created); err != nil || !bot.OwnID(created.ID) {
					return fmt.Errorf("want {\"id\": ...}: %v", err)
				}
				var pb bot.Playbook
				if code := call(t, "GET", tr.origin+api.BasePath+"/playbooks/"+created.ID, tr.learnt["TOKEN"], nil, &pb); code != 200 {
					return fmt.Errorf("GET the playbook: status %d", code)
				}
				if len(pb.Checklists) != 2 {
					return fmt.Errorf("the playbook has %d checklists, want 2", len(pb.Checklists))
				}
				tr.learnt["PLAYBOOK_ID"] = created.ID
				return nil
			}},
		{"start a run", "POST", apiPath("/runs"), http.StatusCreated,
			func(t *testing.T, src string, a tourAnswer) error {
				var r bot.Run
				if err := json.Unmarshal(a.body, &r); err != nil || !bot.OwnID(r.ID) {
					return fmt.Errorf("want the run: %v", err)
				}
				if r.PlaybookID != tr.learnt["PLAYBOOK_ID"] || len(r.Checklists) != 2 || !r.IsActive {
					return fmt.Errorf("got a run of playbook %s with %d checklists, active %v; want one of %s with 2, active",
						r.PlaybookID, len(r.Checklists), r.IsActive, tr.learnt["PLAYBOOK_ID"])
				}
				if !strings.Contains(src, "Idempotency-Key:") {
					return fmt.Errorf("the command sends no Idempotency-Key")
				}
				if want := api.BasePath + "/runs/" + r.ID; a.header.Get("Location") != want {
					return fmt.Errorf("got Location %q, want %q", a.header.Get("Location"), want)
				}
				tr.learnt["RUN_ID"] = r.ID
				return nil
			}},
		{"start it again", "POST", apiPath("/runs"), http.StatusCreated,
			func(t *testing.T, src string, a tourAnswer) error {
				// curl -i writes the head before the body.
				body := a.body
				if _, b, ok := bytes.Cut(body, []byte("\r\n\r\n")); ok && bytes.HasPrefix(body, []byte("HTTP/")) {
					body = b
				}
				var r bot.Run
				if err := json.Unmarshal(body, &r); err != nil || r.ID != tr.learnt["RUN_ID"] {
					return fmt.Errorf("want the first run %s again: %v", tr.learnt["RUN_ID"], err)
				}
				if a.header.Get("Idempotent-Replayed") != "true" {
					return fmt.Errorf("got Idempotent-Replayed %q, want true", a.header.Get("Idempotent-Replayed"))
				}
				var list struct {
					TotalCount int `json:"total_count"`
				}
				if code := call(t, "GET", tr.origin+api.BasePath+"/runs?team_id="+r.TeamID, tr.learnt["TOKEN"], nil, &list); code != 200 || list.TotalCount != 1 {
					return fmt.Errorf("GET /runs: status %d, %d runs; want one run", code, list.TotalCount)
				}
				return nil
			}},
		{"look at it", "GET", tr.runPath(""), http.StatusOK, func(t *testing.T, _ string, a tourAnswer) error {
			var r bot.Run
			if err := json.Unmarshal(a.body, &r); err != nil || r.ID != tr.learnt["RUN_ID"] || r.CurrentStatus != "InProgress" {
				return fmt.Errorf("want run %s in progress (%v)", tr.learnt["RUN_ID"], err)
			}
			return nil
		}},
		{"check an item", "PUT", tr.runPath(`/checklists/(\d+)/item/(\d+)/state`), http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				m := regexp.MustCompile(`/checklists/(\d+)/item/(\d+)/state$`).FindStringSubmatch(a.url.Path)
				r := tr.getRun(t)
				var closed []string
				for ci, c := range r.Checklists {
					for ii, it := range c.Items {
						if it.State == bot.ItemClosed {
							closed = append(closed, fmt.Sprintf("%d/%d", ci, ii))
						}
					}
				}
				if want := []string{m[1] + "/" + m[2]}; !slices.Equal(closed, want) {
					return fmt.Errorf("got checked items %v, want %v", closed, want)
				}
				return nil
			}},
		{"post a status update", "POST", tr.runPath("/status"), http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				r := tr.getRun(t)
				if len(r.StatusUpdates) != 1 || r.StatusUpdates[0].Message == "" {
					return fmt.Errorf("got status updates %+v, want one", r.StatusUpdates)
				}
				tr.status = r.StatusUpdates[0].Message
				return nil
			}},
		{"end it", "PUT", tr.runPath("/end"), http.StatusOK, func(t *testing.T, _ string, a tourAnswer) error {
			if r := tr.getRun(t); r.EndAt == 0 || r.IsActive || r.CurrentStatus != "Finished" {
				return fmt.Errorf("got end_at %d, is_active %v, current_status %q; want it ended", r.EndAt, r.IsActive, r.CurrentStatus)
			}
			return nil
		}},
		{"export the timeline", "GET", tr.runPath("/timeline"), http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				if f := a.url.Query().Get("format"); f != "markdown" {
					return fmt.Errorf("got format %q, want markdown", f)
				}
				if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/markdown") {
					return fmt.Errorf("got Content-Type %q, want text/markdown", ct)
				}
				for _, want := range []string{"# Timeline: " + tr.lastRun.Name, tr.status, bot.EventRunFinished} {
					if !strings.Contains(string(a.body), want) {
						return fmt.Errorf("the export lacks %q", want)
					}
				}
				return nil
			}},
		{"get the details-page link", "GET", tr.runPath("/details-link"), http.StatusOK,
			func(t *testing.T, _ string, a tourAnswer) error {
				var l bot.DetailsLink
				if err := json.Unmarshal(a.body, &l); err != nil {
					return err
				}
				prefix := tr.origin + "/runs/" + tr.learnt["RUN_ID"] + "?sig="
				if !strings.HasPrefix(l.URL, prefix) || !l.Signed || l.ExpiresAt <= time.Now().UnixMilli() {
					return fmt.Errorf("got %+v, want a signed %s..., expiring later", l, prefix)
				}
				tr.learnt["LINK"] = l.URL
				return nil
			}},
		{"open the details page", "GET", func() string { return regexp.QuoteMeta("/runs/" + tr.learnt["RUN_ID"]) }, http.StatusOK,
			func(t *testing.T, src string, a tourAnswer) error {
				if strings.Contains(src, "Authorization") {
					return fmt.Errorf("the command sends a token; the signed link must open the page by itself")
				}
				if a.url.Query().Get("sig") == "" {
					return fmt.Errorf("the URL %s has no signature", a.url)
				}
				if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					return fmt.Errorf("got Content-Type %q, want HTML", ct)
				}
				if want := "<h1>" + html.EscapeString(tr.lastRun.Name) + "</h1>"; !strings.Contains(string(a.body), want) {
					return fmt.Errorf("the page lacks %q", want)
				}
				if !strings.Contains(string(a.body), html.EscapeString(tr.status)) {
					return fmt.Errorf("the page lacks the status update %q", tr.status)
				}
				return nil
			}},
	}
}

// getRun gets the tour's run through the API, as it stands now.
func (tr *tourRunner) getRun(t *testing.T) bot.Run {
	t.Helper()
	var r bot.Run
	if code := call(t, "GET", tr.origin+api.BasePath+"/runs/"+tr.learnt["RUN_ID"], tr.learnt["TOKEN"], nil, &r); code != 200 {
		t.Fatalf("GET run %s: status %d", tr.learnt["RUN_ID"], code)
	}
	tr.lastRun = r
	return r
}

// TestTourExtraction checks the extraction the tour tests rely on: only
// the sh blocks between the markers, and commands split where the shell
// splits them, not at every line.
func TestTourExtraction(t *testing.T) {
	readme := "```sh\nbefore\n```\n" + tourBegin + " -->\n```sh\nexport A=1 B='x\ny'\ncurl -s \"$A\" \\\n  -d @- <<EOF\n{\"a\": 1}\nEOF\n# a comment\ncurl -s x\n```\n" +
		"```json\n{\"not\": \"run\"}\n```\n```sh\ngo run ./cmd/playbooks serve\n```\n" + tourEnd + " -->\n```sh\nafter\n```\n"
	blocks := tourBlocks(t, readme)
	var got []string
	for _, b := range blocks {
		for _, c := range splitCommands(t, b) {
			got = append(got, c.src)
		}
	}
	want := []string{"export A=1 B='x\ny'\n", "curl -s \"$A\" \\\n  -d @- <<EOF\n{\"a\": 1}\nEOF\n# a comment\n", "curl -s x\n",
		"go run ./cmd/playbooks serve\n"}
	if !slices.Equal(got, want) {
		t.Errorf("got commands %q, want %q", got, want)
	}
}
