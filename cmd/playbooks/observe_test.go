package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/bot/mattermost/mmtest"
	"github.com/playbooks-bot/playbooks/bot/slack/slacktest"
	"github.com/playbooks-bot/playbooks/store/storetest"
)

// syncBuffer is a buffer serve's log can be written to while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServerLogs is startServer keeping what serve logs. The environment
// asks for JSON lines; accessLines reads either format.
func startServerLogs(t *testing.T, env map[string]string) (*server, *syncBuffer) {
	t.Helper()
	srv, logs, stop := startServerStop(t, env)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	return srv, logs
}

// startServerStop is startServerLogs stopped by calling stop (as SIGTERM
// does), which returns what serve returned once it has; stop may be
// called again, and is when the test ends.
func startServerStop(t *testing.T, env map[string]string) (srv *server, logs *syncBuffer, stop func() error) {
	t.Helper()
	if env["PLAYBOOKS_LISTEN"] == "" {
		env["PLAYBOOKS_LISTEN"] = "127.0.0.1:0"
	}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, getenv, pw, logs)
		pw.Close()
	}()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { stop() })
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve did not start: %v\n%s", err, logs)
	}
	go io.Copy(io.Discard, pr)
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("serve printed %q, want listening on ...", line)
	}
	return &server{URL: addr}, logs, stop
}

// accessLines returns the access log lines ("http request") of the request
// with ID id, each as its key-value pairs, from JSON or text lines.
func accessLines(t *testing.T, logs string, id string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, l := range strings.Split(logs, "\n") {
		kv := map[string]string{}
		if strings.HasPrefix(l, "{") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			for k, v := range m {
				b, _ := json.Marshal(v)
				kv[k] = strings.Trim(string(b), `"`)
			}
		} else {
			// Text lines: key=value, values quoted when they need it; the
			// fields read here have no spaces but msg's.
			l = strings.Replace(l, `msg="http request"`, "msg=http_request", 1)
			for _, f := range strings.Fields(l) {
				if k, v, ok := strings.Cut(f, "="); ok {
					kv[k] = strings.Trim(v, `"`)
				}
			}
			if kv["msg"] == "http_request" {
				kv["msg"] = "http request"
			}
		}
		if kv["msg"] == "http request" && kv["request_id"] == id {
			out = append(out, kv)
		}
	}
	return out
}

// get sends a GET with the given headers and returns the response, its
// body read.
func get(t *testing.T, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestHealthAndReadiness runs serve on a Postgres behind an outage proxy:
// /healthz answers 200 throughout, touching no database; /readyz answers
// 200, then 503 with Retry-After and a reason while the database is gone,
// and 200 again once it is back; and 503 when a migration is pending.
func TestHealthAndReadiness(t *testing.T) {
	dbURL, outage := storetest.PostgresOutage(t)
	srv := startServer(t, map[string]string{"PLAYBOOKS_DATABASE_URL": dbURL})
	ready := func() (int, string, string) {
		resp, body := get(t, srv.URL+"/readyz", nil)
		return resp.StatusCode, resp.Header.Get("Retry-After"), body
	}
	healthy := func() {
		t.Helper()
		if resp, body := get(t, srv.URL+"/healthz", nil); resp.StatusCode != 200 || !strings.Contains(body, `"ok"`) {
			t.Errorf("/healthz: %d %s, want 200 ok", resp.StatusCode, body)
		}
	}
	healthy()
	if code, _, body := ready(); code != 200 {
		t.Fatalf("/readyz with the database up: %d %s, want 200", code, body)
	}

	outage.Stop()
	healthy()
	code, retry, body := ready()
	if code != 503 || retry == "" {
		t.Errorf("/readyz with the database gone: %d, Retry-After %q, want 503 with Retry-After", code, retry)
	}
	var e struct{ Error, Details string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || !strings.Contains(e.Details, "database") {
		t.Errorf("/readyz body %q, want the spec's error body naming the database", body)
	}

	outage.Start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, body := ready()
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz 30 s after the database came back: %d %s, want 200", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A migration this binary has is not recorded: a newer binary on an
	// older schema is not ready.
	raw, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	if code, retry, body := ready(); code != 503 || retry == "" || !strings.Contains(body, "migrations pending") {
		t.Errorf("/readyz with a pending migration: %d, Retry-After %q, %s; want 503 saying migrations are pending", code, retry, body)
	}
	healthy()
}

// scrapeMetrics GETs /metrics with the bearer token (none when "") and
// parses it with the Prometheus text parser.
func scrapeMetrics(t *testing.T, base, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	resp, body := get(t, base+"/metrics", h)
	if resp.StatusCode != 200 {
		return resp.StatusCode, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return resp.StatusCode, fams
}

// metricValue returns the value of the first series of family name whose
// labels include labels (a histogram's sample count), and whether there
// is one.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsEndToEnd runs serve connected to Mattermost, with webhooks
// and a metrics token: after a REST call, a slash command and a webhook
// delivery, /metrics (with the token; 401 without) has the series of
// each, the job queue's, the database pool's and the build's.
func TestMetricsEndToEnd(t *testing.T) {
	for kind, dbURL := range testDatabaseURLs(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			site := newMMSite(t)
			env := printedEnv(t, site.setup(t, "acme"))
			delivered := make(chan struct{}, 4)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				delivered <- struct{}{}
			}))
			t.Cleanup(receiver.Close)
			const metricsToken = "metrics-token-0123456789"
			env["PLAYBOOKS_DATABASE_URL"] = dbURL
			env["PLAYBOOKS_WEBHOOK_SECRET"] = strings.Repeat("w", 32)
			env["PLAYBOOKS_WEBHOOK_ALLOW_HOSTS"] = "127.0.0.1"
			env["PLAYBOOKS_METRICS_TOKEN"] = metricsToken
			srv := startServer(t, env)
			base := srv.URL + "/plugins/playbooks/api/v0"

			// REST: a playbook with a creation webhook, and a run of it.
			token := site.mm.AddToken(site.alice.Id)
			var pb struct{ ID string }
			if code := call(t, "POST", base+"/playbooks", token, map[string]any{
				"title": "Outage", "team_id": site.team.Id, "create_public_playbook_run": true, "checklists": []any{},
				"webhook_on_creation_url": receiver.URL + "/hook", "webhook_on_creation_enabled": true,
			}, &pb); code != 201 {
				t.Fatalf("create playbook: %d", code)
			}
			if code := call(t, "POST", base+"/runs", token, map[string]any{
				"name": "DB down", "owner_user_id": site.alice.Id, "team_id": site.team.Id, "playbook_id": pb.ID,
			}, nil); code != 201 {
				t.Fatalf("create run: %d", code)
			}
			// A slash command, sent by Mattermost.
			if _, err := site.mm.SlashCommand(ctx, mmtest.Slash{UserID: site.alice.Id, ChannelID: site.town.Id, Text: "help"}); err != nil {
				t.Fatalf("/playbook help: %v", err)
			}
			select {
			case <-delivered:
			case <-time.After(30 * time.Second):
				t.Fatal("no webhook delivered within 30 s")
			}

			for _, bad := range []string{"", "wrong-token"} {
				if code, _ := scrapeMetrics(t, srv.URL, bad); code != 401 {
					t.Errorf("/metrics with token %q: %d, want 401", bad, code)
				}
			}
			// The delivery is counted once the dispatcher has seen the
			// answer: poll.
			var fams map[string]*dto.MetricFamily
			deadline := time.Now().Add(30 * time.Second)
			for {
				var code int
				code, fams = scrapeMetrics(t, srv.URL, metricsToken)
				if code != 200 {
					t.Fatalf("/metrics with the token: %d, want 200", code)
				}
				if v, _ := metricValue(fams, "playbooks_webhook_deliveries_total", map[string]string{"outcome": "delivered"}); v >= 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no delivered webhook counted within 30 s")
				}
				time.Sleep(50 * time.Millisecond)
			}
			for _, tc := range []struct {
				name   string
				labels map[string]string
			}{
				{"playbooks_http_requests_total", map[string]string{"route": "/plugins/playbooks/api/v0/runs", "method": "POST", "status": "201"}},
				{"playbooks_http_requests_total", map[string]string{"route": "/mattermost/command", "method": "POST", "status": "200"}},
				{"playbooks_http_requests_total", map[string]string{"route": "/metrics", "method": "GET", "status": "401"}},
				{"playbooks_http_request_duration_seconds", map[string]string{"route": "/plugins/playbooks/api/v0/playbooks", "method": "POST"}},
				{"playbooks_chat_requests_total", map[string]string{"platform": "mattermost", "command": "help"}},
				{"playbooks_webhook_deliveries_total", map[string]string{"outcome": "delivered"}},
				{"playbooks_jobs_due", map[string]string{"kind": bot.JobWebhook}},
				{"playbooks_jobs_oldest_due_age_seconds", map[string]string{"kind": bot.JobReminder}},
				{"playbooks_job_stats_up", nil},
				{"playbooks_reminder_lateness_seconds", nil},
				{"playbooks_build_info", nil},
				{"go_build_info", nil},
				{"go_sql_open_connections", map[string]string{"db_name": "playbooks"}},
			} {
				v, ok := metricValue(fams, tc.name, tc.labels)
				if !ok {
					t.Errorf("no series %s%v", tc.name, tc.labels)
				}
				if strings.HasSuffix(tc.name, "_total") && v < 1 {
					t.Errorf("%s%v = %v, want at least 1", tc.name, tc.labels, v)
				}
			}
			if v, _ := metricValue(fams, "playbooks_job_stats_up", nil); v != 1 {
				t.Errorf("playbooks_job_stats_up = %v, want 1", v)
			}
		})
	}
}

// TestRequestIDAndAccessLog runs serve connected to Mattermost and sends a
// REST request, a slash command, /healthz and an unknown path, each with a
// sane, an absent and an insane X-Request-Id: the sane one is kept, the
// others replaced by a new one, returned in the response, and each request
// has exactly one access line under its ID, with its route.
func TestRequestIDAndAccessLog(t *testing.T) {
	site := newMMSite(t)
	env := printedEnv(t, site.setup(t, "acme"))
	env["PLAYBOOKS_DATABASE_URL"] = testDatabaseURLs(t)["sqlite"]
	env["PLAYBOOKS_LOG_FORMAT"] = "json"
	srv, logs := startServerLogs(t, env)
	token := site.mm.AddToken(site.alice.Id)
	cmdToken := strings.Split(env["PLAYBOOKS_MATTERMOST_COMMAND_TOKENS"], ",")[0]
	slash := url.Values{"token": {cmdToken}, "team_id": {site.team.Id}, "channel_id": {site.town.Id},
		"user_id": {site.alice.Id}, "command": {"/playbook"}, "text": {"help"}}.Encode()

	type request struct {
		name, method, path, body, route string
		header                          map[string]string
		status                          int
		want                            map[string]string // in the line, besides
	}
	var reqs []request
	for _, id := range []struct{ name, in string }{
		{"sane", "trace-"}, {"absent", ""}, {"too long", strings.Repeat("x", 129)}, {"control", "a\tb"},
	} {
		// Each request its own sane ID, so that its line is its own.
		header := func(h map[string]string) map[string]string {
			if id.in == "trace-" {
				h["X-Request-Id"] = id.in + bot.NewID()
			} else if id.in != "" {
				h["X-Request-Id"] = id.in
			}
			return h
		}
		h := header(map[string]string{})
		rest := header(map[string]string{"Authorization": "Bearer " + token})
		form := header(map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		reqs = append(reqs,
			request{"REST " + id.name, "GET", "/plugins/playbooks/api/v0/playbooks?team_id=" + site.team.Id, "",
				"/plugins/playbooks/api/v0/playbooks", rest, 200, map[string]string{"operation": "getPlaybooks", "user_id": site.alice.Id}},
			request{"chat " + id.name, "POST", "/mattermost/command", slash, "/mattermost/command", form, 200,
				map[string]string{"platform": "mattermost", "command": "help", "user_id": site.alice.Id, "channel_id": site.town.Id}},
			request{"health " + id.name, "GET", "/healthz", "", "/healthz", h, 200, nil},
			request{"unknown " + id.name, "GET", "/nowhere", "", "unmatched", header(map[string]string{}), 404, nil},
		)
	}
	for _, rq := range reqs {
		t.Run(rq.name, func(t *testing.T) {
			req, err := http.NewRequest(rq.method, srv.URL+rq.path, strings.NewReader(rq.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range rq.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != rq.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, rq.status)
			}
			in, got := rq.header["X-Request-Id"], resp.Header.Get("X-Request-Id")
			if bot.SaneRequestID(in) && got != in {
				t.Errorf("X-Request-Id %q, want the incoming %q kept", got, in)
			} else if !bot.SaneRequestID(in) && (got == in || !bot.SaneRequestID(got)) {
				t.Errorf("X-Request-Id %q, want a new one in place of %q", got, in)
			}
			// The line is written when the request ends, maybe just after
			// the answer: poll.
			var lines []map[string]string
			deadline := time.Now().Add(10 * time.Second)
			for {
				if lines = accessLines(t, logs.String(), got); len(lines) > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if len(lines) != 1 {
				t.Fatalf("%d access lines for request %s, want 1; logs:\n%s", len(lines), got, logs)
			}
			if lines[0]["client"] == "" || lines[0]["duration_ms"] == "" || lines[0]["path"] != strings.Split(rq.path, "?")[0] {
				t.Errorf("line %v, want client, duration_ms and path %s", lines[0], rq.path)
			}
			want := map[string]string{"route": rq.route, "method": rq.method}
			for k, v := range rq.want {
				want[k] = v
			}
			for k, v := range want {
				if lines[0][k] != v {
					t.Errorf("%s = %q, want %q in %v", k, lines[0][k], v, lines[0])
				}
			}
		})
	}
	// No other line calls itself a request's: the chat adapter and the
	// API only annotate the access line.
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "chat request") {
			t.Errorf("a chat request line beside the access line: %s", l)
		}
	}
}

// TestSlackAccessLine runs serve with Slack: a slash command Slack sends
// gets one access line, annotated by the adapter (platform, command) and
// no line of the adapter's own, and is counted by platform and command.
func TestSlackAccessLine(t *testing.T) {
	addr := freeAddr(t)
	public := "http://" + addr
	signing := "slack-signing-secret-0123456789"
	sl := slacktest.New(t, nil)
	sl.SetBot(public, signing)
	alice := sl.AddUser("alice")
	general := sl.AddChannel("general", alice.ID, sl.BotUserID)
	srv, logs := startServerLogs(t, map[string]string{
		"PLAYBOOKS_DATABASE_URL": testDatabaseURLs(t)["sqlite"], "PLAYBOOKS_LISTEN": addr,
		"PLAYBOOKS_SECRET":          strings.Repeat("s", 32),
		"PLAYBOOKS_SLACK_BOT_TOKEN": sl.BotToken, "PLAYBOOKS_SLACK_SIGNING_SECRET": signing,
		"PLAYBOOKS_SLACK_API_URL": sl.URL, "PLAYBOOKS_PUBLIC_URL": public,
	})
	if resp, err := sl.SlashCommand(context.Background(), slacktest.Slash{UserID: alice.ID, ChannelID: general.ID, Text: "help"}); err != nil || resp.Status != 200 {
		t.Fatalf("/playbook help in Slack: %v %+v", err, resp)
	}
	_, fams := scrapeMetrics(t, srv.URL, "")
	if v, _ := metricValue(fams, "playbooks_chat_requests_total", map[string]string{"platform": "slack", "command": "help"}); v != 1 {
		t.Errorf("playbooks_chat_requests_total{platform=slack,command=help} = %v, want 1", v)
	}
	if v, _ := metricValue(fams, "playbooks_http_requests_total", map[string]string{"route": "/slack/command", "method": "POST", "status": "200"}); v != 1 {
		t.Errorf("playbooks_http_requests_total{route=/slack/command} = %v, want 1", v)
	}
	var found []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "/slack/command") || strings.Contains(l, "chat request") {
			found = append(found, l)
		}
	}
	if len(found) != 1 || !strings.Contains(found[0], "http request") || !strings.Contains(found[0], "platform") ||
		!strings.Contains(found[0], "help") || !strings.Contains(found[0], alice.ID) {
		t.Errorf("lines about the command %q, want one access line with platform, command help and the user", found)
	}
}
