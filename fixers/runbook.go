package fixers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/internal/jsondoc"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

// The runbook engine: it carries out a runbooks.Runbook step by step with
// the machinery of a fix. A runbook run is a run folder like a fix run's
// (manifest.json records every change with its way back, backups under
// backup/, the deployment's lock held by the caller) plus runbook.json:
// the runbook as it was planned — every step with its intended values —
// and how far the run got. runbook.json is written before the first step
// and after each one; the manifest records each change before it acts and
// after (Runner). A run that is interrupted is carried on by running the
// same command again: the caller finds the open run (FindRunbookRun), and
// RunRunbook goes on after the last completed step, planning each step
// again from what its objects are now, so what was made is not made twice.
// `tmsdrift rollback RUN` rolls a runbook run back like a fix run.

// RunbookSchema identifies runbook.json.
const RunbookSchema = "tmsdrift/runbook/v1"

// runbookFile is the name of runbook.json in a run folder.
const runbookFile = "runbook.json"

// RunbookFile is runbook.json.
type RunbookFile struct {
	Schema string `json:"schema"`
	// Inventory is the inventory file the runbook edits, absolute.
	Inventory string            `json:"inventory"`
	Runbook   *runbooks.Runbook `json:"runbook"`
	// Steps says how far the run got, one entry per step of Runbook.
	Steps []StepProgress `json:"steps"`
}

// StepStatus is how far a step got.
type StepStatus string

// Step statuses.
const (
	StepPending StepStatus = "pending"
	// StepStarted: journaled before it acted; a run that stopped here is
	// carried on from this step.
	StepStarted StepStatus = "started"
	StepDone    StepStatus = "done"
	// StepManual: left to a person (its node could not be reached).
	StepManual StepStatus = "manual"
	StepFailed StepStatus = "failed"
)

// StepProgress is one step's entry in runbook.json.
type StepProgress struct {
	ID     string     `json:"id"`
	Status StepStatus `json:"status"`
	At     *time.Time `json:"at,omitempty"`
	Error  string     `json:"error,omitempty"`
}

// finished reports whether a step needs nothing more.
func (p StepProgress) finished() bool { return p.Status == StepDone || p.Status == StepManual }

// StartRunbook creates the run folder of a runbook run (m says what the
// run is: Command, Deployment, Inventory, StartedAt) and writes
// runbook.json with every step pending, before anything is changed.
func StartRunbook(runsDir string, m RunManifest, rb *runbooks.Runbook, inventoryPath string) (*Journal, *RunbookFile, error) {
	abs, err := filepath.Abs(inventoryPath)
	if err != nil {
		return nil, nil, fmt.Errorf("inventory path: %w", err)
	}
	j, err := NewJournal(runsDir, m)
	if err != nil {
		return nil, nil, err
	}
	rf := &RunbookFile{Schema: RunbookSchema, Inventory: abs, Runbook: rb}
	for _, s := range rb.Steps {
		rf.Steps = append(rf.Steps, StepProgress{ID: s.ID, Status: StepPending})
	}
	if err := saveRunbook(j, rf); err != nil {
		j.Close()
		return nil, nil, err
	}
	return j, rf, nil
}

// OpenRunbook opens the run folder of runbook run id to carry it on.
func OpenRunbook(runsDir, id string) (*Journal, *RunbookFile, error) {
	j, err := OpenJournal(runsDir, id)
	if err != nil {
		return nil, nil, err
	}
	rf, err := readRunbook(j)
	if err != nil {
		j.Close()
		return nil, nil, err
	}
	return j, rf, nil
}

// ReadRunbook reads the runbook.json of run id (nil, nil when the run is
// not a runbook run).
func ReadRunbook(runsDir, id string) (*RunbookFile, error) {
	j, err := OpenJournal(runsDir, id)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	rf, err := readRunbook(j)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return rf, err
}

// readRunbook reads runbook.json strictly: the engine acts on what it
// says.
func readRunbook(j *Journal) (*RunbookFile, error) {
	raw, err := j.root.ReadFile(runbookFile)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", j.ID(), err)
	}
	rf, err := ParseRunbookFile(raw)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", j.ID(), err)
	}
	return rf, nil
}

// ParseRunbookFile parses runbook.json strictly — unknown keys, another
// schema, steps that do not match their progress and a relative inventory
// path are errors — since a run that is carried on acts on what it says.
func ParseRunbookFile(raw []byte) (*RunbookFile, error) {
	raw, err := jsondoc.Text(raw) // as Windows saves it, like the run manifest
	if err != nil {
		return nil, fmt.Errorf("%s: malformed: %w", runbookFile, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rf RunbookFile
	if err := dec.Decode(&rf); err != nil {
		return nil, fmt.Errorf("%s: malformed: %w", runbookFile, jsondoc.Describe(raw, err))
	}
	if err := jsondoc.DuplicateKeys(raw); err != nil {
		return nil, fmt.Errorf("%s: malformed: %w", runbookFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: malformed: more than one JSON value", runbookFile)
	}
	switch {
	case rf.Schema != RunbookSchema:
		return nil, fmt.Errorf("%s: schema %q, want %q", runbookFile, rf.Schema, RunbookSchema)
	case rf.Runbook == nil || len(rf.Steps) != len(rf.Runbook.Steps):
		return nil, fmt.Errorf("%s: the steps and their progress do not match", runbookFile)
	case !filepath.IsAbs(rf.Inventory):
		return nil, fmt.Errorf("%s: inventory %q is not an absolute path", runbookFile, rf.Inventory)
	}
	for i, s := range rf.Runbook.Steps {
		if rf.Steps[i].ID != s.ID {
			return nil, fmt.Errorf("%s: step %d is %q in the runbook and %q in its progress", runbookFile, i+1, s.ID, rf.Steps[i].ID)
		}
	}
	return &rf, nil
}

// saveRunbook writes runbook.json atomically.
func saveRunbook(j *Journal, rf *RunbookFile) error {
	data, err := json.MarshalIndent(rf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", runbookFile, err)
	}
	if err := writeFileAtomic(filepath.Join(j.Dir(), runbookFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save %s: %w", runbookFile, err)
	}
	return nil
}

// FindRunbookRun returns the newest open run (never finished, not rolled
// back, not carried on) of a runbook command with these arguments, or "".
func FindRunbookRun(runsDir, command string, args []string) (string, error) {
	open, err := Unfinished(runsDir)
	if err != nil {
		return "", err
	}
	for _, m := range open {
		if m.Command != command {
			continue
		}
		rf, err := ReadRunbook(runsDir, m.ID)
		if err != nil {
			return "", err
		}
		if rf != nil && slices.EqualFunc(rf.Runbook.Args, args, strings.EqualFold) {
			return m.ID, nil
		}
	}
	return "", nil
}

// LastRunbook returns the runbook of the newest finished run of command
// that was not rolled back (upgrade finish reads the versions upgrade
// prepare recorded; return-to-primary the roles activate-offsite changed),
// or nil.
func LastRunbook(runsDir, command string) (*runbooks.Runbook, error) {
	runs, err := ListRuns(runsDir)
	if err != nil {
		return nil, err
	}
	for _, m := range runs {
		if m.Command != command || !m.Finished() || m.RolledBackBy != "" {
			continue
		}
		rf, err := ReadRunbook(runsDir, m.ID)
		if err != nil {
			return nil, err
		}
		if rf != nil {
			return rf.Runbook, nil
		}
	}
	return nil, nil
}

// FirstRunbookSince returns the runbook of the oldest finished run of
// command, not rolled back, that is newer than the newest finished run of
// since (not rolled back either); nil when there is none. upgrade finish
// reads the versions before the upgrade from the first upgrade prepare
// since the last upgrade finish: a prepare run again half-way, after the
// first installer, records versions already upgraded.
func FirstRunbookSince(runsDir, command, since string) (*runbooks.Runbook, error) {
	runs, err := ListRuns(runsDir)
	if err != nil {
		return nil, err
	}
	first := ""
	for _, m := range runs { // newest first
		if !m.Finished() || m.RolledBackBy != "" {
			continue
		}
		if m.Command == since {
			break
		}
		if m.Command == command {
			first = m.ID
		}
	}
	if first == "" {
		return nil, nil
	}
	rf, err := ReadRunbook(runsDir, first)
	if err != nil || rf == nil {
		return nil, err
	}
	return rf.Runbook, nil
}

// RunbookEnv is what running a runbook needs.
type RunbookEnv struct {
	// Env: the inventory as loaded, the transports, the live database's
	// settings store, the run's journal.
	Env
	// Reload loads the inventory again after the inventory step and
	// returns it with its settings store: the steps after it act on the
	// deployment as the inventory now describes it (activate-offsite
	// writes the addresses to the database that is live after the
	// switch).
	Reload func(ctx context.Context) (*inventory.Inventory, SettingsStore, error)
	// Fix plans, from a fresh audit, the changes that repair rules (the
	// post-upgrade step of upgrade finish).
	Fix func(ctx context.Context, rules []string) ([]Change, error)
	// AfterStep is called once a step is journaled finished (nil: not).
	AfterStep func(i int, id string)
	// Progress gets one line per step as it runs (nil: none).
	Progress io.Writer
}

// StepOutcome is what a run did with one step.
type StepOutcome struct {
	ID     string        `json:"id"`
	Title  string        `json:"title"`
	Status StepStatus    `json:"status"`
	Error  string        `json:"error,omitempty"`
	Manual string        `json:"manual,omitempty"`
	Nodes  []NodeOutcome `json:"nodes,omitempty"`
	// Already says the step found its objects as intended and changed
	// nothing; Earlier that an earlier attempt of this run (interrupted,
	// now carried on) finished it.
	Already bool `json:"already,omitempty"`
	Earlier bool `json:"earlier,omitempty"`
}

// RunbookOutcome is what a runbook run did.
type RunbookOutcome struct {
	Run    string        `json:"run"`
	RunDir string        `json:"run_dir"`
	Steps  []StepOutcome `json:"steps"`
	// Complete: every step is done (or left to a person). Otherwise the
	// run stopped at a failed step and stays open, to be carried on or
	// rolled back.
	Complete bool `json:"complete"`
}

// RunRunbook carries out the steps of rf that are not finished, in order,
// and journals each before and after it acts. A step plans its changes
// from what its objects are when it runs (a step whose objects hold the
// intended values already changes nothing), applies them node by node, all
// or nothing per node, and checks each changed object afterwards. The run
// stops at the first step that fails, leaving the run open: run the same
// command again to carry on, or roll it back. When every step is finished
// the run is marked finished. RunRunbook returns an error only when the
// journal cannot be written; the outcome says what happened either way.
func RunRunbook(ctx context.Context, j *Journal, rf *RunbookFile, env RunbookEnv) (*RunbookOutcome, error) {
	env.Journal = j
	out := &RunbookOutcome{Run: j.ID(), RunDir: j.Dir()}
	r := NewRunner(env.Env)
	defer func() { r.Close() }()
	switched := false // the inventory step is done: the store is the new live one
	for i := range rf.Runbook.Steps {
		if rf.Runbook.Steps[i].Target == runbooks.OnInventory && rf.Steps[i].finished() {
			switched = true
		}
	}
	if switched && env.Reload != nil {
		inv, store, err := env.Reload(ctx)
		if err != nil {
			return out, fmt.Errorf("reload the inventory: %w", err)
		}
		env.Inventory, env.Settings = inv, store
		r.Close()
		r = NewRunner(env.Env)
	}
	for i := range rf.Runbook.Steps {
		st := &rf.Runbook.Steps[i]
		prog := &rf.Steps[i]
		so := StepOutcome{ID: st.ID, Title: st.Title, Manual: st.Manual}
		if prog.finished() {
			so.Status, so.Earlier = prog.Status, true
			out.Steps = append(out.Steps, so)
			continue
		}
		now := time.Now().UTC()
		prog.Status, prog.At, prog.Error = StepStarted, &now, ""
		if err := saveRunbook(j, rf); err != nil {
			return out, err
		}
		progress(env.Progress, "step %d/%d: %s", i+1, len(rf.Runbook.Steps), st.Title)
		switch {
		case st.Manual != "":
			so.Status = StepManual
		case st.Target == runbooks.OnAudit:
			so.Status = StepDone // the caller audits once the run is over
		default:
			nodes, already, err := runStep(ctx, r, st, env, switched)
			so.Nodes, so.Already = nodes, already
			so.Status = StepDone
			if err != nil {
				so.Status, so.Error = StepFailed, err.Error()
			}
		}
		now = time.Now().UTC()
		prog.Status, prog.At, prog.Error = so.Status, &now, so.Error
		if err := saveRunbook(j, rf); err != nil {
			return out, err
		}
		out.Steps = append(out.Steps, so)
		if so.Status == StepFailed {
			progress(env.Progress, "step %d failed: %s", i+1, so.Error)
			return out, nil
		}
		if st.Target == runbooks.OnInventory && env.Reload != nil {
			inv, store, err := env.Reload(ctx)
			if err != nil {
				return out, fmt.Errorf("reload the inventory: %w", err)
			}
			env.Inventory, env.Settings = inv, store
			r.Close()
			r = NewRunner(env.Env)
			switched = true
		}
		if env.AfterStep != nil {
			env.AfterStep(i, st.ID)
		}
	}
	out.Complete = true
	if err := j.finish(time.Now()); err != nil {
		return out, err
	}
	return out, nil
}

// progress writes one line of progress.
func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "tmsdrift: "+format+"\n", args...)
	}
}

// runStep plans one step's changes from the objects as they are now,
// applies them node by node, and checks each changed object afterwards.
func runStep(ctx context.Context, r *Runner, st *runbooks.Step, env RunbookEnv, switched bool) ([]NodeOutcome, bool, error) {
	changes, err := planStep(ctx, r, st, env, switched)
	if err != nil {
		return nil, false, err
	}
	if len(changes) == 0 {
		return nil, true, nil
	}
	for i := range changes {
		changes[i].Step = st.ID
	}
	if err := checkConflicts(changes); err != nil {
		return nil, false, err
	}
	groupByNode(changes)
	var nodes []NodeOutcome
	for start := 0; start < len(changes); {
		end := start + 1
		for end < len(changes) && strings.EqualFold(changes[end].Node, changes[start].Node) {
			end++
		}
		no := applyNode(ctx, r, changes[start].Node, changes[start:end])
		nodes = append(nodes, no)
		if no.Status != Fixed {
			label := no.Node
			if label == "" {
				label = "the database and the inventory"
			}
			return nodes, false, fmt.Errorf("%s %s: %s", label, no.Status, no.Error)
		}
		start = end
	}
	for i := range changes {
		c := &changes[i]
		is, err := r.Check(ctx, c)
		if err != nil {
			return nodes, false, fmt.Errorf("check %s%s afterwards: %w", c.Object(), onNode(c.Node), err)
		}
		if is != IsAfter {
			return nodes, false, fmt.Errorf("%s%s is not as the step made it when checked afterwards", c.Object(), onNode(c.Node))
		}
	}
	return nodes, false, nil
}

// planStep turns a step into changes from its objects as they are now:
// services, the address settings, the inventory, or a fix of rules.
func planStep(ctx context.Context, r *Runner, st *runbooks.Step, env RunbookEnv, switched bool) ([]Change, error) {
	switch st.Target {
	case runbooks.OnNode:
		return planServicesStep(ctx, r, st)
	case runbooks.OnDatabase:
		if st.Settings == nil {
			return nil, nil
		}
		if st.Settings.Store == runbooks.OffsiteStore && !switched {
			return nil, errors.New("the other database is written once the inventory names it live: the inventory step must come first")
		}
		return planSettingsStep(ctx, r, st)
	case runbooks.OnInventory:
		return planInventoryStep(env, st)
	case runbooks.OnFix:
		if env.Fix == nil {
			return nil, errors.New("no fixer wired in for this step")
		}
		return env.Fix(ctx, st.Rules)
	}
	return nil, nil
}

// planServicesStep sets each service of the step to its intended start
// type and state, in the step's order, from what it is now.
func planServicesStep(ctx context.Context, r *Runner, st *runbooks.Step) ([]Change, error) {
	if len(st.Services) == 0 {
		return nil, nil
	}
	t, err := r.target(ctx, st.Node)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, s := range st.Services {
		cur, err := serviceState(ctx, t, s.Name)
		if err != nil {
			return nil, err
		}
		to := ServiceState{StartType: s.To.StartType, State: s.To.State}
		if cur == to {
			continue
		}
		out = append(out, Change{Node: st.Node, Op: &ServiceOp{Name: s.Name, Before: cur, After: to},
			Summary: fmt.Sprintf("set %s %s/%s -> %s/%s", s.Name, cur.StartType, cur.State, to.StartType, to.State)})
	}
	return out, nil
}

// planSettingsStep sets the step's address settings in the run's settings
// store from what they are now.
func planSettingsStep(ctx context.Context, r *Runner, st *runbooks.Step) ([]Change, error) {
	store := r.env.Settings
	if store == nil {
		return nil, errors.New("the database cannot be changed from here")
	}
	cur, err := store.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the settings: %w", err)
	}
	op := &SettingsOp{Store: store.Name(), Before: cur, After: cur}
	for _, name := range st.Settings.Fields {
		want := st.Settings.After.Get(name)
		if cur.Get(name) == want {
			continue
		}
		// Whatever built the runbook, no impossible address reaches the
		// database (issue 8, item 8): the same judgement as the
		// addresses fixer's.
		if err := checkAddressValue(name, want); err != nil {
			return nil, fmt.Errorf("refusing to set %s in %s: %w", name, store.Name(), err)
		}
		op.Fields = append(op.Fields, name)
		*op.After.Field(name) = want
	}
	if len(op.Fields) == 0 {
		return nil, nil
	}
	detail, err := store.Describe(ctx, op)
	if err != nil {
		return nil, err
	}
	return []Change{{Op: op, Summary: "set " + strings.Join(op.Fields, ", ") + " in " + store.Name(), Detail: detail}}, nil
}

// planInventoryStep edits the inventory file in place (inventory.Edit: only
// the changed values' bytes change, and the result must load with them).
// A value that is neither what the plan saw nor what it intends was
// changed by someone since the plan: refused.
func planInventoryStep(env RunbookEnv, st *runbooks.Step) ([]Change, error) {
	path := env.Inventory.File
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the inventory: %w", err)
	}
	opts := inventory.Options{KnownRules: checks.IDs()}
	cur, err := inventory.LoadBytes(path, raw, opts)
	if err != nil {
		return nil, fmt.Errorf("the inventory as it is now: %w", err)
	}
	for _, c := range st.Inventory {
		v, err := cur.FieldText(c.Field)
		if err != nil {
			return nil, err
		}
		to := c.To
		if c.Delete {
			to = ""
		}
		if v != c.From && v != to {
			return nil, fmt.Errorf("%w: the inventory's %s is %q, the plan expected %q", errChanged, c.Field, v, c.From)
		}
	}
	out, _, err := inventory.Edit(path, raw, runbooks.Changes(st.Inventory), opts)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(out, raw) {
		return nil, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	var fields []string
	for _, c := range st.Inventory {
		fields = append(fields, c.Field)
	}
	return []Change{NewInventoryChange(st.ID, abs, raw, out, "rewrite "+strings.Join(fields, ", "))}, nil
}

// RunSummary is one run for a listing: what it was, and where it stands.
type RunSummary struct {
	ID string `json:"id"`
	// What is the command and, for a runbook run, its arguments
	// ("promote tms02"); a rollback names the run it undid.
	What      string    `json:"what"`
	StartedAt time.Time `json:"started_at"`
	// State is finished, never finished, rolled back by RUN, or carried
	// on by RUN.
	State string `json:"state"`
	// Runbook says the run is a runbook run (carried on by running What
	// again with --apply).
	Runbook bool `json:"runbook,omitempty"`
}

// Summaries lists the runs under runsDir, newest first, as `tmsdrift
// rollback` without a run shows them.
func Summaries(runsDir string) ([]RunSummary, error) {
	runs, err := ListRuns(runsDir)
	if err != nil {
		return nil, err
	}
	out := make([]RunSummary, 0, len(runs))
	for _, m := range runs {
		s := RunSummary{ID: m.ID, What: m.Command, StartedAt: m.StartedAt, State: "finished"}
		if m.RollbackOf != "" {
			s.What += " of " + m.RollbackOf
		}
		rf, err := ReadRunbook(runsDir, m.ID)
		if err != nil {
			return nil, err
		}
		if rf != nil {
			s.Runbook = true
			s.What = strings.Join(append([]string{m.Command}, rf.Runbook.Args...), " ")
		}
		switch {
		case m.RolledBackBy != "":
			s.State = "rolled back by " + m.RolledBackBy
		case m.ResumedBy != "":
			s.State = "carried on by " + m.ResumedBy
		case !m.Finished():
			s.State = "never finished"
		}
		out = append(out, s)
	}
	return out, nil
}
