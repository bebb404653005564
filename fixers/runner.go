package fixers

import (
	"context"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect"
)

// Runner makes changes within a run, one at a time, and journals each
// before it acts and after: Record (not attempted), Prepare (checked
// against the plan and backed up: pending), Do (applied, saved at once),
// Undo (restored, or not-restored). Apply drives it node by node, all or
// nothing per node; a runbook drives it step by step. The Runner opens
// each node's transport once per run and knows nothing of any kind of
// change: the Op does the work.
type Runner struct {
	env     Env
	targets map[string]collect.Target
}

// NewRunner returns a Runner for a run; env.Journal may be nil only for
// Check (looking, before a run exists). Close it when done.
func NewRunner(env Env) *Runner {
	return &Runner{env: env, targets: map[string]collect.Target{}}
}

// Close closes the transports the run opened; it may be called again.
func (r *Runner) Close() {
	for k, t := range r.targets {
		_ = t.Close() // read and write are over: a failed close loses nothing
		delete(r.targets, k)
	}
}

// target opens a node's transport once per run.
func (r *Runner) target(ctx context.Context, node string) (collect.Target, error) {
	key := strings.ToLower(node)
	if t, ok := r.targets[key]; ok {
		return t, nil
	}
	spec := r.env.Inventory.NodeByName(node)
	if spec == nil {
		return nil, fmt.Errorf("node %s is not in the inventory", node)
	}
	t, err := openTarget(ctx, r.env.Open, r.env.Inventory, spec)
	if err != nil {
		return nil, err
	}
	r.targets[key] = t
	return t, nil
}

// context is what the ops of a node act through; it opens the node's
// transport (not for node "", the database).
func (r *Runner) context(ctx context.Context, node string) (*OpContext, error) {
	oc := &OpContext{Node: node, Settings: r.env.Settings, Journal: r.env.Journal, Force: r.env.Force, open: r.target}
	if node != "" {
		t, err := r.target(ctx, node)
		if err != nil {
			return nil, err
		}
		oc.Target = t
	}
	return oc, nil
}

// Record adds c to the run's journal as not attempted, with the states
// the plan expects, and returns its index there.
func (r *Runner) Record(c *Change) int {
	return r.env.Journal.add(Record{Step: c.Step, Node: c.Node, Kind: c.Kind(), Object: c.Object(), Action: c.Action(), Rules: c.Rules,
		Status: NotAttempted, Before: c.Op.StateBefore(), After: c.Op.StateAfter()})
}

// Prepare checks record rec's change c against the plan and backs it up,
// before anything is written; the journal then says pending, with the
// object's state as it was (the way back). Save the journal before Do.
// An error wrapping errChanged means the object moved since the plan.
func (r *Runner) Prepare(ctx context.Context, c *Change, rec int) error {
	j := r.env.Journal
	oc, err := r.context(ctx, c.Node)
	if err == nil {
		var was State
		if was, err = c.Op.Prepare(ctx, oc); err == nil {
			j.update(rec, func(rc *Record) { rc.Before, rc.Status, rc.Error = was, Pending, "" })
			return nil
		}
	}
	j.update(rec, func(rc *Record) { rc.Error = err.Error() })
	return err
}

// Do makes record rec's change c and journals it applied, saving the
// journal at once: a run killed after Do says what it made. made reports
// whether the change is in place even though Do failed (the journal could
// not record it); then, as for any other failure but errChanged, the
// caller must Undo it. A failed change is journaled failed: one that
// refused with errChanged wrote nothing, any other may have written part.
func (r *Runner) Do(ctx context.Context, c *Change, rec int) (made bool, err error) {
	j := r.env.Journal
	oc, err := r.context(ctx, c.Node)
	if err == nil {
		err = c.Op.Apply(ctx, oc)
	}
	switch {
	case err == nil:
		j.update(rec, func(rc *Record) { rc.Status = Applied })
		if err = j.save(); err == nil {
			return false, nil
		}
		// Made, but the journal does not say so: the caller puts it
		// back rather than leave a change nobody can find.
		err = fmt.Errorf("made, but the run's journal could not record it: %w", err)
		j.update(rec, func(rc *Record) { rc.Error = err.Error() })
		return true, err
	default:
		j.update(rec, func(rc *Record) { rc.Status, rc.Error = Failed, err.Error() })
	}
	return false, err
}

// Undo puts record rec's change c back to the state Prepare recorded and
// journals it restored (or not-restored, with why). A change that failed
// is put back only if Verify finds it is not as it was: a failed write
// may have changed nothing, and a failed service or database change may
// have changed part.
func (r *Runner) Undo(ctx context.Context, c *Change, rec int) error {
	j := r.env.Journal
	was := j.record(rec)
	oc, err := r.context(ctx, c.Node)
	if err == nil && was.Status == Failed {
		var is Is
		if is, err = c.Op.Verify(ctx, oc); err == nil && is == IsBefore {
			return nil // nothing to put back
		}
	}
	if err == nil {
		err = c.Op.Undo(ctx, oc, was.Before)
	}
	if err != nil {
		j.update(rec, func(rc *Record) { rc.Status, rc.Error = NotRestored, err.Error() })
		return err
	}
	if was.Status != Failed {
		j.update(rec, func(rc *Record) { rc.Status = Restored })
	}
	return nil
}

// Check says where change c's object stands now (Op.Verify), without a
// run: rollback looks at every object before it changes any, and a
// runbook checks a step before and after it acts.
func (r *Runner) Check(ctx context.Context, c *Change) (Is, error) {
	oc, err := r.context(ctx, c.Node)
	if err != nil {
		return IsNeither, err
	}
	return c.Op.Verify(ctx, oc)
}

// Save writes the journal.
func (r *Runner) Save() error { return r.env.Journal.save() }
