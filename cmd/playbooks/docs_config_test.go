package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peterbourgon/ff/v4"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the declarations of the variables")

// configurationDoc is the configuration reference, generated from the
// declarations of the variables (coreSettings, each platform's settings,
// mattermostSetupSettings, healthSettings) by renderConfiguration.
const configurationDoc = "docs/configuration.md"

// settingGuide is where the guides explain each variable in context: the
// reference links there. A new variable needs an entry (the test says so),
// and TestDocLinks checks that every target exists.
var settingGuide = map[string]string{
	"PLAYBOOKS_LISTEN":                       "operating.md#running-it",
	"PLAYBOOKS_DATABASE_URL":                 "operating.md#the-database",
	"PLAYBOOKS_LOG_FORMAT":                   "operating.md#logs",
	"PLAYBOOKS_LOG_LEVEL":                    "operating.md#logs",
	"PLAYBOOKS_ADMIN_TOKEN":                  "operating.md#secrets",
	"PLAYBOOKS_ADMIN_USER_ID":                "operating.md#secrets",
	"PLAYBOOKS_PUBLIC_URL":                   "operating.md#tls-at-the-proxy",
	"PLAYBOOKS_SECRET":                       "operating.md#secrets",
	"PLAYBOOKS_SECRET_PREVIOUS":              "operating.md#secrets",
	"PLAYBOOKS_LINK_SECRET":                  "api.md#run-details-page",
	"PLAYBOOKS_WEBHOOK_SECRET":               "api.md#verifying-webhooks",
	"PLAYBOOKS_WEBHOOK_ALLOW_HOSTS":          "operating.md#jobs-webhooks-reminders-and-post-refreshes",
	"PLAYBOOKS_WEBHOOK_TIMEOUT":              "operating.md#jobs-webhooks-reminders-and-post-refreshes",
	"PLAYBOOKS_AUTH_FAILURES":                "api.md#errors",
	"PLAYBOOKS_AUTH_FAILURE_WINDOW":          "api.md#errors",
	"PLAYBOOKS_TRUSTED_PROXIES":              "operating.md#tls-at-the-proxy",
	"PLAYBOOKS_SHUTDOWN_GRACE":               "operating.md#graceful-shutdown",
	"PLAYBOOKS_JOB_RETENTION":                "operating.md#jobs-webhooks-reminders-and-post-refreshes",
	"PLAYBOOKS_OAUTH_TOKEN_TTL":              "api.md#oauth2-client-credentials",
	"PLAYBOOKS_METRICS_TOKEN":                "operating.md#metrics",
	"PLAYBOOKS_MATTERMOST_URL":               "mattermost.md#setup",
	"PLAYBOOKS_MATTERMOST_BOT_TOKEN":         "mattermost.md#setup",
	"PLAYBOOKS_MATTERMOST_COMMAND_TOKENS":    "mattermost.md#setup",
	"PLAYBOOKS_MATTERMOST_PLUGIN_SECRET":     "mattermost.md#plugin-mode",
	"PLAYBOOKS_MATTERMOST_UNKNOWN_TOKEN_TTL": "mattermost.md#setup",
	"PLAYBOOKS_SLACK_BOT_TOKEN":              "slack.md#setup",
	"PLAYBOOKS_SLACK_SIGNING_SECRET":         "slack.md#setup",
	"PLAYBOOKS_SLACK_API_URL":                "slack.md#setup",
	"PLAYBOOKS_MATTERMOST_ADMIN_TOKEN":       "mattermost.md#setup",
	"PLAYBOOKS_MATTERMOST_TEAM":              "mattermost.md#setup",
	"PLAYBOOKS_MATTERMOST_BOT_USERNAME":      "mattermost.md#setup",
	"PLAYBOOKS_HEALTH_URL":                   "operating.md#health",
	"PLAYBOOKS_HEALTH_TIMEOUT":               "operating.md#health",
}

// TestConfigurationReference keeps docs/configuration.md equal to what
// renderConfiguration makes of the declarations; -update rewrites it.
func TestConfigurationReference(t *testing.T) {
	got := renderConfiguration(t)
	path := filepath.Join("../..", configurationDoc)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		i := 0
		for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return l[i]
			}
			return "(end of file)"
		}
		t.Errorf("%s is not what the declarations make of it; regenerate it:\n\tgo test ./cmd/playbooks -run TestConfigurationReference -update\n"+
			"first difference, line %d:\n\tfile:         %s\n\tdeclarations: %s", configurationDoc, i+1, line(wl), line(gl))
	}
}

// TestConfigurationReferenceRows checks the rendering itself: the
// reference has one row per declared variable, with its default, and
// names no other.
func TestConfigurationReferenceRows(t *testing.T) {
	doc := string(renderConfiguration(t))
	row := regexp.MustCompile("(?m)^\\| `(PLAYBOOKS_[A-Z0-9_]+)` \\| .* \\| (`([^`]*)`|none) \\| .* \\|$")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("the reference lists %s twice", m[1])
		}
		documented[m[1]] = m[3]
	}
	for _, s := range allSettings() {
		def, ok := documented[s.name]
		switch {
		case !ok:
			t.Errorf("the reference lacks %s", s.name)
		case def != s.def:
			t.Errorf("the reference: %s defaults to %q; the code says %q", s.name, def, s.def)
		}
		delete(documented, s.name)
	}
	for name := range documented {
		t.Errorf("the reference lists %s, which the program does not read", name)
	}
}

// settingGroup is a table of the reference.
type settingGroup struct {
	title, intro string
	settings     []setting
}

// renderConfiguration writes the reference: a table per group of
// declarations, each variable with the commands and flags that read it,
// its default, its help and a link to where a guide explains it.
func renderConfiguration(t *testing.T) []byte {
	t.Helper()
	readBy := flagsOfSettings(t)
	groups := []settingGroup{{
		title:    "Server",
		intro:    "What `serve` reads besides the chat platforms; other commands read some of them too.",
		settings: coreSettings,
	}}
	for _, p := range platforms {
		groups = append(groups, settingGroup{
			title:    p.title,
			intro:    fmt.Sprintf("What `serve` reads to connect to %s; %s is configured when they are set.", p.title, p.title),
			settings: p.settings,
		})
	}
	groups = append(groups,
		settingGroup{title: "mattermost setup", intro: "Read only by `playbooks mattermost setup`, besides the URLs above.", settings: mattermostSetupSettings},
		settingGroup{title: "health", intro: "Read only by `playbooks health`, the container's health check.", settings: healthSettings},
	)

	var b bytes.Buffer
	b.WriteString(`# Configuration reference

<!-- Generated from the declarations of the variables in cmd/playbooks;
do not edit. Regenerate: go test ./cmd/playbooks -run TestConfigurationReference -update -->

For operators: every variable the program reads. A variable is also a flag
of the commands that read it (named in the table); a flag on the command
line wins over the variable. Keep secrets in variables: ` + "`ps`" + ` shows flags.
` + "`playbooks <command> --help`" + ` prints the same for one command. How they
fit together: the [operator guide](operating.md#configuration).
`)
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", g.title, g.intro)
		b.WriteString("| variable | read by | default | meaning | more |\n|---|---|---|---|---|\n")
		for _, s := range g.settings {
			flags := readBy[s.name]
			if len(flags) == 0 {
				t.Errorf("no command reads %s", s.name)
			}
			guide, ok := settingGuide[s.name]
			if !ok {
				t.Errorf("settingGuide has no entry for %s: name the guide section that explains it", s.name)
			}
			def := "none"
			if s.def != "" {
				def = "`" + s.def + "`"
			}
			meaning := mdCell(s.help)
			if s.secret {
				meaning += " (a secret: set the variable, not the flag)"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | [%s](%s) |\n", s.name, strings.Join(flags, ", "), def, meaning,
				strings.TrimSuffix(strings.SplitN(guide, "#", 2)[0], ".md"), guide)
		}
	}
	for name := range settingGuide {
		if _, ok := lookupSetting(name); !ok {
			t.Errorf("settingGuide names %s, which is not declared", name)
		}
	}
	return b.Bytes()
}

// flagsOfSettings walks the command tree and returns, for each variable,
// the commands and flags bound to it ("`serve --listen`"), in the order
// of the tree.
func flagsOfSettings(t *testing.T) map[string][]string {
	t.Helper()
	c := &cli{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard, vars: map[ff.Flag]string{}}
	c.root = c.commands()
	out := map[string][]string{}
	// commandPath needs the parents a parse sets; the walk knows the path.
	var walk func(cmd *ff.Command, path string)
	walk = func(cmd *ff.Command, path string) {
		if cmd.Flags != nil {
			cmd.Flags.WalkFlags(func(f ff.Flag) error {
				name, ok := c.vars[f]
				if !ok || f.GetFlags() != cmd.Flags { // a parent's flag: listed with the parent
					return nil
				}
				long, _ := f.GetLongName()
				out[name] = append(out[name], fmt.Sprintf("`%s --%s`", path, long))
				return nil
			})
		}
		for _, sub := range cmd.Subcommands {
			walk(sub, strings.TrimSpace(path+" "+sub.Name))
		}
	}
	walk(c.root, "")
	return out
}

// mdCell makes a help text a Markdown table cell: variable names in code,
// and nothing that would end the cell or open an HTML tag.
func mdCell(s string) string {
	s = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
	return regexp.MustCompile(`\bPLAYBOOKS_[A-Z0-9_]+\b`).ReplaceAllString(s, "`$0`")
}
