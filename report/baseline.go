package report

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Baseline marks (`audit --baseline`, docs/reports.md): a failure that was
// already failing in the baseline report is known, any other is new.
const (
	BaselineNew   = "new"
	BaselineKnown = "known"
)

// baselineKey names a result across runs: its rule and node. Node names
// compare case-insensitively, like Windows host names.
type baselineKey struct{ rule, node string }

func keyOf(res checks.Result) baselineKey {
	return baselineKey{rule: res.Rule, node: strings.ToLower(res.Node)}
}

// MarkBaseline marks every failure of r new or known against base, so
// that a CI gate fails only on what got worse: ExitCode then ignores the
// known ones, and the JSON report says which is which. Errors are never
// excused by a baseline: what could not be checked is not known to be
// the same failure.
func (r *Report) MarkBaseline(base *Report) {
	failing := map[baselineKey]bool{}
	for _, res := range base.Results {
		if res.Status == checks.Fail {
			failing[keyOf(res)] = true
		}
	}
	r.Baseline = make([]string, len(r.Results))
	for i, res := range r.Results {
		if res.Status != checks.Fail {
			continue
		}
		if failing[keyOf(res)] {
			r.Baseline[i] = BaselineKnown
		} else {
			r.Baseline[i] = BaselineNew
		}
	}
}

// known reports whether result i is a failure the baseline already had.
func (r *Report) known(i int) bool {
	return i < len(r.Baseline) && r.Baseline[i] == BaselineKnown
}

// mark is the baseline mark of a failure as the human formats show it
// ("new", "known"), found by rule and node since those formats reorder
// the results; "" without --baseline or for any other result.
func (r *Report) mark(res checks.Result) string {
	if r.Baseline == nil || res.Status != checks.Fail {
		return ""
	}
	k := keyOf(res)
	for i, other := range r.Results {
		if i < len(r.Baseline) && keyOf(other) == k && other.Status == checks.Fail {
			return r.Baseline[i]
		}
	}
	return ""
}

// baselineNote counts the marks for the summary line ("--baseline: 1
// new, 3 known"); "" without --baseline.
func (r *Report) baselineNote() string {
	if r.Baseline == nil {
		return ""
	}
	var fresh, known int
	for _, m := range r.Baseline {
		switch m {
		case BaselineNew:
			fresh++
		case BaselineKnown:
			known++
		}
	}
	return fmt.Sprintf("--baseline: %d new, %d known", fresh, known)
}

// passesOnKnown reports whether the gate passes only because the baseline
// already had failures at or above failOn: the verdict must say so rather
// than call them "below --fail-on".
func (r *Report) passesOnKnown(failOn checks.Severity) bool {
	if r.ExitCode(failOn) != ExitOK {
		return false
	}
	for i, res := range r.Results {
		if res.Status == checks.Fail && res.Severity.Rank() >= failOn.Rank() && r.known(i) {
			return true
		}
	}
	return false
}
