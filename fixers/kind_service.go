package fixers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/facts"
)

// The service kind: a Windows service's start type and state on a node
// (the TMS services and W3SVC of a standby or a primary). Its way back is
// the start type and state it had, recorded in the journal.

// ServiceOp sets a service's start type and state.
type ServiceOp struct {
	Name          string
	Before, After ServiceState
}

// ServiceState is a service's start type and state (facts.Start*,
// facts.State*).
type ServiceState struct {
	StartType string
	State     string
}

// KindService is the journal's name of this kind: a service on a node.
const KindService Kind = "service"

var (
	_ Op          = (*ServiceOp)(nil)
	_ liveDecider = (*ServiceOp)(nil)
)

// decidesLive: starting or stopping services is what a cutover does.
func (op *ServiceOp) decidesLive() {}

// Kind is KindService.
func (op *ServiceOp) Kind() Kind { return KindService }

// Object is the service's name.
func (op *ServiceOp) Object() string { return op.Name }

// Action is set.
func (op *ServiceOp) Action() Action { return Set }

// Identity is the name as Windows compares it.
func (op *ServiceOp) Identity() string { return strings.ToLower(op.Name) }

// StateBefore is the start type and state the plan saw.
func (op *ServiceOp) StateBefore() State { return stateOfService(op.Before) }

// StateAfter is the start type and state the op sets.
func (op *ServiceOp) StateAfter() State { return stateOfService(op.After) }

// Prepare reads the service and checks it against the plan; its start
// type and state are the way back.
func (op *ServiceOp) Prepare(ctx context.Context, oc *OpContext) (State, error) {
	cur, err := serviceState(ctx, oc.Target, op.Name)
	if err != nil {
		return State{}, err
	}
	if !oc.Force && cur != op.Before {
		return State{}, fmt.Errorf("%w: it is %s/%s, the plan expected %s/%s", errChanged,
			cur.StartType, cur.State, op.Before.StartType, op.Before.State)
	}
	return stateOfService(cur), nil
}

// Apply sets the start type and brings the service to its state.
func (op *ServiceOp) Apply(ctx context.Context, oc *OpContext) error {
	return oc.Target.SetService(ctx, op.Name, op.After.StartType, op.After.State)
}

// Verify reads the service as it is now.
func (op *ServiceOp) Verify(ctx context.Context, oc *OpContext) (Is, error) {
	cur, err := serviceState(ctx, oc.Target, op.Name)
	return isAt(cur, err, op.Before, op.After)
}

// Undo sets the start type and state the service had, unless it has them
// (a failed change may have changed nothing).
func (op *ServiceOp) Undo(ctx context.Context, oc *OpContext, was State) error {
	want := ServiceState{StartType: was.StartType, State: was.State}
	if cur, err := serviceState(ctx, oc.Target, op.Name); err == nil && cur == want {
		return nil
	}
	return oc.Target.SetService(ctx, op.Name, want.StartType, want.State)
}

// serviceKind reads service records back from a journal.
type serviceKind struct{}

// validate checks a service record: a node, action set, known start types
// and states, no backup.
func (serviceKind) validate(r Record) error {
	if r.Node == "" {
		return errors.New("node: missing")
	}
	if r.Action != Set {
		return fmt.Errorf("action %q: services are set", r.Action)
	}
	if r.Before.Backup != "" {
		return errors.New("backup: only a file's before state has one")
	}
	for _, st := range []State{r.Before, r.After} {
		if !slices.Contains(serviceStartTypes, st.StartType) || !slices.Contains(serviceStates, st.State) {
			return fmt.Errorf("service state %q/%q is unknown", st.StartType, st.State)
		}
	}
	return nil
}

// inverse sets the service back to its start type and state before the
// run.
func (serviceKind) inverse(r Record, _ *Journal) (Change, error) {
	op := &ServiceOp{Name: r.Object,
		Before: ServiceState{StartType: r.After.StartType, State: r.After.State},
		After:  ServiceState{StartType: r.Before.StartType, State: r.Before.State}}
	return Change{Rules: r.Rules, Node: r.Node, Op: op,
		Summary: fmt.Sprintf("set %s back to %s/%s", r.Object, op.After.StartType, op.After.State)}, nil
}

var (
	serviceStartTypes = []string{facts.StartAutomatic, facts.StartAutomaticDelayed, facts.StartManual, facts.StartDisabled}
	serviceStates     = []string{facts.StateRunning, facts.StateStopped, facts.StateStartPending, facts.StateStopPending, facts.StatePaused}
)

// stateOfService records a ServiceState.
func stateOfService(s ServiceState) State {
	return State{StartType: s.StartType, State: s.State}
}

// serviceState reads a service's start type and state from the node.
func serviceState(ctx context.Context, t collect.Target, name string) (ServiceState, error) {
	raw, err := t.Facts(ctx)
	if err != nil {
		return ServiceState{}, fmt.Errorf("read the node's services: %w", err)
	}
	f, err := facts.ParseNode(raw)
	if err != nil {
		return ServiceState{}, fmt.Errorf("read the node's services: %w", err)
	}
	i := slices.IndexFunc(f.Services, func(s facts.Service) bool { return strings.EqualFold(s.Name, name) })
	if i < 0 {
		return ServiceState{}, fmt.Errorf("service %s is not installed", name)
	}
	return ServiceState{StartType: f.Services[i].StartType, State: f.Services[i].State}, nil
}
