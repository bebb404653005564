package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
)

// maxReportSize bounds a report file read whole: 1,000 nodes × 30 rules
// is about 10 MiB of JSON.
const maxReportSize = 256 << 20

// ReadJSONFile reads a JSON report (contract §5) written by `audit
// --format json` or kept in the service's history: a baseline, one side of
// a diff.
func ReadJSONFile(path string) (*Report, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	if st.Size() > maxReportSize {
		return nil, fmt.Errorf("read report %s: %d bytes is more than a report can be", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	r, err := ParseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ReadJSON reads a JSON report from an open file (the history opens its
// own, refusing links); errors name the file.
func ReadJSON(f *os.File) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(f, maxReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", f.Name(), err)
	}
	if len(data) > maxReportSize {
		return nil, fmt.Errorf("read report %s: more than a report can be", f.Name())
	}
	r, err := ParseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return r, nil
}

// ParseJSON parses a JSON report. It accepts exactly what the JSON format
// writes, schema tmsdrift/report/v1 with its optional `baseline` marks, and
// says on which line a value is wrong; a status or severity it does not
// know is refused rather than guessed, since a misread status would be a
// false pass.
func ParseJSON(data []byte) (*Report, error) {
	var in jsonReport
	if err := jsondoc.Decode(data, &in); err != nil {
		return nil, err
	}
	if in.Schema != Schema {
		return nil, fmt.Errorf("schema %q is not a tmsdrift JSON report (want %q)", in.Schema, Schema)
	}
	started, err := parseTime("started_at", in.StartedAt)
	if err != nil {
		return nil, err
	}
	finished, err := parseTime("finished_at", in.FinishedAt)
	if err != nil {
		return nil, err
	}
	results := make([]checks.Result, len(in.Results))
	var marks []string
	for i, res := range in.Results {
		if res.Rule == "" {
			return nil, fmt.Errorf("results[%d]: no rule", i)
		}
		if !slices.Contains(checks.Statuses, checks.Status(res.Status)) {
			return nil, fmt.Errorf("results[%d] (%s): unknown status %q", i, res.Rule, res.Status)
		}
		if checks.Severity(res.Severity).Rank() == 0 {
			return nil, fmt.Errorf("results[%d] (%s): unknown severity %q", i, res.Rule, res.Severity)
		}
		results[i] = checks.Result{Rule: res.Rule, Node: res.Node, Status: checks.Status(res.Status),
			Severity: checks.Severity(res.Severity), Expected: res.Expected, Observed: res.Observed,
			Message: res.Message, Fixable: res.Fixable}
		switch res.Baseline {
		case "":
		case BaselineNew, BaselineKnown:
			if marks == nil {
				marks = make([]string, len(in.Results))
			}
			marks[i] = res.Baseline
		default:
			return nil, fmt.Errorf("results[%d] (%s): unknown baseline mark %q (want %q or %q)", i, res.Rule, res.Baseline, BaselineNew, BaselineKnown)
		}
	}
	if in.Results == nil {
		return nil, errors.New("no results list: not a whole report (truncated or edited?)")
	}
	r := New(in.Deployment, in.Model, started, finished, results)
	// The summary the file states must be its results' counts: a report
	// cut short or edited by hand (a failure deleted) would otherwise read
	// as a pass, resolving in a diff what was never fixed.
	if got := jsonSummary(r.Summary); got != in.Summary {
		return nil, fmt.Errorf("summary (pass %d, fail %d, waived %d, error %d) does not match the results (pass %d, fail %d, waived %d, error %d): not a whole report (truncated or edited?)",
			in.Summary.Pass, in.Summary.Fail, in.Summary.Waived, in.Summary.Error, got.Pass, got.Fail, got.Waived, got.Error)
	}
	r.Baseline = marks
	return r, nil
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time", field, s)
	}
	return t, nil
}
