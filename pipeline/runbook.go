package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

// The runbook cycle (promote, activate-offsite, return-to-primary,
// upgrade prepare and finish; docs/runbooks.md): take the lock, carry on
// an unfinished run of the same runbook or refuse while another run is
// open, audit, build the runbook, refuse on a failed preflight, confirm,
// run it step by step into a run folder (fixers.RunRunbook), audit again
// as the rewritten inventory describes the deployment.

// RunbookBuilder builds a runbook from the audit of the deployment as it
// is; runs is the runs folder, for what earlier runs recorded.
type RunbookBuilder func(ctx context.Context, d *facts.Deployment, results []checks.Result, runs string) (*runbooks.Runbook, error)

// RunbookOptions say which runbook to run and how.
type RunbookOptions struct {
	AuditOptions
	// Command names the runbook (promote, upgrade prepare, ...) in its run
	// folder and the lock; Args are its arguments (the node). The same
	// Command and Args carry on an unfinished run.
	Command string
	Args    []string
	Build   RunbookBuilder
	// Apply carries the runbook out; false only plans.
	Apply bool
	// Force runs despite a failed preflight (not past hard findings).
	Force bool
	// Runs is the folder of run folders and the lock ("": beside the
	// inventory); Wait how long to wait for the lock; Holder this process.
	Runs   string
	Wait   time.Duration
	Holder fixers.Holder
	// Confirm is called, with Apply, once the runbook to run is known
	// (resumed: the run carried on, else nil) and before anything is
	// changed; an error stops the cycle with nothing changed.
	Confirm func(rb *runbooks.Runbook, resumed *fixers.RunManifest, done int) error
	// AfterStep is called once each step is journaled (tests stop a run
	// there); Progress gets a line per step.
	AfterStep func(i int, id string)
	Progress  io.Writer
}

// Runbook is one runbook cycle's outcome.
type Runbook struct {
	// Runbook is the plan: built now, or the one the carried-on run
	// recorded.
	Runbook *runbooks.Runbook
	// Resumed is the run carried on (nil: a new run); Done how many of
	// its steps were finished before.
	Resumed *fixers.RunManifest
	Done    int
	// Outcome is what the run did (nil without Apply).
	Outcome *fixers.RunbookOutcome
	// Report is the audit after the run, or the one the plan rests on.
	Report *report.Report
	// Unfinished are the other runs that never finished (a refusal).
	Unfinished []fixers.RunManifest
	// Warnings did not stop the cycle (a journal that could not be
	// closed, a lock not released, a run that stopped at a step).
	Warnings []error
}

// RefusedError is a runbook refused by its preflight: nothing changed.
type RefusedError struct {
	Command  string
	Findings []runbooks.Finding
}

// Error names the findings that refused the runbook.
func (e *RefusedError) Error() string {
	var what []string
	for _, f := range e.Findings {
		w := f.Check
		if f.Node != "" {
			w += " on " + f.Node
		}
		what = append(what, w)
	}
	return fmt.Sprintf("%s refused: the preflight failed (%s); nothing was changed", e.Command, strings.Join(what, ", "))
}

// RunRunbook plans a runbook and, with Apply, carries it out.
func RunRunbook(ctx context.Context, inv *inventory.Inventory, opts RunbookOptions) (out *Runbook, err error) {
	out = &Runbook{}
	runs := RunsDir(inv, opts.Runs)
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
		id, err := fixers.FindRunbookRun(runs, opts.Command, opts.Args)
		if err != nil {
			return nil, err
		}
		if id != "" {
			return out, resume(ctx, inv, runs, id, opts, lock, out)
		}
		open, err := fixers.Unfinished(runs)
		if err != nil {
			return nil, err
		}
		if len(open) > 0 {
			out.Unfinished = open
			return out, &UnfinishedError{Runs: open, Runbook: true}
		}
	}

	audit, err := RunAudit(ctx, inv, opts.AuditOptions)
	if err != nil {
		return nil, err
	}
	out.Report = audit.Report
	rb, err := opts.Build(ctx, audit.Deployment, audit.Results, runs)
	if err != nil {
		return nil, err
	}
	out.Runbook = rb
	if refused := rb.Refusals(opts.Force); len(refused) > 0 {
		return out, &RefusedError{Command: opts.Command, Findings: refused}
	}
	if !opts.Apply {
		return out, nil
	}
	if opts.Confirm != nil {
		if err := opts.Confirm(rb, nil, 0); err != nil {
			return out, err
		}
	}
	lock.Starting()
	j, rf, err := fixers.StartRunbook(runs, fixers.RunManifest{Command: opts.Command, Deployment: inv.Deployment,
		Inventory: inv.File, StartedAt: audit.Report.StartedAt}, rb, inv.File)
	if err != nil {
		return nil, err
	}
	started(lock, j.ID(), &out.Warnings)
	return out, carryOut(ctx, inv, j, rf, opts, out)
}

// resume carries on run id with the plan it recorded (the first steps
// changed what a new plan would see).
func resume(ctx context.Context, inv *inventory.Inventory, runs, id string, opts RunbookOptions, lock *fixers.Lock, out *Runbook) error {
	j, rf, err := fixers.OpenRunbook(runs, id)
	if err != nil {
		return err
	}
	m := j.Manifest()
	out.Runbook, out.Resumed = rf.Runbook, &m
	for _, s := range rf.Steps {
		if s.Status == fixers.StepDone || s.Status == fixers.StepManual {
			out.Done++
		}
	}
	if opts.Confirm != nil {
		if err := opts.Confirm(rf.Runbook, out.Resumed, out.Done); err != nil {
			j.Close()
			return err
		}
	}
	started(lock, id, &out.Warnings)
	return carryOut(ctx, inv, j, rf, opts, out)
}

// carryOut runs the steps and audits again.
func carryOut(ctx context.Context, inv *inventory.Inventory, j *fixers.Journal, rf *fixers.RunbookFile, opts RunbookOptions, out *Runbook) error {
	defer func() {
		if err := j.Close(); err != nil {
			out.Warnings = append(out.Warnings, fmt.Errorf("close run folder: %w", err))
		}
	}()
	reload := func() (*inventory.Inventory, error) {
		return inventory.Load(inv.File, inventory.Options{KnownRules: checks.IDs()})
	}
	env := fixers.RunbookEnv{
		Env:       fixers.Env{Inventory: inv, Open: opts.open(), Settings: SettingsStore(inv)},
		AfterStep: opts.AfterStep,
		Progress:  opts.Progress,
		Reload: func(context.Context) (*inventory.Inventory, fixers.SettingsStore, error) {
			again, err := reload()
			if err != nil {
				return nil, nil, err
			}
			return again, SettingsStore(again), nil
		},
		Fix: func(ctx context.Context, rules []string) ([]fixers.Change, error) {
			cur, err := reload()
			if err != nil {
				return nil, err
			}
			a, err := RunAudit(ctx, cur, opts.AuditOptions)
			if err != nil {
				return nil, err
			}
			// The runbook knows which node it makes live: fix's guard
			// against undoing a cutover is not for it.
			plan, err := fixers.Build(ctx, a.Deployment, a.Results, fixers.Options{Only: rules, Force: true,
				Open: opts.open(), Settings: SettingsStore(cur)})
			if err != nil {
				return nil, err
			}
			return plan.Changes, nil
		},
	}
	outcome, runErr := fixers.RunRunbook(ctx, j, rf, env)
	out.Outcome = outcome
	if runErr != nil {
		out.Warnings = append(out.Warnings, runErr)
	}
	// The deployment as the inventory now describes it.
	after, err := reload()
	if err != nil {
		return errors.Join(err, runErr)
	}
	audit, err := RunAudit(ctx, after, opts.AuditOptions)
	if err != nil {
		return errors.Join(err, runErr)
	}
	out.Report = audit.Report
	return nil
}
