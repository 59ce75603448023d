package observe

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/playbooks-bot/playbooks/bot"
)

// jobCollector asks the store for the job queue's statistics at each
// scrape. When the store does not answer within its timeout, it reports
// playbooks_job_stats_up 0 and no queue series, rather than failing the
// whole scrape: the other metrics matter most during an outage.
type jobCollector struct {
	jobs    JobStater
	timeout time.Duration
	log     *slog.Logger

	up, pending, due, oldest *prometheus.Desc
}

func newJobCollector(jobs JobStater, timeout time.Duration, log *slog.Logger) *jobCollector {
	return &jobCollector{jobs: jobs, timeout: timeout, log: log,
		up: prometheus.NewDesc("playbooks_job_stats_up",
			"1 when the job queue's statistics could be read at this scrape, 0 when the database did not answer.", nil, nil),
		pending: prometheus.NewDesc("playbooks_jobs_pending",
			"Pending jobs (webhooks, reminders, post refreshes), due or not, by kind.", []string{"kind"}, nil),
		due: prometheus.NewDesc("playbooks_jobs_due",
			"Pending jobs whose due time has come (the queue's depth), by kind.", []string{"kind"}, nil),
		oldest: prometheus.NewDesc("playbooks_jobs_oldest_due_age_seconds",
			"How long ago the oldest due pending job came due, by kind; 0 when none is due.", []string{"kind"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.pending
	ch <- c.due
	ch <- c.oldest
}

// Collect implements prometheus.Collector. Every known kind is reported,
// at zero when it has no pending job, so that its series do not vanish.
func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	stats, err := c.jobs.JobStats(ctx)
	if err != nil {
		c.log.Warn("metrics: job queue statistics not read", "error", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	byKind := map[string]bot.JobStat{bot.JobWebhook: {}, bot.JobReminder: {}, bot.JobShow: {}, bot.JobPost: {}}
	for _, s := range stats {
		byKind[s.Kind] = s
	}
	for kind, s := range byKind {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.Pending), kind)
		ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(s.Due), kind)
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestDue.Seconds(), kind)
	}
}
