package report

import (
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
