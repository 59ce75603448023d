package observe_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/playbooks-bot/playbooks/bot"
	"github.com/playbooks-bot/playbooks/observe"
)

// scrape GETs /metrics from h with the Authorization header auth (none
// when "") and parses the answer with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler, auth string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec.Code, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.Reader(rec.Body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, rec.Body)
	}
	return rec.Code, fams
}

// value returns the value of the series of family name whose labels
// include labels (a counter's, gauge's, or histogram's count), and
// whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
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

// jobStats is a JobStater that answers stats, or err.
type jobStats struct {
	stats []bot.JobStat
	err   error
}

func (j jobStats) JobStats(context.Context) ([]bot.JobStat, error) { return j.stats, j.err }

// TestMetrics serves requests through the access logger and reads the
// series they and the dispatcher hooks produce from /metrics.
func TestMetrics(t *testing.T) {
	m := observe.NewMetrics(observe.MetricsConfig{
		Jobs:    jobStats{stats: []bot.JobStat{{Kind: bot.JobWebhook, Pending: 3, Due: 2, OldestDue: 90 * time.Second}}},
		Version: "v1.2.3", Revision: "abc123",
	})
	log, _ := newLogger()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(""))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl := bot.RequestLogFrom(r.Context())
		switch r.URL.Path {
		case "/mattermost/command":
			rl.SetRoute("/mattermost/command")
			rl.SetChat("mattermost", "check")
		case "/api/runs/1":
			rl.SetRoute("/api/runs/{id}")
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	h := observe.Handler(mux, log, m)
	for _, req := range []*http.Request{
		httptest.NewRequest("POST", "/mattermost/command", nil),
		httptest.NewRequest("GET", "/api/runs/1", nil),
		httptest.NewRequest("BREW", "/coffee/1", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	m.WebhookDelivered(bot.WebhookDelivered)
	m.WebhookDelivered(bot.WebhookRetried)
	m.WebhookDelivered(bot.WebhookRetried)
	m.ReminderFired(1500 * time.Millisecond)

	_, fams := scrape(t, h, "")
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"playbooks_http_requests_total", map[string]string{"route": "/mattermost/command", "method": "POST", "status": "200"}, 1},
		{"playbooks_http_requests_total", map[string]string{"route": "/api/runs/{id}", "method": "GET", "status": "404"}, 1},
		{"playbooks_http_requests_total", map[string]string{"route": observe.Unmatched, "method": "other", "status": "200"}, 1},
		{"playbooks_http_request_duration_seconds", map[string]string{"route": "/api/runs/{id}", "method": "GET"}, 1},
		{"playbooks_chat_requests_total", map[string]string{"platform": "mattermost", "command": "check"}, 1},
		{"playbooks_webhook_deliveries_total", map[string]string{"outcome": "delivered"}, 1},
		{"playbooks_webhook_deliveries_total", map[string]string{"outcome": "retried"}, 2},
		{"playbooks_webhook_deliveries_total", map[string]string{"outcome": "gave_up"}, 0},
		{"playbooks_reminder_lateness_seconds", nil, 1},
		{"playbooks_job_stats_up", nil, 1},
		{"playbooks_jobs_pending", map[string]string{"kind": bot.JobWebhook}, 3},
		{"playbooks_jobs_due", map[string]string{"kind": bot.JobWebhook}, 2},
		{"playbooks_jobs_oldest_due_age_seconds", map[string]string{"kind": bot.JobWebhook}, 90},
		{"playbooks_jobs_due", map[string]string{"kind": bot.JobReminder}, 0},
		{"playbooks_build_info", map[string]string{"version": "v1.2.3", "revision": "abc123"}, 1},
	} {
		if got, ok := value(fams, tc.name, tc.labels); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	for _, name := range []string{"go_build_info", "go_goroutines"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s series", name)
		}
	}
	// The scrape itself is counted under its route.
	_, fams = scrape(t, h, "")
	if got, _ := value(fams, "playbooks_http_requests_total", map[string]string{"route": "/metrics", "status": "200"}); got != 1 {
		t.Errorf("/metrics requests = %v, want 1 (the first scrape)", got)
	}
}

// TestJobStatsDown checks that a store that does not answer fails only the
// queue series, not the scrape.
func TestJobStatsDown(t *testing.T) {
	m := observe.NewMetrics(observe.MetricsConfig{Jobs: jobStats{err: errors.New("connection refused")}})
	code, fams := scrape(t, m.Handler(""), "")
	if code != 200 {
		t.Fatalf("scrape: %d, want 200", code)
	}
	if got, ok := value(fams, "playbooks_job_stats_up", nil); !ok || got != 0 {
		t.Errorf("playbooks_job_stats_up = %v (present %v), want 0", got, ok)
	}
	if _, ok := fams["playbooks_jobs_due"]; ok {
		t.Errorf("playbooks_jobs_due reported while the store is down")
	}
	if _, ok := value(fams, "playbooks_webhook_deliveries_total", map[string]string{"outcome": "delivered"}); !ok {
		t.Errorf("the other metrics are missing while the store is down")
	}
}

// TestMetricsToken checks the optional bearer protection of /metrics.
func TestMetricsToken(t *testing.T) {
	const token = "metrics-token-0123456789"
	m := observe.NewMetrics(observe.MetricsConfig{})
	h := m.Handler(token)
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"no header", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"token prefix", "Bearer " + token[:10], 401},
		{"not bearer", "Basic " + token, 401},
		{"right token", "Bearer " + token, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _ := scrape(t, h, tc.auth); code != tc.want {
				t.Errorf("got %d, want %d", code, tc.want)
			}
		})
	}
	if code, _ := scrape(t, m.Handler(""), ""); code != 200 {
		t.Errorf("no token configured: got %d, want 200", code)
	}
}
