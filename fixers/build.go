package fixers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Options narrow and equip a plan.
type Options struct {
	// Only limits the fix to these rule IDs (empty: every fixable rule).
	Only []string
	// Nodes limits the fix to these nodes (empty: every node and the
	// database). With Nodes set, database changes are left out: the
	// database belongs to no node.
	Nodes []string
	// Prune lets data.synced delete files a node has that the master has
	// not; without it such files are kept and the rule stays failing.
	Prune bool
	// Force plans service and address changes even when the facts say
	// another node than the inventory's primary is live (NotLiveError).
	Force bool
	// Open opens node transports (transports.Open); required: the same
	// opener as the gathering, so every transport that can gather can fix
	// if it implements collect.Target.
	Open collect.Opener
	// Settings is where the address settings are written; nil when the
	// database cannot be changed from here: addresses fixes are then
	// skipped and say so.
	Settings SettingsStore
}

// fixer plans the changes for the failing results of its rules.
type fixer struct {
	rules []string
	plan  func(ctx context.Context, in *input, failing []checks.Result) ([]Change, []Skipped, error)
}

// registry is every fixer. A rule listed here is Fixable in the catalogue
// (a test keeps the two in step).
var registry = []fixer{
	{rules: []string{"machinekey.present", "machinekey.match"}, plan: planMachineKey},
	{rules: []string{"addresses.match", "addresses.public-dns"}, plan: planAddresses},
	{rules: []string{"services.standby-inactive"}, plan: planStandbyInactive},
	{rules: []string{"services.active-running"}, plan: planActiveRunning},
	{rules: []string{"data.synced"}, plan: planData},
}

// Fixable reports whether a fixer exists for rule.
func Fixable(rule string) bool {
	for _, f := range registry {
		if slices.Contains(f.rules, rule) {
			return true
		}
	}
	return false
}

// input is what every fixer plans from.
type input struct {
	d    *facts.Deployment
	opts Options
	// targets opened while planning (to read files for diffs), by node.
	targets map[string]collect.Target
}

// target opens (once) the transport of a node for reading while planning.
func (in *input) target(ctx context.Context, node string) (collect.Target, error) {
	if t, ok := in.targets[node]; ok {
		return t, nil
	}
	spec := in.d.Inventory.NodeByName(node)
	if spec == nil {
		return nil, fmt.Errorf("node %s is not in the inventory", node)
	}
	t, err := openTarget(ctx, in.opts.Open, in.d.Inventory, spec)
	if err != nil {
		return nil, err
	}
	in.targets[node] = t
	return t, nil
}

// Build plans the fix of the failing results of an audit of d. Results
// that are `error` are never acted on (what could not be checked is not
// changed), nor `waived` ones; the `error` ones within opts' reach are
// listed in Plan.Unchecked, which makes the plan incomplete. A plan that would start or stop services or
// write the database's addresses while the facts say another node than the
// inventory's primary is live is refused with a *NotLiveError, unless
// opts.Force. Failing rules without a fixer go to
// Plan.Manual with their remediation. Build changes nothing.
func Build(ctx context.Context, d *facts.Deployment, results []checks.Result, opts Options) (*Plan, error) {
	if opts.Open == nil {
		return nil, fmt.Errorf("plan: %w", collect.ErrNoOpener)
	}
	in := &input{d: d, opts: opts, targets: map[string]collect.Target{}}
	defer func() {
		for _, t := range in.targets {
			t.Close()
		}
	}()
	byRule := map[string][]checks.Result{}
	plan := &Plan{}
	for _, res := range results {
		if res.Status == checks.Error && selected(opts, res) {
			// Not acted on, but said: the plan may lack what it needs.
			plan.Unchecked = append(plan.Unchecked, Unchecked{Rule: res.Rule, Node: res.Node, Reason: reason(res)})
			continue
		}
		if res.Status != checks.Fail || !selected(opts, res) {
			continue
		}
		if !Fixable(res.Rule) {
			rem := ""
			if r := checks.Lookup(res.Rule); r != nil {
				rem = r.Remediation
			}
			plan.Manual = append(plan.Manual, Manual{Rule: res.Rule, Node: res.Node, Remediation: rem})
			continue
		}
		byRule[res.Rule] = append(byRule[res.Rule], res)
	}
	for _, f := range registry {
		var failing []checks.Result
		for _, r := range f.rules {
			failing = append(failing, byRule[r]...)
		}
		if len(failing) == 0 {
			continue
		}
		changes, skipped, err := f.plan(ctx, in, failing)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", strings.Join(f.rules, ", "), err)
		}
		plan.Changes = append(plan.Changes, changes...)
		plan.Skipped = append(plan.Skipped, skipped...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sortChanges(d.Inventory, plan.Changes)
	if err := checkConflicts(plan.Changes); err != nil {
		return nil, err
	}
	if !opts.Force && touchesLive(plan.Changes) {
		if err := checkLive(d); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// reason is why a result is `error`: its message, else what was
// observed.
func reason(res checks.Result) string {
	if res.Message != "" {
		return res.Message
	}
	return res.Observed
}

// selected reports whether a result is within --only and --node.
func selected(opts Options, res checks.Result) bool {
	if len(opts.Only) > 0 && !slices.Contains(opts.Only, res.Rule) {
		return false
	}
	if len(opts.Nodes) > 0 {
		return res.Node != "" && slices.ContainsFunc(opts.Nodes, func(n string) bool { return strings.EqualFold(n, res.Node) })
	}
	return true
}

// sortChanges orders changes by node in inventory order, the database
// last; a node's changes keep the fixers' order (machineKey, services,
// data files).
func sortChanges(inv *inventory.Inventory, changes []Change) {
	rank := func(node string) int {
		if node == "" {
			return len(inv.Nodes)
		}
		for i := range inv.Nodes {
			if strings.EqualFold(inv.Nodes[i].Name, node) {
				return i
			}
		}
		return len(inv.Nodes) + 1
	}
	slices.SortStableFunc(changes, func(a, b Change) int { return rank(a.Node) - rank(b.Node) })
}

// rulesOn returns the rules of failing that fail on node, in order, once.
func rulesOn(failing []checks.Result, node string) []string {
	var out []string
	for _, r := range failing {
		if r.Node == node && !slices.Contains(out, r.Rule) {
			out = append(out, r.Rule)
		}
	}
	return out
}

// failingNodes returns the nodes with a failing result, in result order
// (the inventory's), once.
func failingNodes(failing []checks.Result) []string {
	var out []string
	for _, r := range failing {
		if r.Node != "" && !slices.Contains(out, r.Node) {
			out = append(out, r.Node)
		}
	}
	return out
}

// openTarget opens a node's transport for changing it.
func openTarget(ctx context.Context, open collect.Opener, inv *inventory.Inventory, n *inventory.Node) (collect.Target, error) {
	if open == nil {
		return nil, fmt.Errorf("node %s: %w", n.Name, collect.ErrNoOpener)
	}
	src, err := open(ctx, inv, n)
	if err != nil {
		return nil, fmt.Errorf("node %s unreachable: %w", n.Name, err)
	}
	t, ok := src.(collect.Target)
	if !ok {
		src.Close()
		return nil, fmt.Errorf("node %s: transport %q cannot change the node", n.Name, n.Transport.Kind)
	}
	return t, nil
}
