package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
	"github.com/tmsdrift/tmsdrift/pipeline"
	"github.com/tmsdrift/tmsdrift/report"
)

// fixFlags are the flags of fix and post-upgrade.
type fixFlags struct {
	inventory string
	apply     bool
	only      []string
	nodes     []string
	prune     bool
	format    string
	output    string
	failOn    string
	parallel  int
	runs      string
	wait      time.Duration
	force     bool
	resume    bool
}

// fixFormats are the formats fix, post-upgrade and rollback print.
var fixFormats = []string{"json", "table"}

func newFixCmd() *cobra.Command {
	var f fixFlags
	cmd := &cobra.Command{
		Use:   "fix -i INVENTORY [--apply]",
		Short: "Show, then apply, the changes that repair the failing rules",
		Long: `fix audits the deployment and plans the changes that repair the failing
rules that have a fixer: every file (as a unified diff), service and
database value it would touch. machineKeys appear as fingerprints only.

A rule the audit could not check (error: a node or the database
unreachable) is never changed; the plan lists each one under "Could not
check" and says it is INCOMPLETE (json: "complete": false, "unchecked").

Without --apply nothing is changed. With --apply the changes are made node
by node, each node all or nothing, after backing up everything they touch
in a run folder (.tmsdrift/runs/<run-id>/ beside the inventory, or --runs);
then the deployment is audited again and the report says, per rule, whether
it passes now or what is left. "tmsdrift rollback" puts a run back.

Before it starts or stops a service or writes the database's addresses, it
checks that the facts agree with the inventory about which node is live:
when the inventory's primary runs none of its TMS services and another node
does (a cutover the inventory does not know of), it refuses with exit 1 and
names the live node; --force fixes anyway.

Exit codes are those of audit, from the audit after the fix (--apply) or
the one the plan comes from: 0 all pass, 1 a failure at or above --fail-on
or a refusal (nothing changed), 2 bad input or another fix or runbook
holds the lock (nothing changed), 3 something could not be checked. See
docs/fixing.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFix(cmd, "fix", f)
		},
	}
	addFixFlags(cmd, &f)
	fl := cmd.Flags()
	fl.BoolVar(&f.apply, "apply", false, "make the changes (default: only show the plan)")
	fl.StringSliceVar(&f.only, "only", nil, "fix only these rules (repeatable, or comma-separated)")
	fl.StringSliceVar(&f.nodes, "node", nil, "fix only these nodes (repeatable; leaves the database alone)")
	fl.BoolVar(&f.prune, "prune", false, "data.synced: delete files a node has that the master has not")
	return cmd
}

// addFixFlags adds the flags fix and post-upgrade share.
func addFixFlags(cmd *cobra.Command, f *fixFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML)")
	fl.StringVarP(&f.format, "format", "f", "table", "output format: "+joinNames(fixFormats))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.failOn, "fail-on", string(checks.Low), "lowest severity of a failure that makes the exit code 1: critical, high, medium or low")
	fl.IntVar(&f.parallel, "parallel", 8, "nodes gathered at once")
	fl.StringVar(&f.runs, "runs", "", "run folders go here (default: .tmsdrift/runs beside the inventory)")
	fl.DurationVar(&f.wait, "wait", 0, "wait this long for another fix or runbook to finish (default: fail at once)")
	fl.BoolVar(&f.force, "force", false, "change services and addresses even when the facts say another node than the inventory's primary is live")
	fl.BoolVar(&f.resume, "resume", false, "carry on a run that never finished (killed): plan from the deployment as it is now and apply")
	_ = cmd.MarkFlagRequired("inventory")
}

// runFix is fix and post-upgrade: audit, plan, and with apply change,
// audit again and report.
func runFix(cmd *cobra.Command, command string, f fixFlags) error {
	failOn, err := checks.ParseSeverity(f.failOn)
	if err != nil {
		return usage(fmt.Errorf("--fail-on: %w", err))
	}
	if !contains(fixFormats, f.format) {
		return usage(fmt.Errorf("--format: unknown format %q (want one of %s)", f.format, joinNames(fixFormats)))
	}
	if f.parallel < 1 {
		return usage(fmt.Errorf("--parallel must be at least 1, got %d", f.parallel))
	}
	for _, id := range f.only {
		if checks.Lookup(id) == nil {
			return usage(fmt.Errorf("--only: unknown rule %q (tmsdrift rules lists them)", id))
		}
	}
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	for _, n := range f.nodes {
		if inv.NodeByName(n) == nil {
			return usage(fmt.Errorf("--node: %s is not a node of %s", n, f.inventory))
		}
	}
	out, err := pipeline.RunFix(cmd.Context(), inv, pipeline.FixOptions{
		AuditOptions: pipeline.AuditOptions{Parallel: f.parallel, Open: openNode},
		Command:      command, Only: f.only, Nodes: f.nodes, Prune: f.prune, Force: f.force, Resume: f.resume,
		Apply: f.apply, Runs: f.runs, Wait: f.wait, Holder: holder(command), ApplyHint: applyHint(command, f),
	})
	if out != nil {
		noteUnfinishedRuns(cmd, command, f, out.Unfinished)
	}
	var locked *fixers.LockedError
	var notLive *fixers.NotLiveError
	var open *pipeline.UnfinishedError
	switch {
	case errors.As(err, &locked):
		return usage(err)
	case errors.As(err, &notLive), errors.As(err, &open):
		// The facts contradict the inventory, or an earlier run may have
		// left a node half-fixed: a refusal, like a failure.
		return &exitError{code: report.ExitFail, err: err}
	case err != nil:
		return err
	}
	for _, w := range out.Warnings {
		warn(cmd, "tmsdrift: warning:", w)
	}
	doc, rep := out.Document, out.Report
	if err := writeFixDocument(cmd, f.format, f.output, failOn, f.inventory, doc, rep); err != nil {
		return err
	}
	return withCode(rep.ExitCode(failOn))
}

// openNode opens node transports for fix, post-upgrade and rollback. The
// kill tests replace it to hold a write half-way (fix_kill_test.go).
var openNode = transports.Open

// neverFinished says which run never finished and how far it got. The
// words come from the run's manifest.json, a file anyone could have
// edited, so they reach the terminal sanitised.
func neverFinished(m fixers.RunManifest) string {
	return report.Sanitize(fmt.Sprintf("run %s (%s, started %s) never finished: %s.", m.ID, m.Command,
		m.StartedAt.UTC().Format(time.RFC3339), m.Progress()))
}

// noteUnfinishedRuns says on stderr which runs never finished and what to
// do about each: roll it back, or carry it on (a rollback: run it again).
func noteUnfinishedRuns(cmd *cobra.Command, command string, f fixFlags, open []fixers.RunManifest) {
	if len(open) == 0 {
		return
	}
	w := cmd.ErrOrStderr()
	inv := shellword.Quote(f.inventory)
	runs := f.runs
	if runs == "" {
		runs = filepath.Join(filepath.Dir(f.inventory), ".tmsdrift", "runs")
	}
	for _, m := range open {
		fmt.Fprintf(w, "tmsdrift: %s\n", neverFinished(m))
		if hint, ok := runbookCarryOn(runs, m.ID, f.inventory); ok {
			// A runbook run is carried on by its own command (runbook.go).
			fmt.Fprintf(w, "  carry it on: %s\n  or roll it back: tmsdrift rollback -i %s %s\n", hint, inv, m.ID)
			continue
		}
		if m.Command == "rollback" {
			fmt.Fprintf(w, "  carry it on: tmsdrift rollback -i %s %s\n  or undo it:  tmsdrift rollback -i %s %s\n",
				inv, m.RollbackOf, inv, m.ID)
			continue
		}
		fmt.Fprintf(w, "  roll it back: tmsdrift rollback -i %s %s\n  or carry it on: %s --resume\n",
			inv, m.ID, applyHint(command, f))
	}
	if !f.apply {
		fmt.Fprintln(w, "tmsdrift: (unless another tmsdrift is running it right now) the plan below starts from what the interrupted run left.")
	}
}

// lockDeployment takes the one-fixer-at-a-time lock of the runs folder
// (waiting up to wait); a lock held by another fixer is exit 2. The
// returned function releases it: a run that never told the lock it was
// Starting leaves no trace of having taken it (fixers.Lock.Release).
func lockDeployment(cmd *cobra.Command, runs string, wait time.Duration, command string) (*fixers.Lock, func(), error) {
	lock, err := fixers.AcquireLock(cmd.Context(), runs, wait, holder(command))
	if err != nil {
		var locked *fixers.LockedError
		if errors.As(err, &locked) {
			return nil, nil, usage(err)
		}
		return nil, nil, err
	}
	return lock, func() {
		if err := lock.Release(); err != nil {
			warn(cmd, "tmsdrift: warning:", err)
		}
	}, nil
}

// holder describes this process for the lock file.
func holder(command string) fixers.Holder {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown host"
	}
	return fixers.Holder{PID: os.Getpid(), Host: host, Command: "tmsdrift " + command, Since: time.Now().UTC()}
}

// applyHint is the command line that applies what was planned.
func applyHint(command string, f fixFlags) string {
	if command == "post-upgrade" {
		return "tmsdrift post-upgrade -i " + shellword.Quote(f.inventory)
	}
	args := []string{"tmsdrift fix -i", shellword.Quote(f.inventory)}
	for _, r := range f.only {
		args = append(args, "--only", r)
	}
	for _, n := range f.nodes {
		args = append(args, "--node", shellword.Quote(n))
	}
	if f.prune {
		args = append(args, "--prune")
	}
	return strings.Join(append(args, "--apply"), " ")
}

// writeFixDocument prints the fix document and the audit it rests on: as
// text (the document, then the audit table when something was applied),
// or as one JSON document embedding the JSON report.
func writeFixDocument(cmd *cobra.Command, format, output string, failOn checks.Severity, inventoryPath string, doc *fixers.Document, rep *report.Report) error {
	var buf bytes.Buffer
	switch format {
	case "json":
		var audit bytes.Buffer
		if err := report.NewJSON(report.Options{}).Write(&audit, rep); err != nil {
			return err
		}
		if err := fixers.WriteJSON(&buf, doc, audit.Bytes()); err != nil {
			return err
		}
	default:
		if err := fixers.WriteText(&buf, doc, humanOptions(cmd, output).Width); err != nil {
			return err
		}
		// A plan quotes node files (diffs of web.config): nothing from
		// outside reaches a terminal unescaped.
		safe := report.Sanitize(buf.String())
		buf.Reset()
		buf.WriteString(safe)
		if doc.Applied {
			buf.WriteString("\n")
			opts := humanOptions(cmd, output)
			opts.FailOn, opts.Inventory = failOn, inventoryPath
			if err := report.NewTable(opts).Write(&buf, rep); err != nil {
				return err
			}
		}
	}
	if output == "" {
		_, err := cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	return atomicfile.WriteFile(output, buf.Bytes(), 0o644)
}
