// Package pipeline runs tmsdrift's two cycles end to end, the same way for
// every caller: the audit (inventory → collect → checks → report) and the
// fix (lock, audit, plan, apply into a run folder, audit again, verify).
// The command line (`audit`, `fix`, `post-upgrade`) and the service
// (`serve`) both call it, so a scheduled run and a run by hand cannot
// drift apart. It writes nothing to a terminal: callers render.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/manifest"
	"github.com/tmsdrift/tmsdrift/report"
)

// PostUpgradeRules are what a TMS upgrade breaks (checks.UpgradeRules):
// `post-upgrade` and the service's upgrade watch fix exactly these.
var PostUpgradeRules = checks.UpgradeRules()

// AuditOptions tune one audit.
type AuditOptions struct {
	// Now gives the time; nil means time.Now. The service passes its
	// scheduler's clock so a test's fake clock names the runs.
	Now func() time.Time
	// Parallel bounds the nodes gathered at once (0: collect's default).
	Parallel int
	// Hasher hashes customer files (nil: a fresh one without a cache).
	Hasher *manifest.Hasher
	// Open opens node transports (nil: transports.Open, every built-in
	// transport); tests wrap it to hold a write half-way.
	Open collect.Opener
}

func (o AuditOptions) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func (o AuditOptions) open() collect.Opener {
	if o.Open == nil {
		return transports.Open
	}
	return o.Open
}

// Audit is one audit's outcome: the facts, the results and the report.
type Audit struct {
	Deployment *facts.Deployment
	Results    []checks.Result
	Report     *report.Report
}

// RunAudit gathers every node and the database of inv, evaluates the
// catalogue and builds the report. It fails only when ctx ends: a node or
// a database that cannot be read gives `error` results.
func RunAudit(ctx context.Context, inv *inventory.Inventory, opts AuditOptions) (*Audit, error) {
	started := opts.now()
	d, err := collect.Gather(ctx, inv, collect.Options{Now: started, Parallel: opts.Parallel, Hasher: opts.Hasher,
		Open: opts.open(), LiveDB: sqlserver.Gather})
	if err != nil {
		return nil, err
	}
	results := checks.Evaluate(d)
	rep := report.New(inv.Deployment, string(inv.Model), started, opts.now(), results)
	return &Audit{Deployment: d, Results: results, Report: rep}, nil
}

// FixOptions say what a fix cycle may change and where it records it.
type FixOptions struct {
	AuditOptions
	// Command names the run in its manifest and the lock ("fix",
	// "post-upgrade", "serve").
	Command string
	// Only, Nodes and Prune narrow the plan as fixers.Options do.
	Only  []string
	Nodes []string
	Prune bool
	// Force plans service and address changes even when the facts say
	// another node than the inventory's primary is live; without it such a
	// plan is a *fixers.NotLiveError (nothing changed).
	Force bool
	// Resume carries on the fix and post-upgrade runs that never finished
	// (killed, the machine stopped); without it Apply refuses them with an
	// *UnfinishedError.
	Resume bool
	// Apply makes the changes; false only plans.
	Apply bool
	// Runs is the folder of run folders and the lock ("" : .tmsdrift/runs
	// beside the inventory).
	Runs string
	// Wait is how long to wait for another fixer's lock (0: fail at once
	// with a *fixers.LockedError).
	Wait time.Duration
	// Holder describes this process in the lock file.
	Holder fixers.Holder
	// ApplyHint is the command line that applies the plan, shown with it.
	ApplyHint string
}

// Fix is one fix cycle's outcome.
type Fix struct {
	// Document is the plan and, when applied, what happened and how the
	// fixed rules stand afterwards.
	Document *fixers.Document
	// Report is the audit after the fix when something was applied, else
	// the audit the plan rests on.
	Report *report.Report
	// Warnings are problems that did not stop the cycle: a node the apply
	// failed on (the others were fixed; the report shows what is left), a
	// lock that could not be released.
	Warnings []error
	// Unfinished are the runs that never finished, found before planning:
	// the plan starts from what they left.
	Unfinished []fixers.RunManifest
}

// UnfinishedError refuses to apply while earlier runs never finished: a
// node may be half-fixed. Nothing was changed.
type UnfinishedError struct {
	Runs []fixers.RunManifest
	// Rollback is true when one of them is a rollback: that one must be
	// finished or undone first, --resume or not.
	Rollback bool
	// Runbook is true when one of them is a runbook run (carried on by
	// running its command again, not by fix --resume), or when a runbook
	// is what was refused.
	Runbook bool
}

func (e *UnfinishedError) Error() string {
	switch {
	case e.Rollback:
		return "a rollback never finished: finish or undo it first; nothing was changed"
	case e.Runbook:
		return "an earlier run never finished: carry it on (run its command again) or roll it back first; nothing was changed"
	}
	return "an earlier run never finished: roll it back, or carry it on with --resume; nothing was changed"
}

// lockRuns takes the deployment's lock in runs; release gives it back and
// returns what went wrong doing so, as warnings (the run itself is done).
// A run that never called lock.Starting changed nothing (refused, nothing
// to do): release then also takes back what taking the lock created, so a
// refusal leaves no trace (fixers.Lock.Release).
func lockRuns(ctx context.Context, runs string, wait time.Duration, holder fixers.Holder) (lock *fixers.Lock, release func() []error, err error) {
	lock, err = fixers.AcquireLock(ctx, runs, wait, holder)
	if err != nil {
		return nil, nil, err
	}
	return lock, func() []error {
		if err := lock.Release(); err != nil {
			return []error{err}
		}
		return nil
	}, nil
}

// started records in the lock file the run a holder now writes (for the
// message another fixer gets); what goes wrong is a warning.
func started(lock *fixers.Lock, run string, warnings *[]error) {
	if err := lock.Running(run); err != nil {
		*warnings = append(*warnings, err)
	}
}

// RunFix is `fix` and `post-upgrade`: audit, plan and, with Apply, take
// the deployment's lock, apply into a run folder, audit again and verify.
// A lock held by another fixer is a *fixers.LockedError (nothing changed).
func RunFix(ctx context.Context, inv *inventory.Inventory, opts FixOptions) (out *Fix, err error) {
	out = &Fix{}
	runs := RunsDir(inv, opts.Runs)
	// Changing the deployment: take the lock before looking at it, so the
	// plan rests on facts no other fixer is changing.
	var lock *fixers.Lock
	if opts.Apply {
		var release func() []error
		lock, release, err = lockRuns(ctx, runs, opts.Wait, opts.Holder)
		if err != nil {
			return nil, err
		}
		defer func() {
			switch w := release(); {
			case len(w) == 0:
			case out == nil: // a failed run returns no result to warn in
				err = errors.Join(append([]error{err}, w...)...)
			default:
				out.Warnings = append(out.Warnings, w...)
			}
		}()
	}

	// A run that never finished may have left a node half-fixed: the
	// caller says so; applying waits for the operator's choice.
	resumes, err := unfinished(runs, opts, out)
	if err != nil {
		return out, err
	}

	audit, err := RunAudit(ctx, inv, opts.AuditOptions)
	if err != nil {
		return nil, err
	}
	store := SettingsStore(inv)
	plan, err := fixers.Build(ctx, audit.Deployment, audit.Results, fixers.Options{
		Only: opts.Only, Nodes: opts.Nodes, Prune: opts.Prune, Force: opts.Force, Open: opts.open(), Settings: store,
	})
	if err != nil {
		return nil, err
	}
	out.Document = &fixers.Document{Command: opts.Command, Deployment: inv.Deployment, Model: string(inv.Model),
		Plan: plan, ApplyHint: opts.ApplyHint}
	out.Report = audit.Report
	// A resume writes its run even with nothing left to do: it records
	// that the unfinished runs were carried on.
	if !opts.Apply || (plan.Empty() && len(resumes) == 0) {
		return out, nil
	}

	lock.Starting()
	j, err := fixers.NewJournal(runs, fixers.RunManifest{Command: opts.Command, Deployment: inv.Deployment,
		Inventory: inv.File, StartedAt: audit.Report.StartedAt, Resumes: resumes})
	if err != nil {
		return nil, err
	}
	started(lock, j.ID(), &out.Warnings)
	defer func() {
		if cerr := j.Close(); cerr != nil {
			out.Warnings = append(out.Warnings, fmt.Errorf("close run folder: %w", cerr))
		}
	}()
	if err := fixers.MarkResumed(runs, resumes, j.ID()); err != nil {
		return nil, err
	}
	outcome, applyErr := fixers.Apply(ctx, plan, fixers.Env{Inventory: inv, Open: opts.open(), Settings: store, Journal: j})
	out.Document.Applied, out.Document.Outcome = true, outcome
	after, err := RunAudit(ctx, inv, opts.AuditOptions)
	if err != nil {
		return nil, errors.Join(err, applyErr)
	}
	out.Document.Verdicts = fixers.Verify(plan, after.Results)
	out.Report = after.Report
	if applyErr != nil {
		out.Warnings = append(out.Warnings, applyErr)
	}
	return out, nil
}

// unfinished finds the runs that never finished and decides: a plan goes
// on, Apply refuses (*UnfinishedError) unless Resume, which carries on the
// unfinished fix and post-upgrade runs: their IDs are returned for the new
// run to record. An unfinished rollback is carried on by running that
// rollback again.
func unfinished(runs string, opts FixOptions, out *Fix) ([]string, error) {
	open, err := fixers.Unfinished(runs)
	if err != nil {
		return nil, err
	}
	out.Unfinished = open
	if len(open) == 0 || !opts.Apply {
		return nil, nil
	}
	var resumable []string
	rollback, runbook := false, false
	for _, m := range open {
		if m.Command == "rollback" {
			rollback = true
			continue
		}
		if rf, err := fixers.ReadRunbook(runs, m.ID); err != nil || rf != nil {
			runbook = true // carried on by its own command (runbook.go)
			continue
		}
		resumable = append(resumable, m.ID)
	}
	if rollback || runbook || !opts.Resume {
		return nil, &UnfinishedError{Runs: open, Rollback: rollback, Runbook: runbook}
	}
	return resumable, nil
}

// SettingsStore is where the addresses fixer writes: db.json for a
// snapshot inventory, the live database otherwise.
func SettingsStore(inv *inventory.Inventory) fixers.SettingsStore {
	if s := inv.Database.Snapshot; s != "" {
		return fixers.NewSnapshotStore(inv.Resolve(s), s)
	}
	return fixers.NewLiveStore(inv)
}

// RunsDir is flag, or .tmsdrift/runs beside the inventory.
func RunsDir(inv *inventory.Inventory, flag string) string {
	if flag != "" {
		return flag
	}
	return inv.Resolve(".tmsdrift/runs")
}
