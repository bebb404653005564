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
	"github.com/tmsdrift/tmsdrift/collect"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
	"github.com/tmsdrift/tmsdrift/inventory"
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
or a refusal (nothing changed), 2 bad input or another fix holds the lock
(nothing changed), 3 something could not be checked. See docs/fixing.md.`,
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
	fl.StringVar(&f.failOn, "fail-on", string(checks.Low), "lowest severity of a failure that makes the exit code 1")
	fl.IntVar(&f.parallel, "parallel", 8, "nodes gathered at once")
	fl.StringVar(&f.runs, "runs", "", "run folders go here (default: .tmsdrift/runs beside the inventory)")
	fl.DurationVar(&f.wait, "wait", 0, "wait this long for another fix to finish (default: fail at once)")
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
	ctx := cmd.Context()
	runs := runsDir(inv, f.runs)

	// Changing the deployment: take the lock before looking at it, so the
	// plan rests on facts no other fixer is changing.
	if f.apply {
		release, err := lockDeployment(cmd, runs, f.wait, command)
		if err != nil {
			return err
		}
		defer release()
	}

	// A run that never finished (killed, the machine stopped) may have
	// left a node half-fixed: say so, and let the operator choose.
	resumes, err := unfinishedRuns(cmd, runs, command, f)
	if err != nil {
		return err
	}

	started := time.Now()
	d, results, err := auditOnce(cmd, inv, f.parallel, started)
	if err != nil {
		return err
	}
	store := settingsStore(inv)
	plan, err := fixers.Build(ctx, d, results, fixers.Options{
		Only: f.only, Nodes: f.nodes, Prune: f.prune, Force: f.force, Open: openNode, Settings: store,
	})
	var notLive *fixers.NotLiveError
	if errors.As(err, &notLive) {
		// The facts contradict the inventory: a refusal, like a failure.
		return &exitError{code: report.ExitFail, err: err}
	}
	if err != nil {
		return err
	}
	doc := &fixers.Document{Command: command, Deployment: inv.Deployment, Model: string(inv.Model), Plan: plan,
		ApplyHint: applyHint(command, f)}
	rep := report.New(inv.Deployment, string(inv.Model), started, time.Now(), results)

	// A resume writes its run even with nothing left to do: it records
	// that the unfinished runs were carried on.
	if f.apply && (!plan.Empty() || len(resumes) > 0) {
		j, err := fixers.NewJournal(runs, fixers.RunManifest{Command: command, Deployment: inv.Deployment,
			Inventory: f.inventory, StartedAt: started, Resumes: resumes})
		if err != nil {
			return err
		}
		defer j.Close()
		if err := fixers.MarkResumed(runs, resumes, j.ID()); err != nil {
			return err
		}
		out, applyErr := fixers.Apply(ctx, plan, fixers.Env{Inventory: inv, Open: openNode, Settings: store, Journal: j})
		doc.Applied, doc.Outcome = true, out
		again := time.Now()
		_, after, err := auditOnce(cmd, inv, f.parallel, again)
		if err != nil {
			return err
		}
		doc.Verdicts = fixers.Verify(plan, after)
		rep = report.New(inv.Deployment, string(inv.Model), again, time.Now(), after)
		if applyErr != nil {
			warn(cmd, "tmsdrift: warning:", applyErr)
		}
	}
	if err := writeFixDocument(cmd, f.format, f.output, failOn, f.inventory, doc, rep); err != nil {
		return err
	}
	return withCode(rep.ExitCode(failOn))
}

// auditOnce gathers the deployment and evaluates the catalogue.
func auditOnce(cmd *cobra.Command, inv *inventory.Inventory, parallel int, now time.Time) (*facts.Deployment, []checks.Result, error) {
	d, err := collect.Gather(cmd.Context(), inv, collect.Options{Now: now, Parallel: parallel,
		Open: openNode, LiveDB: sqlserver.Gather})
	if err != nil {
		return nil, nil, err
	}
	return d, checks.Evaluate(d), nil
}

// openNode opens node transports for fix, post-upgrade and rollback. The
// kill tests replace it to hold a write half-way (fix_kill_test.go).
var openNode = transports.Open

// unfinishedRuns reports the runs that never finished on stderr, with
// what to do, and decides: a plan goes on (it changes nothing), --apply
// refuses (exit 1) unless --resume, which carries on the unfinished fix
// and post-upgrade runs: it returns their IDs for the new run to record.
// An unfinished rollback is carried on by running that rollback again.
func unfinishedRuns(cmd *cobra.Command, runs, command string, f fixFlags) ([]string, error) {
	open, err := fixers.Unfinished(runs)
	if err != nil {
		return nil, usage(err)
	}
	if len(open) == 0 {
		return nil, nil
	}
	w := cmd.ErrOrStderr()
	var resumable []string
	rollbacks := false
	for _, m := range open {
		fmt.Fprintf(w, "tmsdrift: run %s (%s, started %s) never finished: %s.\n", m.ID, m.Command,
			m.StartedAt.UTC().Format(time.RFC3339), m.Progress())
		if m.Command == "rollback" {
			rollbacks = true
			fmt.Fprintf(w, "  carry it on: tmsdrift rollback -i %s %s\n  or undo it:  tmsdrift rollback -i %s %s\n",
				shellword.Quote(f.inventory), m.RollbackOf, shellword.Quote(f.inventory), m.ID)
			continue
		}
		resumable = append(resumable, m.ID)
		fmt.Fprintf(w, "  roll it back: tmsdrift rollback -i %s %s\n  or carry it on: %s --resume\n",
			shellword.Quote(f.inventory), m.ID, applyHint(command, f))
	}
	switch {
	case !f.apply:
		fmt.Fprintln(w, "tmsdrift: (unless another tmsdrift is running it right now) the plan below starts from what the interrupted run left.")
		return nil, nil
	case rollbacks:
		return nil, &exitError{code: report.ExitFail, err: errors.New("a rollback never finished (above): finish or undo it first; nothing was changed")}
	case !f.resume:
		return nil, &exitError{code: report.ExitFail, err: errors.New("an earlier run never finished (above): roll it back, or carry it on with --resume; nothing was changed")}
	}
	return resumable, nil
}

// settingsStore is where the addresses fixer writes: db.json for a
// snapshot inventory, the live database otherwise.
func settingsStore(inv *inventory.Inventory) fixers.SettingsStore {
	if s := inv.Database.Snapshot; s != "" {
		return fixers.NewSnapshotStore(inv.Resolve(s), s)
	}
	return fixers.NewLiveStore(inv)
}

// lockDeployment takes the one-fixer-at-a-time lock of the runs folder
// (waiting up to wait); a lock held by another fixer is exit 2. The
// returned function releases it.
func lockDeployment(cmd *cobra.Command, runs string, wait time.Duration, command string) (func(), error) {
	lock, err := fixers.AcquireLock(cmd.Context(), runs, wait, holder(command))
	if err != nil {
		var locked *fixers.LockedError
		if errors.As(err, &locked) {
			return nil, usage(err)
		}
		return nil, err
	}
	return func() {
		if err := lock.Release(); err != nil {
			warn(cmd, "tmsdrift: warning:", err)
		}
	}, nil
}

// runsDir is --runs, or .tmsdrift/runs beside the inventory.
func runsDir(inv *inventory.Inventory, flag string) string {
	if flag != "" {
		return flag
	}
	return filepath.Join(filepath.Dir(inv.File), ".tmsdrift", "runs")
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
		if err := fixers.WriteText(&buf, doc); err != nil {
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
