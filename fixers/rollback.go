package fixers

import (
	"context"
	"errors"
	"fmt"
	"github.com/tmsdrift/tmsdrift/collect"
	"slices"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/inventory"
)

// RollbackRequest names the run to put back and how to reach the
// deployment.
type RollbackRequest struct {
	RunsDir string
	// Run is a run ID, or "last": the newest fix or post-upgrade run.
	Run string
	// Force puts back even what changed since the run (what is there is
	// backed up in the rollback's own run folder first).
	Force         bool
	Inventory     *inventory.Inventory
	InventoryPath string
	Open          collect.Opener
	Settings      SettingsStore
	// Lock is the deployment's lock the caller holds (nil: none): told
	// when the rollback starts its run folder, so a refusal before that
	// leaves no trace (Lock.Release), and which run it writes.
	Lock *Lock
}

// Conflict is an object that changed since the run, so rolling it back
// would overwrite someone's later change.
type Conflict struct {
	Node   string `json:"node"`
	Object string `json:"object"`
	Reason string `json:"reason"`
}

// RefusedError is a rollback refused before anything was changed.
type RefusedError struct {
	Run       string
	Conflicts []Conflict
}

// Error lists what changed since the run.
func (e *RefusedError) Error() string {
	var parts []string
	for _, c := range e.Conflicts {
		parts = append(parts, strings.TrimPrefix(c.Node+" ", " ")+c.Object+": "+c.Reason)
	}
	return fmt.Sprintf("rollback of run %s refused, nothing was changed: %d objects changed since the run (--force puts them back anyway): %s",
		e.Run, len(e.Conflicts), strings.Join(parts, "; "))
}

// ErrBadRun marks a rollback refused for what it was asked to roll back:
// no such run, a run rolled back already, a run folder whose manifest
// cannot be read. Nothing was looked at or changed; the command line calls
// it bad input (errors.Is(err, ErrBadRun)).
var ErrBadRun = errors.New("the run cannot be rolled back")

// badRunError keeps an error's message and marks it ErrBadRun.
type badRunError struct{ err error }

// Error, Unwrap and Is keep the message and the chain of the error, and
// add ErrBadRun to it.
func (e badRunError) Error() string        { return e.err.Error() }
func (e badRunError) Unwrap() error        { return e.err }
func (e badRunError) Is(target error) bool { return target == ErrBadRun }

func badRun(err error) error { return badRunError{err} }

// ResolveRun turns "last" into the newest fix or post-upgrade run under
// runsDir; any other value must name an existing run. A run that was rolled
// back already is refused: rolling back twice would be a surprise.
func ResolveRun(runsDir, run string) (string, error) {
	runs, err := ListRuns(runsDir)
	if err != nil {
		return "", err
	}
	for _, m := range runs {
		if run == "last" && m.Command == "rollback" {
			continue
		}
		if run != "last" && m.ID != run {
			continue
		}
		if m.RolledBackBy != "" {
			return "", fmt.Errorf("run %s was rolled back already (by run %s); name an older run to go further back", m.ID, m.RolledBackBy)
		}
		return m.ID, nil
	}
	if run == "last" {
		return "", fmt.Errorf("no fix run in %s", runsDir)
	}
	return "", fmt.Errorf("no run %s in %s", run, runsDir)
}

// Rollback puts back what a run changed, newest change first, from the
// backups and values in its run folder. Without Force it first checks that
// every object is still as the run left it, and refuses (RefusedError,
// nothing changed) when one is not. An object already back as it was
// before the run is left alone. The rollback is a run of its own, with a
// run folder, so it can be rolled back in turn; when it completes, the
// original run is marked as rolled back.
func Rollback(ctx context.Context, req RollbackRequest) (*Outcome, *Plan, error) {
	if req.Open == nil {
		return nil, nil, fmt.Errorf("rollback: %w", collect.ErrNoOpener)
	}
	id, err := ResolveRun(req.RunsDir, req.Run)
	if err != nil {
		return nil, nil, badRun(err)
	}
	orig, err := OpenJournal(req.RunsDir, id)
	if err != nil {
		return nil, nil, badRun(err)
	}
	defer orig.Close()
	plan, err := inversePlan(orig)
	if err != nil {
		return nil, nil, badRun(err)
	}

	// Look at every object before changing any.
	look := NewRunner(Env{Inventory: req.Inventory, Open: req.Open, Settings: req.Settings})
	defer look.Close()
	leftovers, err := leftoversOf(ctx, look, orig)
	if err != nil {
		return nil, nil, fmt.Errorf("rollback of run %s: %w", id, err)
	}
	plan.Changes = append(plan.Changes, leftovers...)
	groupByNode(plan.Changes)
	var keep []Change
	var conflicts []Conflict
	for _, c := range plan.Changes {
		is, err := look.Check(ctx, &c)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("rollback of run %s: %s%s: %w", id, c.Object(), onNode(c.Node), err)
		case is == IsAfter:
			continue // already as it was before the run
		case is == IsNeither:
			conflicts = append(conflicts, Conflict{Node: c.Node, Object: c.Object(), Reason: "changed since the run"})
		}
		keep = append(keep, c)
	}
	look.Close()
	if len(conflicts) > 0 && !req.Force {
		return nil, nil, &RefusedError{Run: id, Conflicts: conflicts}
	}
	plan.Changes = keep

	// An earlier rollback of the same run that never finished: this one
	// carries it on.
	var earlier []string
	unfinished, err := Unfinished(req.RunsDir)
	if err != nil {
		return nil, nil, badRun(err)
	}
	for _, u := range unfinished {
		if u.Command == "rollback" && u.RollbackOf == id {
			earlier = append(earlier, u.ID)
		}
	}

	m := orig.Manifest()
	req.Lock.Starting()
	j, err := NewJournal(req.RunsDir, RunManifest{Command: "rollback", Deployment: m.Deployment,
		Inventory: req.InventoryPath, StartedAt: time.Now(), RollbackOf: id, Resumes: earlier})
	if err != nil {
		return nil, nil, err
	}
	defer j.Close()
	// Which run holds the lock is for another fixer's message only: a
	// lock file that cannot say it does not stop the rollback.
	_ = req.Lock.Running(j.ID())
	if err := MarkResumed(req.RunsDir, earlier, j.ID()); err != nil {
		return nil, nil, err
	}
	out, err := Apply(ctx, plan, Env{Inventory: req.Inventory, Open: req.Open, Settings: req.Settings, Journal: j, Force: req.Force})
	out.RollbackOf = id
	if err != nil {
		return out, plan, err
	}
	if out.Complete() {
		if err := orig.markRolledBack(j.ID()); err != nil {
			return out, plan, err
		}
	}
	return out, plan, nil
}

// inversePlan is the plan that undoes a run's applied (or possibly
// applied) changes, newest first, node by node; each record's kind says
// how (kinds.go).
func inversePlan(orig *Journal) (*Plan, error) {
	m := orig.Manifest()
	plan := &Plan{}
	for i := len(m.Changes) - 1; i >= 0; i-- {
		r := m.Changes[i]
		// Applied and not put back, or maybe applied (the run stopped):
		// Rollback looks whether there is anything to do.
		if r.Status != Applied && r.Status != Pending && r.Status != NotRestored {
			continue
		}
		k, err := kindOf(r.Kind)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", m.ID, err)
		}
		c, err := k.inverse(r, orig)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", m.ID, err)
		}
		plan.Changes = append(plan.Changes, c)
	}
	groupByNode(plan.Changes)
	return plan, nil
}

// leftoversOf asks the kinds of the changes a run left pending what the
// interrupted changes left beside their objects (a file write's temporary
// file), and returns the changes that clean it up.
func leftoversOf(ctx context.Context, look *Runner, orig *Journal) ([]Change, error) {
	var out []Change
	seen := map[string]bool{}
	for _, r := range orig.Manifest().Changes {
		f, ok := kinds[r.Kind].(leftoverFinder)
		if !ok || r.Status != Pending {
			continue
		}
		oc, err := look.context(ctx, r.Node)
		if err != nil {
			return nil, err
		}
		found, err := f.leftovers(ctx, r, oc)
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			if key := c.identity(); !seen[key] {
				seen[key] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// groupByNode puts each node's changes together, as Apply takes them, in
// the order the nodes first appear, keeping the order within each node.
func groupByNode(changes []Change) {
	first := map[string]int{}
	for i, c := range changes {
		if _, ok := first[strings.ToLower(c.Node)]; !ok {
			first[strings.ToLower(c.Node)] = i
		}
	}
	slices.SortStableFunc(changes, func(a, b Change) int {
		return first[strings.ToLower(a.Node)] - first[strings.ToLower(b.Node)]
	})
}
