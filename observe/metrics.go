package observe

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/playbooks-bot/playbooks/bot"
)

// JobStater is the store's view of the job queue (store.DB implements it).
type JobStater interface {
	JobStats(ctx context.Context) ([]bot.JobStat, error)
}

// MetricsConfig is what NewMetrics collects beside the HTTP, chat and
// dispatcher metrics. Each field is optional.
type MetricsConfig struct {
	// DB is the database pool whose statistics are collected.
	DB *sql.DB
	// Jobs is asked for the job queue's statistics at each scrape, within
	// JobsTimeout (2 s when 0).
	Jobs        JobStater
	JobsTimeout time.Duration
	// Version and Revision label playbooks_build_info.
	Version, Revision string
	Logger            *slog.Logger // slog.Default() when nil
}

// Metrics holds the server's Prometheus registry, its own rather than the
// global one, and the metrics the access log and the dispatcher update.
// It implements bot.JobMetrics. Its methods are safe for concurrent use.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	chatRequests *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	reminderLate prometheus.Histogram
}

var _ bot.JobMetrics = (*Metrics)(nil)

// NewMetrics returns the metrics of one server, registered with their
// collectors (Go runtime, process, build info, database pool, job queue)
// in a new registry.
func NewMetrics(c MetricsConfig) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playbooks_http_requests_total",
			Help: "HTTP requests served, by route (a REST path template, a chat adapter's route, or \"unmatched\"), method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "playbooks_http_request_duration_seconds",
			Help:    "How long HTTP requests took to serve, by route and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		chatRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playbooks_chat_requests_total",
			Help: "Requests chat platforms sent, by platform and slash command (\"none\" for dialogs, buttons and other interactions).",
		}, []string{"platform", "command"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "playbooks_webhook_deliveries_total",
			Help: "Attempts at outgoing webhooks, by outcome: delivered, retried, failed (refused for good), gave_up (too many attempts), not_sent.",
		}, []string{"outcome"}),
		reminderLate: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "playbooks_reminder_lateness_seconds",
			Help:    "How long after its due time a status-update reminder was posted.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
	}
	for _, o := range bot.WebhookOutcomes() {
		m.webhooks.WithLabelValues(string(o))
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "playbooks_build_info",
		Help:        "Always 1: the version and VCS revision of the running binary.",
		ConstLabels: prometheus.Labels{"version": c.Version, "revision": c.Revision},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.chatRequests, m.webhooks, m.reminderLate, buildInfo,
		collectors.NewBuildInfoCollector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if c.DB != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(c.DB, "playbooks"))
	}
	if c.Jobs != nil {
		log := c.Logger
		if log == nil {
			log = slog.Default()
		}
		m.reg.MustRegister(newJobCollector(c.Jobs, cmpOr(c.JobsTimeout, 2*time.Second), log))
	}
	return m
}

// cmpOr is d, or def when d is 0.
func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Registry returns the registry the metrics are in, for tests and for
// collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WebhookDelivered counts an attempt at a webhook (bot.JobMetrics).
func (m *Metrics) WebhookDelivered(o bot.WebhookOutcome) {
	m.webhooks.WithLabelValues(string(o)).Inc()
}

// ReminderFired observes a reminder's lateness (bot.JobMetrics).
func (m *Metrics) ReminderFired(late time.Duration) {
	m.reminderLate.Observe(late.Seconds())
}

// observeRequest counts one HTTP request, and a chat platform's when
// platform is not "".
func (m *Metrics) observeRequest(route, method string, status int, d time.Duration, platform, command string) {
	method = boundedMethod(method)
	m.httpRequests.WithLabelValues(route, method, statusLabel(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
	if platform != "" {
		if command == "" {
			command = "none"
		}
		m.chatRequests.WithLabelValues(platform, command).Inc()
	}
}

// boundedMethod is method when it is a standard one, else "other": the
// label set stays bounded whatever clients send.
func boundedMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// statusLabel spells a status code without allocating for the usual ones.
func statusLabel(status int) string {
	switch status {
	case 200:
		return "200"
	case 201:
		return "201"
	case 204:
		return "204"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(status)
}

// Handler serves the metrics in the Prometheus text format. When token
// is not "", a request must carry "Authorization: Bearer <token>"
// (compared in constant time); any other gets 401.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	want := sha256.Sum256([]byte("Bearer " + token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot.RequestLogFrom(r.Context()).SetRoute("/metrics")
		if token != "" {
			// Hashed first, so that the comparison's time says nothing
			// of the token's length either.
			got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				writeJSON(w, http.StatusUnauthorized, errorBody{Error: "unauthenticated",
					Details: "GET /metrics needs Authorization: Bearer and the metrics token (PLAYBOOKS_METRICS_TOKEN)"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
