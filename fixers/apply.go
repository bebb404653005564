package fixers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/inventory"
)

// Env is what applying a plan needs: the transports, the database, and the
// run folder that records everything.
type Env struct {
	Inventory *inventory.Inventory
	Open      collect.Opener
	Settings  SettingsStore
	Journal   *Journal
	// Force applies a change even when its object is no longer what the
	// plan expected (rollback --force). What is there is backed up first.
	Force bool
}

// NodeStatus is how a node (or the database, node "") came out of a run.
type NodeStatus string

// Node statuses. A node is fixed completely or left as it was; Partial is
// reported only when putting it back failed too.
const (
	// Fixed: every change of the node was applied.
	Fixed NodeStatus = "fixed"
	// Unchanged: nothing was written; the node was refused before any
	// change (it changed since the plan, a backup failed, unreachable).
	Unchanged NodeStatus = "unchanged"
	// Reverted: a change failed half-way through the node's changes, and
	// those already applied were put back from the backups: the node is as
	// it was.
	Reverted NodeStatus = "reverted"
	// Partial: a change failed and putting back the others failed too.
	// The node is half-fixed; its backups are in the run folder.
	Partial NodeStatus = "partial"
)

// ChangeOutcome is what became of one change.
type ChangeOutcome struct {
	Kind    Kind         `json:"kind"`
	Object  string       `json:"object"`
	Action  Action       `json:"action"`
	Rules   []string     `json:"rules,omitempty"`
	Summary string       `json:"summary"`
	Status  RecordStatus `json:"status"`
	Error   string       `json:"error,omitempty"`
}

// NodeOutcome is what a run did to one node, or to the database.
type NodeOutcome struct {
	Node    string          `json:"node"`
	Status  NodeStatus      `json:"status"`
	Error   string          `json:"error,omitempty"`
	Changes []ChangeOutcome `json:"changes"`
}

// Outcome is what a run did, node by node.
type Outcome struct {
	Run    string `json:"run"`
	RunDir string `json:"run_dir"`
	// RollbackOf is the run a rollback put back ("" for a fix).
	RollbackOf string        `json:"rollback_of,omitempty"`
	Nodes      []NodeOutcome `json:"nodes"`
}

// Complete reports whether every node was fixed.
func (o *Outcome) Complete() bool {
	for _, n := range o.Nodes {
		if n.Status != Fixed {
			return false
		}
	}
	return true
}

// Apply carries out plan, node by node (the database counts as one node),
// recording every change in env.Journal. Each node is all or nothing: its
// changes are checked against the plan (the object must still be what the
// plan saw) and backed up before the first write; when a write fails, the
// node's earlier changes are put back from the backups. Nodes are applied
// one after another; one node's failure does not stop the others. Apply
// returns an error only when the run folder cannot be finished; the
// Outcome says what happened to each node either way.
func Apply(ctx context.Context, plan *Plan, env Env) (*Outcome, error) {
	if env.Open == nil {
		return nil, fmt.Errorf("apply: %w", collect.ErrNoOpener)
	}
	r := NewRunner(env)
	defer r.Close()
	out := &Outcome{Run: env.Journal.ID(), RunDir: env.Journal.Dir()}
	for start := 0; start < len(plan.Changes); {
		end := start + 1
		for end < len(plan.Changes) && strings.EqualFold(plan.Changes[end].Node, plan.Changes[start].Node) {
			end++
		}
		out.Nodes = append(out.Nodes, applyNode(ctx, r, plan.Changes[start].Node, plan.Changes[start:end]))
		start = end
	}
	if err := env.Journal.finish(time.Now()); err != nil {
		return out, err
	}
	return out, nil
}

// applyNode applies one node's changes all or nothing: every change is
// journaled, then checked and backed up, before the first write; a
// failure puts back what was made, newest first. Each phase is a method
// of nodeRun; what a change does in each is its Op's, through the Runner.
func applyNode(ctx context.Context, r *Runner, node string, changes []Change) NodeOutcome {
	n := &nodeRun{r: r, changes: changes, recs: make([]int, len(changes)), out: NodeOutcome{Node: node, Status: Unchanged}}
	for i := range changes {
		n.recs[i] = r.Record(&changes[i])
	}
	n.run(ctx, node)
	n.report()
	return n.out
}

// run checks and backs up the node's changes, then makes them; it
// refuses the node when it cannot be reached or a change moved.
func (n *nodeRun) run(ctx context.Context, node string) {
	if err := ctx.Err(); err != nil {
		n.refuse(0, fmt.Errorf("interrupted: %w", err))
		return
	}
	if _, err := n.r.context(ctx, node); err != nil {
		n.refuse(0, err)
		return
	}
	if i, err := n.prepare(ctx); err != nil {
		n.refuse(i, err)
		return
	}
	n.apply(ctx)
}

// nodeRun is one node's changes in a run: their journal records and what
// became of the node.
type nodeRun struct {
	r       *Runner
	changes []Change
	recs    []int
	out     NodeOutcome
}

// report adds each change's outcome, as the journal has it, to the
// node's, and saves the journal.
func (n *nodeRun) report() {
	j := n.r.env.Journal
	for i, c := range n.changes {
		rec := j.record(n.recs[i])
		n.out.Changes = append(n.out.Changes, ChangeOutcome{Kind: c.Kind(), Object: c.Object(), Action: c.Action(),
			Rules: c.Rules, Summary: c.Summary, Status: rec.Status, Error: rec.Error})
	}
	if err := n.r.Save(); err != nil && n.out.Error == "" {
		n.out.Error = err.Error()
	}
}

// refuse leaves the node as it was (nothing was written): change i's
// error is the node's, and no change is attempted.
func (n *nodeRun) refuse(i int, err error) {
	j := n.r.env.Journal
	n.out.Error = fmt.Sprintf("%s: %v; nothing was changed", n.changes[i].Object(), err)
	j.update(n.recs[i], func(rc *Record) { rc.Error = err.Error() })
	for _, k := range n.recs {
		j.update(k, func(rc *Record) { rc.Status = NotAttempted })
	}
}

// prepare checks every change against the plan and backs it up, before
// any write, and saves the journal; it returns the change that failed.
func (n *nodeRun) prepare(ctx context.Context) (int, error) {
	for i := range n.changes {
		if err := n.r.Prepare(ctx, &n.changes[i], n.recs[i]); err != nil {
			return i, err
		}
	}
	return 0, n.r.Save()
}

// apply makes the changes in order; on a failure it puts back what was
// made.
func (n *nodeRun) apply(ctx context.Context) {
	for i := range n.changes {
		made, err := n.r.Do(ctx, &n.changes[i], n.recs[i])
		if err == nil {
			continue
		}
		if i == 0 && !made && errors.Is(err, errChanged) {
			// The op compared as it wrote (the live database inside its
			// transaction, db.json before the rename, a copy's hash) and
			// refused: nothing was written, so the node is unchanged,
			// and putting "back" could overwrite what someone else set.
			n.refuse(i, err)
			return
		}
		n.putBack(ctx, i, made, err)
		return
	}
	n.out.Status = Fixed
}

// putBack undoes the node's changes up to the failed change i, newest
// first, even when the run was interrupted: a half-fixed node is worse
// than a slow exit. The failed change too, unless it promised to have
// written nothing.
func (n *nodeRun) putBack(ctx context.Context, i int, made bool, err error) {
	n.out.Status = Reverted
	n.out.Error = fmt.Sprintf("%s: %v", n.changes[i].Object(), err)
	undoCtx := context.WithoutCancel(ctx)
	last := i
	if !made && errors.Is(err, errChanged) {
		last = i - 1
	}
	for k := last; k >= 0; k-- {
		if uerr := n.r.Undo(undoCtx, &n.changes[k], n.recs[k]); uerr != nil {
			n.out.Status = Partial
			n.out.Error += fmt.Sprintf("; %s not put back: %v", n.changes[k].Object(), uerr)
		}
	}
	switch {
	case n.out.Status == Reverted && (i > 0 || made):
		n.out.Error += "; the node's changes were put back: it is as it was"
	case n.out.Status == Reverted:
		n.out.Error += "; nothing was changed"
	}
}

// Verdict says whether a rule a run repaired passes now, and if not what is
// left.
type Verdict struct {
	Rule   string        `json:"rule"`
	Node   string        `json:"node"`
	Status checks.Status `json:"status"`
	Left   string        `json:"left,omitempty"`
}

// Verify reads the audit taken after a run: for every rule × node a change
// of the plan repaired, the status now and, when it does not pass, what is
// left (the result's observed value and message). Skipped failures are
// verified too: they are what a person still has to do.
func Verify(plan *Plan, after []checks.Result) []Verdict {
	var out []Verdict
	seen := map[string]bool{}
	add := func(rule, node string) {
		key := rule + "\x00" + strings.ToLower(node)
		if seen[key] {
			return
		}
		seen[key] = true
		v := Verdict{Rule: rule, Node: node, Status: checks.Error, Left: "no result after the fix"}
		for _, r := range after {
			if r.Rule == rule && strings.EqualFold(r.Node, node) {
				v.Status, v.Left = r.Status, ""
				if r.Status != checks.Pass {
					v.Left = strings.TrimPrefix(strings.Join(nonEmpty(r.Observed, r.Message), "; "), "; ")
				}
				break
			}
		}
		out = append(out, v)
	}
	for _, c := range plan.Changes {
		for _, r := range c.Rules {
			add(r, c.Node)
		}
	}
	for _, s := range plan.Skipped {
		add(s.Rule, s.Node)
	}
	return out
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
