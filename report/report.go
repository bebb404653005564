// Package report turns audit results into what people and machines read:
// a terminal table, JSON (contract §5), JUnit XML and Markdown. It also
// decides the exit code, once, from the aggregate (contract §6).
package report

import (
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Schema is the JSON report's schema identifier.
const Schema = "tmsdrift/report/v1"

// Report is the outcome of one audit run.
type Report struct {
	Schema     string          `json:"schema"`
	Deployment string          `json:"deployment"`
	Model      string          `json:"model"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	Summary    Summary         `json:"summary"`
	Results    []checks.Result `json:"results"`
	// Baseline holds, per result, BaselineNew or BaselineKnown for a
	// failure after MarkBaseline (and "" for every other result); nil
	// when the run had no baseline.
	Baseline []string `json:"-"`
}

// Summary counts results by status.
type Summary struct {
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Waived int `json:"waived"`
	Error  int `json:"error"`
}

// Exit codes (contract §6).
const (
	ExitOK      = 0 // every evaluated rule passed or is waived
	ExitFail    = 1 // at least one fail at or above --fail-on
	ExitUsage   = 2 // bad usage or bad input; nothing changed
	ExitErrored = 3 // no failure, but something could not be checked
)

// New builds a report with its summary.
func New(deployment, model string, started, finished time.Time, results []checks.Result) *Report {
	r := &Report{Schema: Schema, Deployment: deployment, Model: model,
		StartedAt: started.UTC(), FinishedAt: finished.UTC(), Results: results}
	for _, res := range results {
		switch res.Status {
		case checks.Pass:
			r.Summary.Pass++
		case checks.Fail:
			r.Summary.Fail++
		case checks.Waived:
			r.Summary.Waived++
		case checks.Error:
			r.Summary.Error++
		}
	}
	if r.Results == nil {
		r.Results = []checks.Result{}
	}
	return r
}

// ExitCode is the process exit code for this report: 1 when a failure is
// at or above failOn, else 3 when anything could not be checked, else 0.
// A failure the baseline already had (MarkBaseline) does not count.
func (r *Report) ExitCode(failOn checks.Severity) int {
	errored := false
	for i, res := range r.Results {
		switch res.Status {
		case checks.Fail:
			if res.Severity.Rank() >= failOn.Rank() && !r.known(i) {
				return ExitFail
			}
		case checks.Error:
			errored = true
		}
	}
	if errored {
		return ExitErrored
	}
	return ExitOK
}
