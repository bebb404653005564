package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
)

// deploymentLabel stands for the node of a deployment-wide result in the
// human formats (JSON keeps the contract's "").
const deploymentLabel = "(deployment)"

// nodeLabel is how the human formats name a result's node.
func nodeLabel(node string) string {
	if node == "" {
		return deploymentLabel
	}
	return node
}

// statusOrder ranks statuses the way people read a report: what failed,
// what could not be checked, what was waived, what passed.
func statusOrder(s checks.Status) int {
	for i, x := range checks.Statuses {
		if x == s {
			return i
		}
	}
	return len(checks.Statuses)
}

// catalogueOrder maps each rule id to its position in the catalogue.
func catalogueOrder() map[string]int {
	order := make(map[string]int, len(checks.Catalogue()))
	for i, r := range checks.Catalogue() {
		order[r.ID] = i
	}
	return order
}

// byAttention returns a copy of results in the order the human formats
// list them: failures first, then errors, waived, passes; within a status
// the most severe first, then catalogue order (rules it does not know
// last, by id), then the deployment result before node results, nodes by
// name. The Report itself is left in the engine's order, which JSON keeps.
func byAttention(results []checks.Result) []checks.Result {
	order := catalogueOrder()
	position := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(order)
	}
	out := append([]checks.Result(nil), results...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if x, y := statusOrder(a.Status), statusOrder(b.Status); x != y {
			return x < y
		}
		if x, y := a.Severity.Rank(), b.Severity.Rank(); x != y {
			return x > y
		}
		if x, y := position(a.Rule), position(b.Rule); x != y {
			return x < y
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Node < b.Node
	})
	return out
}

// step is one entry of "What to do next": a failing rule, once, with the
// nodes it failed on.
type step struct {
	Rule        string
	Title       string
	Severity    checks.Severity
	Nodes       []string // labels, deployment first
	Remediation string
	Fixable     bool
}

// nextSteps gathers the failing rules of results (already in attention
// order) into one step per rule, most urgent first.
func nextSteps(ordered []checks.Result) []step {
	var steps []step
	index := map[string]int{}
	for _, res := range ordered {
		if res.Status != checks.Fail {
			continue
		}
		i, seen := index[res.Rule]
		if !seen {
			s := step{Rule: res.Rule, Title: res.Rule, Severity: res.Severity}
			if rule := checks.Lookup(res.Rule); rule != nil {
				s.Title, s.Remediation, s.Fixable = rule.Title, rule.Remediation, rule.Fixable
			}
			i = len(steps)
			index[res.Rule] = i
			steps = append(steps, s)
		}
		steps[i].Nodes = append(steps[i].Nodes, nodeLabel(res.Node))
		steps[i].Fixable = steps[i].Fixable || res.Fixable
	}
	return steps
}

// ofStatus returns the results with status s, keeping their order.
func ofStatus(results []checks.Result, s checks.Status) []checks.Result {
	var out []checks.Result
	for _, res := range results {
		if res.Status == s {
			out = append(out, res)
		}
	}
	return out
}

// counts is the summary as people read it: "3 fail, 1 error, 1 waived,
// 64 pass".
func counts(s Summary) string {
	return fmt.Sprintf("%d fail, %d error, %d waived, %d pass", s.Fail, s.Error, s.Waived, s.Pass)
}

// title names the audited deployment: "acme-tms (manual-cutover)".
func title(r *Report) string {
	name := r.Deployment
	if name == "" {
		name = "deployment"
	}
	if r.Model == "" {
		return name
	}
	return fmt.Sprintf("%s (%s)", name, r.Model)
}

// exitNote is the exit code as the human formats print it; the threshold
// is named only when it is not the default, since it changes the verdict.
func exitNote(r *Report, failOn checks.Severity) string {
	note := fmt.Sprintf("exit %d", r.ExitCode(failOn))
	if failOn != checks.Low {
		note += fmt.Sprintf(" (--fail-on %s)", failOn)
	}
	if b := r.baselineNote(); b != "" {
		note += " · " + b
	}
	return note
}

// observedText joins the observed value and the message, the last column
// of the human tables; either may be empty.
func observedText(res checks.Result) string {
	parts := make([]string, 0, 2)
	for _, s := range []string{res.Observed, res.Message} {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n")
}

// fixCommand is the command that previews the automatic fix of rule: the
// post-upgrade plan when upgrade (every fixable failure is what a TMS
// upgrade breaks), else fix --only.
func fixCommand(inventory, rule string, upgrade bool) string {
	if upgrade {
		return fmt.Sprintf("tmsdrift post-upgrade -i %s --dry-run", shellword.Quote(Sanitize(inventory)))
	}
	return fmt.Sprintf("tmsdrift fix -i %s --only %s", shellword.Quote(Sanitize(inventory)), rule)
}

// fixAll is what "What to do next" ends with when failing rules have a
// fixer: the command that shows the plan for all of them, and the one that
// applies it.
type fixAll struct {
	Heading string
	Plan    string
	Apply   string
	Note    string
	// Upgrade is true when every fixable failure is one a TMS upgrade
	// causes: post-upgrade repairs them in one step.
	Upgrade bool
}

// suggestFixAll gathers the fixable steps into one fixAll; false when
// there is none or the inventory is not known.
func suggestFixAll(inventory string, steps []step) (fixAll, bool) {
	var rules []string
	for _, s := range steps {
		if s.Fixable {
			rules = append(rules, s.Rule)
		}
	}
	if len(rules) == 0 || inventory == "" {
		return fixAll{}, false
	}
	inv := shellword.Quote(Sanitize(inventory))
	upgrade := true
	for _, r := range rules {
		if !slices.Contains(checks.UpgradeRules(), r) {
			upgrade = false
		}
	}
	if upgrade {
		return fixAll{
			Heading: "After a TMS upgrade",
			Plan:    "tmsdrift post-upgrade -i " + inv + " --dry-run",
			Apply:   "tmsdrift post-upgrade -i " + inv,
			Note:    "post-upgrade puts the approved machineKey back into web.config and the inventory's addresses into the database, then audits again.",
			Upgrade: true,
		}, true
	}
	only := "tmsdrift fix -i " + inv + " --only " + strings.Join(rules, " --only ")
	return fixAll{
		Heading: "Fix what has a fixer",
		Plan:    only,
		Apply:   only + " --apply",
		Note:    "The plan changes nothing; --apply makes the changes, backs up what it touches and audits again (tmsdrift rollback puts them back).",
	}, true
}

// explainCommand is the command that explains rule.
func explainCommand(rule string) string { return "tmsdrift explain " + rule }
