package serve

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/report"
)

// Metric descriptions. Every tmsdrift metric is a gauge that describes the
// last completed run; none grows from run to run, so a scrape after a
// restart reads the same as before it. Labels carry names from the
// inventory and the catalogue only: never a secret, never a DSN.
var (
	resultDesc = prometheus.NewDesc("tmsdrift_result",
		"1 for the current status of each rule on each node (node \"\" for a deployment-wide result) in the last report.",
		[]string{"deployment", "rule", "node", "severity", "status"}, nil)
	resultsDesc = prometheus.NewDesc("tmsdrift_results",
		"Number of results of each status in the last report.",
		[]string{"deployment", "status"}, nil)
	timestampDesc = prometheus.NewDesc("tmsdrift_last_run_timestamp_seconds",
		"When the last run finished, in seconds since the Unix epoch.",
		[]string{"deployment"}, nil)
	durationDesc = prometheus.NewDesc("tmsdrift_last_run_duration_seconds",
		"How long the last run took.",
		[]string{"deployment"}, nil)
	reportTimeDesc = prometheus.NewDesc("tmsdrift_last_report_timestamp_seconds",
		"When the audit that the result gauges describe finished, in seconds since the Unix epoch: older than the last run when the runs since audited nothing (invalid inventory, timeout).",
		[]string{"deployment"}, nil)
	exitCodeDesc = prometheus.NewDesc("tmsdrift_last_run_exit_code",
		"Exit code of the last run, as tmsdrift audit would exit (0 pass, 1 fail, 2 bad inventory, 3 not everything checked).",
		[]string{"deployment"}, nil)
)

// snapshot is what one scrape reports: swapped whole after each run, so a
// scrape never sees half of one run and half of another, and a result
// whose status changed has exactly one series.
type snapshot struct {
	deployment string
	results    []checks.Result
	summary    report.Summary
	hasReport  bool
	reportAt   time.Time // when the report of results finished
	run        *history.Run
}

// Metrics is the service's Prometheus registry: the Go collector and the
// gauges of the last run.
type Metrics struct {
	registry *prometheus.Registry
	current  atomic.Pointer[snapshot]
}

// NewMetrics builds the registry.
func NewMetrics() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.registry.MustRegister(collectors.NewGoCollector(), (*runCollector)(m))
	return m
}

// Registry is what /metrics serves.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Update publishes a finished run. rep is its report, or nil when the run
// had none (an invalid inventory, a run that could not finish): the
// result gauges then keep describing the last report there was, and the
// last-run gauges the run itself.
func (m *Metrics) Update(run *history.Run, rep *report.Report) {
	next := &snapshot{run: run, deployment: run.Deployment}
	if prev := m.current.Load(); prev != nil && rep == nil {
		next.results, next.summary, next.hasReport, next.reportAt = prev.results, prev.summary, prev.hasReport, prev.reportAt
		if next.deployment == "" {
			next.deployment = prev.deployment
		}
	}
	if rep != nil {
		next.results, next.summary, next.hasReport, next.reportAt = rep.Results, rep.Summary, true, rep.FinishedAt
		next.deployment = rep.Deployment
	}
	m.current.Store(next)
}

// runCollector emits the current snapshot.
type runCollector Metrics

func (c *runCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{resultDesc, resultsDesc, reportTimeDesc, timestampDesc, durationDesc, exitCodeDesc} {
		ch <- d
	}
}

func (c *runCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.current.Load()
	if s == nil {
		return // no run yet: no series rather than made-up zeros
	}
	// Label values are shown by whoever curls /metrics onto a terminal:
	// Sanitized like every human format (a deployment name can hold
	// ESC or U+202E; the inventory allows any text there).
	dep := report.Sanitize(s.deployment)
	if s.hasReport {
		seen := map[[2]string]bool{}
		for _, res := range s.results {
			// One series per rule and node: a report never holds two
			// results for one pair, but a series must not be emitted twice.
			key := [2]string{res.Rule, res.Node}
			if seen[key] {
				continue
			}
			seen[key] = true
			ch <- prometheus.MustNewConstMetric(resultDesc, prometheus.GaugeValue, 1,
				dep, report.Sanitize(res.Rule), report.Sanitize(res.Node), string(res.Severity), string(res.Status))
		}
		for _, st := range []struct {
			status checks.Status
			n      int
		}{{checks.Pass, s.summary.Pass}, {checks.Fail, s.summary.Fail}, {checks.Waived, s.summary.Waived}, {checks.Error, s.summary.Error}} {
			ch <- prometheus.MustNewConstMetric(resultsDesc, prometheus.GaugeValue, float64(st.n), dep, string(st.status))
		}
		// The result gauges of a night that audited nothing are the last
		// report's: this says how old they are, so an alert can tell a
		// stale pass from a fresh one.
		ch <- prometheus.MustNewConstMetric(reportTimeDesc, prometheus.GaugeValue, float64(s.reportAt.UnixMilli())/1000, dep)
	}
	r := s.run
	ch <- prometheus.MustNewConstMetric(timestampDesc, prometheus.GaugeValue, float64(r.FinishedAt.UnixMilli())/1000, dep)
	ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, r.Duration().Seconds(), dep)
	ch <- prometheus.MustNewConstMetric(exitCodeDesc, prometheus.GaugeValue, float64(r.ExitCode), dep)
}
