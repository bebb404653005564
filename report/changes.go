package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
)

// Verdict is a run's outcome in one word, the same three outcomes as the
// exit code (contract §6): pass (0), fail (1), error (3). Notifications put
// it in the subject line and history lists it per run.
type Verdict string

// Verdicts.
const (
	VerdictPass  Verdict = "pass"  // nothing failed at or above the threshold, everything was checked
	VerdictFail  Verdict = "fail"  // a failure at or above the threshold: drift found
	VerdictError Verdict = "error" // no counted failure, but something could not be checked
)

// Verdict is the run's outcome at the --fail-on threshold failOn (the zero
// value means checks.Low, any failure), decided by ExitCode so the two can
// never disagree.
func (r *Report) Verdict(failOn checks.Severity) Verdict {
	if failOn == "" {
		failOn = checks.Low
	}
	switch r.ExitCode(failOn) {
	case ExitFail:
		return VerdictFail
	case ExitErrored:
		return VerdictError
	}
	return VerdictPass
}

// Text is the verdict as a person reads it in a subject line or heading.
func (v Verdict) Text() string {
	switch v {
	case VerdictFail:
		return "drift found"
	case VerdictError:
		return "not everything could be checked"
	case VerdictPass:
		return "no drift"
	}
	return "no verdict"
}

// ResultKey identifies one result across runs: the rule, the node (""
// for the deployment-wide result) in lower case, since Windows host names
// compare case-insensitively and so does the inventory, and Nth.
//
// The engine gives at most one result per rule and node (checks.Result
// has no file or subject field; data.synced, for one, lists every
// differing file inside its one result per node). Nth is 0 then; should
// a report ever hold several results for one rule and node, the second
// gets 1 and so on in report order, so Compare loses none of them.
type ResultKey struct {
	Rule string
	Node string
	Nth  int
}

// String is "rule on node" ("rule" for the deployment), for logs.
func (k ResultKey) String() string {
	s := k.Rule
	if k.Node != "" {
		s += " on " + k.Node
	}
	if k.Nth > 0 {
		s += fmt.Sprintf(" (#%d)", k.Nth+1)
	}
	return s
}

// IndexResults maps every result to its key, numbering repeated rule and
// node pairs as ResultKey explains. History code uses it to look a
// Change's Key up in older reports.
func IndexResults(results []checks.Result) map[ResultKey]checks.Result {
	out := make(map[ResultKey]checks.Result, len(results))
	for _, res := range results {
		k := ResultKey{Rule: res.Rule, Node: strings.ToLower(res.Node)}
		for {
			if _, taken := out[k]; !taken {
				break
			}
			k.Nth++
		}
		out[k] = res
	}
	return out
}

// Change is one result whose state is reported between two runs.
type Change struct {
	Rule     string          `json:"rule"`
	Node     string          `json:"node"` // "" for the deployment-wide result
	Nth      int             `json:"nth,omitempty"`
	Severity checks.Severity `json:"severity"`
	// Before and After are the result's status in the older and the newer
	// report; "" when the result is absent there (first run, a node added
	// or removed, a rule that no longer applies).
	Before checks.Status `json:"before"`
	After  checks.Status `json:"after"`
	// FirstSeen is when the result was first seen in the state the change
	// is about: for new failures and errors the newer run's start; for
	// still failing, resolved and cleared results the older run's start,
	// unless a caller that knows more (history walking back through
	// earlier runs) sets an earlier time. Zero when unknown.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// Result is the newest version of the result: from the newer report
	// when present there, else from the older one.
	Result checks.Result `json:"result"`
}

// Key is the change's ResultKey, for looking it up in other reports with
// IndexResults.
func (c Change) Key() ResultKey {
	return ResultKey{Rule: c.Rule, Node: strings.ToLower(c.Node), Nth: c.Nth}
}

// Changes is what changed between two audits of one deployment: which
// results started or stopped failing, which could no longer or again be
// checked, and whether the verdict moved. Compare builds it without I/O;
// the HTML report, `tmsdrift diff`, history and notifications read it.
//
// Verdicts are taken at the default threshold (any failure counts): a
// change is about the results, whatever gate a caller applies later.
type Changes struct {
	// FirstRun is true when there was no earlier report: every failure
	// and error is then new.
	FirstRun bool `json:"first_run"`
	// Since is the older run's start (zero on the first run).
	Since time.Time `json:"since,omitzero"`
	// Until is the newer run's start.
	Until time.Time `json:"until,omitzero"`

	OldVerdict     Verdict `json:"old_verdict,omitempty"` // "" on the first run
	NewVerdict     Verdict `json:"new_verdict"`
	VerdictChanged bool    `json:"verdict_changed"`

	// NewFailures fail now and did not before (passed, were waived, could
	// not be checked, or did not exist).
	NewFailures []Change `json:"new_failures"`
	// Resolved failed before and now pass or are gone; a failure that
	// now cannot be checked is not resolved: it is in NewErrors.
	Resolved []Change `json:"resolved"`
	// Waived failed before and are now covered by a waiver: not fixed,
	// and not counted as resolved (the drift is still there; a waiver
	// only stops it failing the run).
	Waived []Change `json:"waived"`
	// StillFailing failed in both runs.
	StillFailing []Change `json:"still_failing"`
	// NewErrors could not be checked now and could before (or are new).
	NewErrors []Change `json:"new_errors"`
	// ClearedErrors could not be checked before and now have a verdict
	// (or are gone).
	ClearedErrors []Change `json:"cleared_errors"`
}

// Compare reports what changed from the old report to the latest; old is
// nil for the first run. Results are matched by ResultKey. Each list is in the order people
// read reports: most severe first, then catalogue order, then the
// deployment before nodes, nodes by name.
func Compare(old, latest *Report) Changes {
	ch := Changes{
		NewVerdict:    latest.Verdict(checks.Low),
		Until:         latest.StartedAt,
		NewFailures:   []Change{},
		Resolved:      []Change{},
		Waived:        []Change{},
		StillFailing:  []Change{},
		NewErrors:     []Change{},
		ClearedErrors: []Change{},
	}
	var before map[ResultKey]checks.Result
	var oldStart time.Time
	if old == nil {
		ch.FirstRun = true
		ch.VerdictChanged = true
	} else {
		ch.Since, oldStart = old.StartedAt, old.StartedAt
		ch.OldVerdict = old.Verdict(checks.Low)
		ch.VerdictChanged = ch.OldVerdict != ch.NewVerdict
		before = IndexResults(old.Results)
	}
	after := IndexResults(latest.Results)

	change := func(k ResultKey, b, a checks.Status, res checks.Result, seen time.Time) Change {
		return Change{Rule: res.Rule, Node: res.Node, Nth: k.Nth, Severity: res.Severity,
			Before: b, After: a, FirstSeen: seen, Result: res}
	}
	for k, now := range after {
		was, existed := before[k]
		var b checks.Status
		if existed {
			b = was.Status
		}
		switch {
		case now.Status == checks.Fail && b == checks.Fail:
			ch.StillFailing = append(ch.StillFailing, change(k, b, now.Status, now, oldStart))
		case now.Status == checks.Fail:
			ch.NewFailures = append(ch.NewFailures, change(k, b, now.Status, now, latest.StartedAt))
		case now.Status == checks.Error && b != checks.Error:
			ch.NewErrors = append(ch.NewErrors, change(k, b, now.Status, now, latest.StartedAt))
		case b == checks.Fail && now.Status == checks.Waived:
			ch.Waived = append(ch.Waived, change(k, b, now.Status, now, oldStart))
		case b == checks.Fail: // now pass
			ch.Resolved = append(ch.Resolved, change(k, b, now.Status, now, oldStart))
		case b == checks.Error && now.Status != checks.Error:
			ch.ClearedErrors = append(ch.ClearedErrors, change(k, b, now.Status, now, oldStart))
		}
	}
	for k, was := range before {
		if _, still := after[k]; still {
			continue
		}
		switch was.Status {
		case checks.Fail:
			ch.Resolved = append(ch.Resolved, change(k, was.Status, "", was, oldStart))
		case checks.Error:
			ch.ClearedErrors = append(ch.ClearedErrors, change(k, was.Status, "", was, oldStart))
		}
	}
	for _, list := range []*[]Change{&ch.NewFailures, &ch.Resolved, &ch.Waived, &ch.StillFailing, &ch.NewErrors, &ch.ClearedErrors} {
		sortChanges(*list)
	}
	return ch
}

// sortChanges puts changes in attention order (see byAttention); map
// iteration order must never reach a report.
func sortChanges(list []Change) {
	order := catalogueOrder()
	position := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(order)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if x, y := a.Severity.Rank(), b.Severity.Rank(); x != y {
			return x > y
		}
		if x, y := position(a.Rule), position(b.Rule); x != y {
			return x < y
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Node != b.Node {
			return a.Node < b.Node
		}
		return a.Nth < b.Nth
	})
}

// FailingChanged reports whether the set of failing results differs
// between the two runs: something started or stopped failing (resolved,
// or waived).
func (c Changes) FailingChanged() bool {
	return len(c.NewFailures) > 0 || len(c.Resolved) > 0 || len(c.Waived) > 0
}

// Empty reports whether nothing changed: the verdict is the same and no
// result started or stopped failing or erroring. Results still failing
// are not a change. The first run is never empty.
func (c Changes) Empty() bool {
	return !c.FirstRun && !c.VerdictChanged && !c.FailingChanged() &&
		len(c.NewErrors) == 0 && len(c.ClearedErrors) == 0
}

// Summary is the change in one line, as history lists it:
// "+2 failing, -1 resolved", "1 now waived" (a failure a waiver now
// covers: not resolved), "+1 error, -1 error", "no change"; the first
// run reads "first run: 3 failing, 1 error" (or "first run: nothing
// failing").
func (c Changes) Summary() string {
	var parts []string
	add := func(n int, format string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf(format, n))
		}
	}
	if c.FirstRun {
		add(len(c.NewFailures), "%d failing")
		add(len(c.NewErrors), "%d error")
		if len(c.NewErrors) > 1 {
			parts[len(parts)-1] += "s"
		}
		if len(parts) == 0 {
			return "first run: nothing failing"
		}
		return "first run: " + strings.Join(parts, ", ")
	}
	add(len(c.NewFailures), "+%d failing")
	add(len(c.Resolved), "-%d resolved")
	add(len(c.Waived), "%d now waived")
	add(len(c.NewErrors), "+%d error")
	if len(c.NewErrors) > 1 {
		parts[len(parts)-1] += "s"
	}
	add(len(c.ClearedErrors), "-%d error")
	if len(c.ClearedErrors) > 1 {
		parts[len(parts)-1] += "s"
	}
	if len(parts) == 0 {
		if c.VerdictChanged {
			return fmt.Sprintf("verdict %s → %s", c.OldVerdict, c.NewVerdict)
		}
		return "no change"
	}
	return strings.Join(parts, ", ")
}
