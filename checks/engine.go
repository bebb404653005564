package checks

import (
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// Evaluate runs every rule of the catalogue that applies to the
// deployment's model and applies the inventory's waivers. Results come in
// catalogue order, node results in inventory order, a rule's deployment
// result after its node results.
func Evaluate(d *facts.Deployment) []Result {
	var out []Result
	for _, r := range catalogue {
		if !r.AppliesTo(d.Inventory.Model) {
			continue
		}
		for _, res := range r.eval(d) {
			res.Rule = r.ID
			res.Severity = r.Severity
			res.Fixable = r.Fixable
			out = append(out, res)
		}
	}
	applyWaivers(d, out)
	return out
}

// applyWaivers turns a `fail` covered by an unexpired waiver into `waived`;
// an expired waiver leaves the failure and says so. `error` is never waived.
func applyWaivers(d *facts.Deployment, results []Result) {
	for i := range results {
		res := &results[i]
		if res.Status != Fail {
			continue
		}
		for _, w := range d.Inventory.Waivers {
			if w.Rule != res.Rule || (w.Node != "" && !strings.EqualFold(w.Node, res.Node)) {
				continue
			}
			if d.Now.Before(w.Expires.EndUTC()) {
				res.Status = Waived
				res.Message = joinMessage(fmt.Sprintf("waived until %s: %s", w.Expires, w.Reason), res.Message)
				break
			}
			res.Message = joinMessage(res.Message, fmt.Sprintf("waiver expired on %s (%s)", w.Expires, w.Reason))
		}
	}
}

func joinMessage(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// outcome is what a rule decides for one node or the deployment; the
// engine adds rule, severity and fixable.
func passed(expected, observed string) Result {
	return Result{Status: Pass, Expected: expected, Observed: observed}
}

func failed(expected, observed, message string) Result {
	return Result{Status: Fail, Expected: expected, Observed: observed, Message: message}
}

func errored(expected, format string, args ...any) Result {
	return Result{Status: Error, Expected: expected, Message: fmt.Sprintf(format, args...)}
}

// perNode evaluates judge on every node for which it applies; judge returns
// false to give no result for that node (e.g. a standby rule on a primary).
func perNode(d *facts.Deployment, judge func(d *facts.Deployment, n *facts.Node) (Result, bool)) []Result {
	out := make([]Result, 0, len(d.Nodes))
	for _, n := range d.Nodes {
		res, ok := judge(d, n)
		if !ok {
			continue
		}
		res.Node = n.Spec.Name
		out = append(out, res)
	}
	return out
}

// deployment wraps a deployment-scope judgement as the rule's one result.
func deployment(res Result) []Result {
	res.Node = ""
	return []Result{res}
}

// nodeFacts returns the node's facts.json, or the reason it cannot be used.
func nodeFacts(n *facts.Node) (*facts.NodeFacts, error) {
	switch {
	case n.FactsErr != nil:
		return nil, fmt.Errorf("facts unavailable: %w", n.FactsErr)
	case n.Facts == nil:
		return nil, fmt.Errorf("facts unavailable")
	}
	return n.Facts, nil
}

// dbFacts returns the database facts, or the reason they cannot be used.
func dbFacts(d *facts.Deployment) (*facts.DBFacts, error) {
	switch {
	case d.DB.Err != nil:
		return nil, fmt.Errorf("database facts unavailable: %w", d.DB.Err)
	case d.DB.Facts == nil:
		return nil, fmt.Errorf("database facts unavailable")
	}
	return d.DB.Facts, nil
}

// quoted shows a value, making the empty string visible.
func quoted(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// listLimited joins items, cutting the list after max entries.
func listLimited(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:max], ", "), len(items)-max)
}
