package fixers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/facts"
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
	a := &applier{env: env, targets: map[string]collect.Target{}}
	defer a.close()
	out := &Outcome{Run: env.Journal.ID(), RunDir: env.Journal.Dir()}
	for start := 0; start < len(plan.Changes); {
		end := start + 1
		for end < len(plan.Changes) && strings.EqualFold(plan.Changes[end].Node, plan.Changes[start].Node) {
			end++
		}
		out.Nodes = append(out.Nodes, a.node(ctx, plan.Changes[start].Node, plan.Changes[start:end]))
		start = end
	}
	if err := env.Journal.finish(time.Now()); err != nil {
		return out, err
	}
	return out, nil
}

// applier holds the transports opened during a run.
type applier struct {
	env     Env
	targets map[string]collect.Target
}

// close closes the transports opened so far; it may be called again.
func (a *applier) close() {
	for k, t := range a.targets {
		t.Close()
		delete(a.targets, k)
	}
}

// target opens a node's transport once per run.
func (a *applier) target(ctx context.Context, node string) (collect.Target, error) {
	key := strings.ToLower(node)
	if t, ok := a.targets[key]; ok {
		return t, nil
	}
	spec := a.env.Inventory.NodeByName(node)
	if spec == nil {
		return nil, fmt.Errorf("node %s is not in the inventory", node)
	}
	t, err := openTarget(ctx, a.env.Open, a.env.Inventory, spec)
	if err != nil {
		return nil, err
	}
	a.targets[key] = t
	return t, nil
}

// node applies one node's changes all or nothing.
func (a *applier) node(ctx context.Context, node string, changes []Change) (out NodeOutcome) {
	j := a.env.Journal
	out = NodeOutcome{Node: node, Status: Unchanged}
	recs := make([]int, len(changes))
	for i, c := range changes {
		recs[i] = j.add(Record{Node: node, Kind: c.Kind, Object: c.Object, Action: c.Action, Rules: c.Rules,
			Status: NotAttempted, Before: expectedBefore(&c), After: afterState(&c)})
	}
	defer func() {
		for i, c := range changes {
			r := j.record(recs[i])
			out.Changes = append(out.Changes, ChangeOutcome{Kind: c.Kind, Object: c.Object, Action: c.Action,
				Rules: c.Rules, Summary: c.Summary, Status: r.Status, Error: r.Error})
		}
		if err := j.save(); err != nil && out.Error == "" {
			out.Error = err.Error()
		}
	}()
	refuse := func(i int, err error) NodeOutcome {
		out.Error = fmt.Sprintf("%s: %v; nothing was changed", changes[i].Object, err)
		j.update(recs[i], func(r *Record) { r.Error = err.Error() })
		for _, k := range recs {
			j.update(k, func(r *Record) { r.Status = NotAttempted })
		}
		return out
	}
	if err := ctx.Err(); err != nil {
		return refuse(0, fmt.Errorf("interrupted: %w", err))
	}

	var t collect.Target
	if node != "" {
		var err error
		if t, err = a.target(ctx, node); err != nil {
			return refuse(0, err)
		}
	} else if a.env.Settings == nil {
		return refuse(0, errors.New("the database cannot be changed from here"))
	}

	// 1. Check every change against the plan and back it up, before any
	// write.
	for i := range changes {
		before, err := a.prepare(ctx, t, &changes[i])
		if err != nil {
			return refuse(i, err)
		}
		j.update(recs[i], func(r *Record) { r.Before, r.Status = before, Pending })
	}
	if err := j.save(); err != nil {
		return refuse(0, err)
	}

	// 2. Apply; on a failure, put back what was applied.
	for i := range changes {
		made := false
		err := a.do(ctx, t, &changes[i])
		if err == nil {
			// Journaled after each change, so that a run killed in the
			// middle says what it made.
			j.update(recs[i], func(r *Record) { r.Status = Applied })
			if err = j.save(); err == nil {
				continue
			}
			// Made, but the journal does not say so: put it back with
			// the others rather than leave a change nobody can find.
			made = true
			err = fmt.Errorf("made, but the run's journal could not record it: %w", err)
		}
		if i == 0 && !made && changes[i].Kind == KindDatabase && errors.Is(err, errChanged) {
			// The settings store compares as it writes (the live
			// database inside its transaction, db.json before the
			// rename) and refused: nothing was written, so the database
			// is unchanged, and putting "back" would overwrite the value
			// someone else just set.
			return refuse(i, err)
		}
		if made {
			j.update(recs[i], func(r *Record) { r.Error = err.Error() })
		} else {
			j.update(recs[i], func(r *Record) { r.Status, r.Error = Failed, err.Error() })
		}
		out.Status = Reverted
		out.Error = fmt.Sprintf("%s: %v", changes[i].Object, err)
		// Put back even when the run was interrupted: a half-fixed node is
		// worse than a slow exit.
		undoCtx := context.WithoutCancel(ctx)
		undo := recs[:i]
		if changes[i].Kind != KindFile || made {
			// A file write is atomic (the transport promises it); a
			// service or the database may have been changed half-way.
			undo = recs[:i+1]
		}
		for k := len(undo) - 1; k >= 0; k-- {
			if uerr := a.undo(undoCtx, t, &changes[k], j.record(recs[k])); uerr != nil {
				out.Status = Partial
				j.update(recs[k], func(r *Record) { r.Status, r.Error = NotRestored, uerr.Error() })
				out.Error += fmt.Sprintf("; %s not put back: %v", changes[k].Object, uerr)
			} else if k < i || made {
				j.update(recs[k], func(r *Record) { r.Status = Restored })
			}
		}
		switch {
		case out.Status == Reverted && (i > 0 || made):
			out.Error += "; the node's changes were put back: it is as it was"
		case out.Status == Reverted:
			out.Error += "; nothing was changed"
		}
		return out
	}
	out.Status = Fixed
	return out
}

// expectedBefore records what the plan expected an object to be.
func expectedBefore(c *Change) State {
	switch c.Kind {
	case KindFile:
		return stateOfFile(c.File.Before, "")
	case KindService:
		return State{StartType: c.Service.Before.StartType, State: c.Service.Before.State}
	case KindDatabase:
		return stateOfSettings(c.Settings.Before, c.Settings.Fields)
	}
	return State{}
}

// afterState records what a change makes of its object.
func afterState(c *Change) State {
	switch c.Kind {
	case KindFile:
		return stateOfFile(c.File.After, "")
	case KindService:
		return State{StartType: c.Service.After.StartType, State: c.Service.After.State}
	case KindDatabase:
		return stateOfSettings(c.Settings.After, c.Settings.Fields)
	}
	return State{}
}

// prepare checks that c's object is what the plan expected (unless Force)
// and backs it up; it returns the object's state as it was.
func (a *applier) prepare(ctx context.Context, t collect.Target, c *Change) (State, error) {
	switch c.Kind {
	case KindFile:
		op := c.File
		var cur FileState
		backup := ""
		r, err := t.OpenFile(ctx, op.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return State{}, fmt.Errorf("read: %w", err)
		default:
			backup, cur, err = a.env.Journal.backup(c.Node, op.Path, r)
			if cerr := r.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("read: %w", cerr)
			}
			if err != nil {
				return State{}, err
			}
		}
		if !a.env.Force && cur != op.Before {
			return State{}, fmt.Errorf("%w: it is %s, the plan expected %s", errChanged, describeState(cur), describeState(op.Before))
		}
		return stateOfFile(cur, backup), nil
	case KindService:
		cur, err := serviceState(ctx, t, c.Service.Name)
		if err != nil {
			return State{}, err
		}
		if !a.env.Force && cur != c.Service.Before {
			return State{}, fmt.Errorf("%w: it is %s/%s, the plan expected %s/%s", errChanged,
				cur.StartType, cur.State, c.Service.Before.StartType, c.Service.Before.State)
		}
		return State{StartType: cur.StartType, State: cur.State}, nil
	case KindDatabase:
		cur, err := a.env.Settings.Read(ctx)
		if err != nil {
			return State{}, fmt.Errorf("read the settings: %w", err)
		}
		if a.env.Force {
			// rollback --force overwrites what is there now: the store's
			// compare-and-set must expect it, and it is what the journal
			// keeps as the backup.
			for _, name := range c.Settings.Fields {
				if p := field(&c.Settings.Before, name); p != nil {
					*p = getField(cur, name)
				}
			}
		} else if err := checkSettings(cur, c.Settings.Before, c.Settings.Fields); err != nil {
			return State{}, err
		}
		return stateOfSettings(cur, c.Settings.Fields), nil
	}
	return State{}, fmt.Errorf("unknown kind %q", c.Kind)
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

// do applies one change.
func (a *applier) do(ctx context.Context, t collect.Target, c *Change) error {
	switch c.Kind {
	case KindFile:
		op := c.File
		if !op.After.Exists {
			return t.RemoveFile(ctx, op.Path)
		}
		r, err := a.content(ctx, op)
		if err != nil {
			return err
		}
		defer r.Close()
		return t.WriteFile(ctx, op.Path, newVerifier(r, op.After))
	case KindService:
		return t.SetService(ctx, c.Service.Name, c.Service.After.StartType, c.Service.After.State)
	case KindDatabase:
		return a.env.Settings.Write(ctx, c.Settings)
	}
	return fmt.Errorf("unknown kind %q", c.Kind)
}

// undo puts one applied change back, from its record.
func (a *applier) undo(ctx context.Context, t collect.Target, c *Change, rec Record) error {
	switch c.Kind {
	case KindFile:
		before := rec.Before.fileState()
		if !before.Exists {
			return t.RemoveFile(ctx, c.File.Path)
		}
		r, err := a.env.Journal.openBackup(rec.Before.Backup)
		if err != nil {
			return err
		}
		defer r.Close()
		return t.WriteFile(ctx, c.File.Path, newVerifier(r, before))
	case KindService:
		// A failed change may have changed nothing: then there is nothing
		// to put back.
		want := ServiceState{StartType: rec.Before.StartType, State: rec.Before.State}
		if cur, err := serviceState(ctx, t, c.Service.Name); err == nil && cur == want {
			return nil
		}
		return t.SetService(ctx, c.Service.Name, want.StartType, want.State)
	case KindDatabase:
		back := c.Settings.After
		for name, v := range rec.Before.Settings {
			if p := field(&back, name); p != nil {
				*p = v
			}
		}
		cur, err := a.env.Settings.Read(ctx)
		if err != nil {
			return fmt.Errorf("read the settings: %w", err)
		}
		if checkSettings(cur, back, c.Settings.Fields) == nil {
			return nil // the failed write changed nothing
		}
		return a.env.Settings.Write(ctx, &SettingsOp{Fields: c.Settings.Fields, Before: c.Settings.After, After: back})
	}
	return fmt.Errorf("unknown kind %q", c.Kind)
}

// content opens the new bytes of a file change.
func (a *applier) content(ctx context.Context, op *FileOp) (io.ReadCloser, error) {
	switch {
	case op.Data != nil:
		return io.NopCloser(bytes.NewReader(op.Data)), nil
	case op.From != nil:
		src, err := a.target(ctx, op.From.Node)
		if err != nil {
			return nil, err
		}
		r, err := src.OpenFile(ctx, op.From.Path)
		if err != nil {
			return nil, fmt.Errorf("read %s on %s: %w", op.From.Path, op.From.Node, err)
		}
		return r, nil
	case op.backup != nil:
		return op.backup.journal.openBackup(op.backup.rel)
	}
	return nil, errors.New("the change has no content")
}

// verifier passes content through while hashing it, and fails the read
// at the end when the content is not what the plan expected: the write
// then fails and the transport keeps the original file.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	want FileState
}

func newVerifier(r io.Reader, want FileState) *verifier {
	return &verifier{r: r, h: sha256.New(), want: want}
}

// Read passes bytes through and checks the whole at the end.
func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.want.Size {
		return n, fmt.Errorf("%w: the content is longer than the %d bytes planned", errChanged, v.want.Size)
	}
	if errors.Is(err, io.EOF) {
		if sum := hex.EncodeToString(v.h.Sum(nil)); v.n != v.want.Size || sum != v.want.SHA256 {
			return n, fmt.Errorf("%w: the content is %d bytes sha256:%s, the plan expected %s", errChanged, v.n, sum[:12], describeState(v.want))
		}
	}
	return n, err
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
