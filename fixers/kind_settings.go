package fixers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tmsdrift/tmsdrift/facts"
)

// The database kind: the TMS server address settings (ipv4_local,
// ipv6_local, dns_local, dns_public) in the settings store, written as one
// unit (one transaction, one file rename) and only when they still hold
// the values the plan saw: a compare-and-set. The way back is the values
// they had, recorded in the journal (addresses, not secrets).

// SettingsOp changes the TMS server addresses in the database: Fields (of
// ipv4_local, ipv6_local, dns_local, dns_public) go from Before to After.
type SettingsOp struct {
	// Store names the settings store as plans show it (SettingsStore.Name).
	Store         string
	Fields        []string
	Before, After facts.Settings
}

// KindDatabase is the journal's name of this kind: the address settings in the database.
const KindDatabase Kind = "database"

var (
	_ Op          = (*SettingsOp)(nil)
	_ liveDecider = (*SettingsOp)(nil)
)

// decidesLive: the addresses in the database name the live server.
func (op *SettingsOp) decidesLive() {}

// Kind is KindDatabase.
func (op *SettingsOp) Kind() Kind { return KindDatabase }

// Object is the settings store's name.
func (op *SettingsOp) Object() string { return op.Store }

// Action is set.
func (op *SettingsOp) Action() Action { return Set }

// Identity: the deployment has one set of address settings.
func (op *SettingsOp) Identity() string { return "settings" }

// StateBefore is the values the plan saw.
func (op *SettingsOp) StateBefore() State { return stateOfSettings(op.Before, op.Fields) }

// StateAfter is the values the op writes.
func (op *SettingsOp) StateAfter() State { return stateOfSettings(op.After, op.Fields) }

// Prepare reads the settings (the query alone) and checks them against
// the plan. With Force the values there now are what the write must
// expect and what the journal keeps as the way back.
func (op *SettingsOp) Prepare(ctx context.Context, oc *OpContext) (State, error) {
	if oc.Settings == nil {
		return State{}, errors.New("the database cannot be changed from here")
	}
	cur, err := oc.Settings.Read(ctx)
	if err != nil {
		return State{}, fmt.Errorf("read the settings: %w", err)
	}
	if oc.Force {
		for _, name := range op.Fields {
			if p := op.Before.Field(name); p != nil {
				*p = cur.Get(name)
			}
		}
	} else if err := checkSettings(cur, op.Before, op.Fields); err != nil {
		return State{}, err
	}
	return stateOfSettings(cur, op.Fields), nil
}

// Apply writes the values as a compare-and-set; a store that finds other
// values than Before refuses with errChanged, having written nothing.
func (op *SettingsOp) Apply(ctx context.Context, oc *OpContext) error {
	return oc.Settings.Write(ctx, op)
}

// Verify reads the settings as they are now.
func (op *SettingsOp) Verify(ctx context.Context, oc *OpContext) (Is, error) {
	if oc.Settings == nil {
		return IsNeither, errors.New("the database cannot be changed from here")
	}
	cur, err := oc.Settings.Read(ctx)
	switch {
	case err != nil:
		return IsNeither, err
	case checkSettings(cur, op.After, op.Fields) == nil:
		return IsAfter, nil
	case checkSettings(cur, op.Before, op.Fields) == nil:
		return IsBefore, nil
	}
	return IsNeither, nil
}

// Undo writes the values the settings had, unless they have them (a
// failed write may have changed nothing).
func (op *SettingsOp) Undo(ctx context.Context, oc *OpContext, was State) error {
	back := op.After
	for name, v := range was.Settings {
		if p := back.Field(name); p != nil {
			*p = v
		}
	}
	cur, err := oc.Settings.Read(ctx)
	if err != nil {
		return fmt.Errorf("read the settings: %w", err)
	}
	if checkSettings(cur, back, op.Fields) == nil {
		return nil
	}
	return oc.Settings.Write(ctx, &SettingsOp{Store: op.Store, Fields: op.Fields, Before: op.After, After: back})
}

// settingsKind reads database records back from a journal.
type settingsKind struct{}

// validate checks a database record: action set, the same known address
// settings before and after, no backup.
func (settingsKind) validate(r Record) error {
	if r.Action != Set {
		return fmt.Errorf("action %q: settings are set", r.Action)
	}
	if r.Before.Backup != "" {
		return errors.New("backup: only a file's before state has one")
	}
	if len(r.Before.Settings) == 0 || len(r.Before.Settings) != len(r.After.Settings) {
		return errors.New("settings: before and after must name the same fields")
	}
	for k := range r.Before.Settings {
		if _, ok := r.After.Settings[k]; !ok || !slices.Contains(facts.SettingsKeys, k) {
			return fmt.Errorf("settings: %q is not an address setting in both", k)
		}
	}
	return nil
}

// inverse sets the values back to what they were before the run.
func (settingsKind) inverse(r Record, _ *Journal) (Change, error) {
	op := &SettingsOp{Store: r.Object}
	for _, name := range facts.SettingsKeys {
		if v, ok := r.Before.Settings[name]; ok {
			op.Fields = append(op.Fields, name)
			*op.After.Field(name) = v
			*op.Before.Field(name) = r.After.Settings[name]
		}
	}
	return Change{Rules: r.Rules, Node: r.Node, Op: op,
		Summary: "set " + strings.TrimSuffix(strings.ReplaceAll(describeSettings(op), "\n", ", "), ", ") + " in " + r.Object}, nil
}

// stateOfSettings records the values of fields.
func stateOfSettings(s facts.Settings, fields []string) State {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		m[f] = s.Get(f)
	}
	return State{Settings: m}
}
