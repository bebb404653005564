package fixers

import (
	"context"
	"fmt"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect"
)

// Kind names a kind of change in the run journal and the reports. Each
// kind is one type implementing Op, with its Kind constant, in its own
// file (kind_<name>.go), and one line of the kinds table (kinds.go) that
// reads it back from a journal. docs/fixing.md, "Kinds of change", says
// how to add one.
type Kind string

// Action says what a change does to its object.
type Action string

// Actions.
const (
	Create  Action = "create"
	Replace Action = "replace"
	Delete  Action = "delete"
	Set     Action = "set"
)

// Change is one thing a fix, a rollback or a runbook step changes: where
// (Node, "" for the database or the deployment itself), why (Rules), how
// it reads in a plan (Summary, Detail), and the Op that knows how to make
// it, check it and put it back.
type Change struct {
	// Rules are the failing rules the change repairs, in catalogue order
	// (none for a runbook step).
	Rules []string
	// Step names the runbook step the change belongs to ("" in a fix): the
	// journal keeps it, so that a runbook run that was interrupted finds
	// which of its steps were made.
	Step string
	Node string
	// Summary is one line for people; Detail the unified diff (files) or
	// the statement and its parameters (database). Neither ever holds key
	// material: machineKeys appear as fingerprints.
	Summary string
	Detail  string
	Op      Op
}

// Kind is the kind of the change's Op.
func (c *Change) Kind() Kind { return c.Op.Kind() }

// Object is what the change touches: a Windows path, a service name, the
// settings store.
func (c *Change) Object() string { return c.Op.Object() }

// Action is what the change does to its object.
func (c *Change) Action() Action { return c.Op.Action() }

// Op is one kind of change, everything the engine needs to know about it
// in one type: its plan text (Object, Action; the planner writes Summary
// and Detail), its states (StateBefore, StateAfter: what the journal and
// the JSON report record), how to make it safely (Prepare, then Apply), how to see
// where its object stands (Verify), and how to put it back (Undo, from its
// journal record). The engine (Runner, Apply, Rollback) never looks inside
// an Op; a kind's code never handles journaling, ordering or reverting.
type Op interface {
	// Kind names the kind (journal, reports).
	Kind() Kind
	// Object is what the op changes, as people and the journal name it.
	Object() string
	// Action is what it does to the object.
	Action() Action
	// Identity is what the op changes, normalised (case, separators):
	// two ops of one kind on one node with the same identity would fight,
	// so a plan holding them is refused.
	Identity() string
	// StateBefore is the state the plan expects the object to be in;
	// StateAfter the state the op makes. Both are recorded in the
	// journal and shown in the JSON report.
	StateBefore() State
	StateAfter() State
	// Prepare looks at the object before anything is written: unless
	// oc.Force, it fails with an error wrapping errChanged when the object
	// is not Before any more; it backs the object up when it needs a backup
	// to be put back (oc.Journal). It returns the object's state as it
	// was, the way back: the journal keeps it, and Undo gets it.
	Prepare(ctx context.Context, oc *OpContext) (State, error)
	// Apply makes the change. An error wrapping errChanged promises that
	// nothing was written (the object moved between Prepare and the
	// write, and the op noticed); any other error may leave the object
	// half-changed, and the engine puts it back with Undo.
	Apply(ctx context.Context, oc *OpContext) error
	// Verify says where the object stands now: as Before, as After, or
	// neither.
	Verify(ctx context.Context, oc *OpContext) (Is, error)
	// Undo puts the object back to was, the state Prepare returned (a
	// file's backup, a service's start type and state, settings values),
	// unless it is so already.
	Undo(ctx context.Context, oc *OpContext, was State) error
}

// Is is where Verify found an object.
type Is int

// Answers of Verify.
const (
	// IsNeither: the object is neither as the op expects it nor as it
	// makes it: someone else changed it.
	IsNeither Is = iota
	IsBefore
	IsAfter
)

// isAt says where an object read as cur stands between a change's before
// and after states (IsNeither with the read's error).
func isAt[S comparable](cur S, err error, before, after S) (Is, error) {
	switch {
	case err != nil:
		return IsNeither, err
	case cur == after:
		return IsAfter, nil
	case cur == before:
		return IsBefore, nil
	}
	return IsNeither, nil
}

// OpContext is what an Op acts through: the transport of its node, the
// settings store, the run's journal for backups, and whether to act even
// on an object that is no longer as planned.
type OpContext struct {
	// Node is the change's node ("" for the database or the deployment).
	Node string
	// Target is the node's transport; nil for Node "".
	Target   collect.Target
	Settings SettingsStore
	// Journal is the run's journal: where backups go and come from. Nil
	// when only looking (Verify before a run exists).
	Journal *Journal
	// Force acts even on an object that changed since the plan (rollback
	// --force); what is there is backed up first.
	Force bool
	open  func(ctx context.Context, node string) (collect.Target, error)
}

// Open returns the transport of another node (a copy's source), opened
// once per run.
func (oc *OpContext) Open(ctx context.Context, node string) (collect.Target, error) {
	if oc.open == nil {
		return nil, fmt.Errorf("node %s: no transports here", node)
	}
	return oc.open(ctx, node)
}

// identity is what a change changes: two changes with the same identity
// would fight, so a plan holding them is refused.
func (c *Change) identity() string {
	return strings.ToLower(c.Node) + "\x00" + string(c.Kind()) + "\x00" + c.Op.Identity()
}

// checkConflicts refuses a plan that changes one thing twice.
func checkConflicts(changes []Change) error {
	seen := map[string]*Change{}
	for i := range changes {
		c := &changes[i]
		if prev, ok := seen[c.identity()]; ok {
			return fmt.Errorf("conflicting changes to %s %s%s: %s (%s) and %s (%s)",
				c.Kind(), c.Object(), onNode(c.Node), prev.Summary, strings.Join(prev.Rules, ", "), c.Summary, strings.Join(c.Rules, ", "))
		}
		seen[c.identity()] = c
	}
	return nil
}

// onNode is " on NODE", or "" for the database.
func onNode(node string) string {
	if node == "" {
		return ""
	}
	return " on " + node
}
