package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect/sqlserver"
	"github.com/tmsdrift/tmsdrift/facts"
	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/pipeline"
	"github.com/tmsdrift/tmsdrift/report"
	"github.com/tmsdrift/tmsdrift/runbooks"
)

// What the runbook commands (promote, activate-offsite, return-to-primary,
// upgrade) share: their flags, the confirmation, and printing the plan and
// what a run did (docs/runbooks.md). The cycle itself is
// pipeline.RunRunbook.

// runbookFlags are the flags every runbook command takes.
type runbookFlags struct {
	inventory string
	apply     bool
	yes       bool
	force     bool
	failOn    string
	parallel  int
	runs      string
	wait      time.Duration
}

// addRunbookFlags adds the flags every runbook command takes.
func addRunbookFlags(cmd *cobra.Command, f *runbookFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML)")
	fl.BoolVar(&f.apply, "apply", false, "carry the runbook out (default: only show the plan)")
	fl.BoolVar(&f.yes, "yes", false, "do not ask for confirmation (required with --apply when there is no terminal)")
	fl.BoolVar(&f.force, "force", false, "run even though the preflight failed (not past the findings marked hard)")
	fl.StringVar(&f.failOn, "fail-on", string(checks.Low), "lowest severity of a failure in the audit afterwards that makes the exit code 1: critical, high, medium or low")
	fl.IntVar(&f.parallel, "parallel", 8, "nodes gathered at once")
	fl.StringVar(&f.runs, "runs", "", "run folders go here (default: .tmsdrift/runs beside the inventory)")
	fl.DurationVar(&f.wait, "wait", 0, "wait this long for another fix or runbook to finish (default: fail at once)")
	_ = cmd.MarkFlagRequired("inventory")
}

// afterRunbookStep is called once each runbook step is journaled; nil in
// production. The kill test sets it (through TestMain, in a child process)
// to stop a run at a known point (runbook_test.go).
var afterRunbookStep func(i int, id string)

// runRunbook plans a runbook and, with --apply, carries it out, then
// prints the audit afterwards and what is left to a person. Exit codes:
// 0 done and the audit passes; 1 refused (preflight, not confirmed,
// another run open: nothing changed), a step failed, or the audit
// afterwards fails at --fail-on; 2 bad input, another fixer holds the
// lock, or --apply without a terminal and without --yes; 3 the audit
// could not check something, or (a plan) a step could not check the
// rules it repairs.
func runRunbook(cmd *cobra.Command, command string, args []string, f runbookFlags, build pipeline.RunbookBuilder) error {
	failOn, err := checks.ParseSeverity(f.failOn)
	if err != nil {
		return usage(fmt.Errorf("--fail-on: %w", err))
	}
	if f.parallel < 1 {
		return usage(fmt.Errorf("--parallel must be at least 1, got %d", f.parallel))
	}
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	// Without a terminal to ask on only --yes confirms: refused before the
	// deployment is looked at or its lock taken.
	if _, ok := terminalIn(cmd); f.apply && !f.yes && !ok {
		return usage(errNoTerminal)
	}
	out := cmd.OutOrStdout()
	width := humanOptions(cmd, "").Width
	prose := report.TextWidth(width)
	printed := false
	confirmRun := func(rb *runbooks.Runbook, resumed *fixers.RunManifest, done int) error {
		var b bytes.Buffer
		if resumed != nil {
			b.WriteString(report.WrapIndent("", "", fmt.Sprintf("Run %s (%s, started %s) never finished: %d of %d steps are done. Carrying it on from the plan it recorded:",
				resumed.ID, resumed.Command, resumed.StartedAt.UTC().Format(time.RFC3339), done, len(rb.Steps)), prose) + "\n")
		}
		if err := runbooks.WritePlan(&b, rb, f.force || resumed != nil, width); err != nil {
			return err
		}
		if _, err := io.WriteString(out, report.Sanitize(b.String())); err != nil {
			return err
		}
		printed = true
		return confirm(cmd, f.yes)
	}
	res, err := pipeline.RunRunbook(cmd.Context(), inv, pipeline.RunbookOptions{
		AuditOptions: pipeline.AuditOptions{Parallel: f.parallel, Open: openNode},
		Command:      command, Args: args, Build: build, Apply: f.apply, Force: f.force,
		Runs: f.runs, Wait: f.wait, Holder: holder(command),
		Confirm: confirmRun, AfterStep: afterRunbookStep, Progress: cmd.ErrOrStderr(),
	})
	if res != nil && res.Runbook != nil && !printed {
		var b bytes.Buffer
		if werr := runbooks.WritePlan(&b, res.Runbook, f.force, width); werr != nil {
			return werr
		}
		if _, werr := io.WriteString(out, report.Sanitize(b.String())); werr != nil {
			return werr
		}
	}
	if res != nil {
		for _, w := range res.Warnings {
			warn(cmd, "tmsdrift: warning:", w)
		}
	}
	var locked *fixers.LockedError
	var open *pipeline.UnfinishedError
	var refused *pipeline.RefusedError
	var declined *declinedError
	switch {
	case errors.Is(err, runbooks.ErrUsage), errors.As(err, &locked):
		return usage(err)
	case errors.As(err, &open):
		noteOpenRuns(cmd, res.Unfinished, pipeline.RunsDir(inv, f.runs), f.inventory)
		return &exitError{code: report.ExitFail, err: err}
	case errors.As(err, &refused):
		return &exitError{code: report.ExitFail, err: err}
	case errors.As(err, &declined):
		return &exitError{code: report.ExitFail, err: err}
	case err != nil:
		return err
	}
	if !f.apply {
		if len(res.Runbook.Steps) > 0 {
			hint := runbookHint(command, args, f) + " --apply"
			fmt.Fprint(out, "\n"+report.WrapIndent("", "  ", "Nothing was changed. To carry it out: "+hint, prose, hint))
		}
		// A plan with a step that could not check what it repairs is
		// incomplete: 3, as an audit that could not check something
		// (docs/contract.md §7).
		for _, s := range res.Runbook.Steps {
			if len(s.Unchecked) > 0 {
				return withCode(report.ExitErrored)
			}
		}
		return nil
	}

	// What the run did, the audit afterwards, what is left to a person.
	var b bytes.Buffer
	if res.Outcome != nil {
		if err := fixers.WriteRunbookOutcome(&b, res.Outcome, width); err != nil {
			return err
		}
	}
	b.WriteString("\n")
	opts := humanOptions(cmd, "")
	opts.FailOn, opts.Inventory = failOn, f.inventory
	if err := report.NewTable(opts).Write(&b, res.Report); err != nil {
		return err
	}
	if len(res.Runbook.Manual) > 0 {
		b.WriteString("\nBy hand, now (no tool here can do these):\n")
		for _, m := range res.Runbook.Manual {
			b.WriteString(report.WrapIndent("  - ", "    ", fmt.Sprintf("%s (%s)", m.What, m.Guide), prose))
		}
	}
	if _, err := io.WriteString(out, report.Sanitize(b.String())); err != nil {
		return err
	}
	code := res.Report.ExitCode(failOn)
	if res.Outcome == nil || !res.Outcome.Complete {
		run := ""
		if res.Outcome != nil {
			run = res.Outcome.Run
		}
		warn(cmd, fmt.Sprintf("tmsdrift: run %s stopped before its end: fix what it says and run the same command again to carry it on, or put it back with: tmsdrift rollback -i %s %s",
			run, shellword.Quote(f.inventory), run))
		code = max(code, report.ExitFail)
	}
	return withCode(code)
}

// declinedError is a confirmation answered no: nothing changed.
type declinedError struct{}

func (declinedError) Error() string { return "not confirmed; nothing was changed" }

// errNoTerminal refuses --apply without --yes where nobody can be asked.
var errNoTerminal = errors.New("--apply needs a confirmation: there is no terminal to ask on, so pass --yes; nothing was changed")

// terminalIn is the command's standard input when it is a terminal.
func terminalIn(cmd *cobra.Command) (*os.File, bool) {
	f, ok := cmd.InOrStdin().(*os.File)
	return f, ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// confirm asks on a terminal before a runbook changes anything; without a
// terminal only --yes confirms (bad usage otherwise).
func confirm(cmd *cobra.Command, yes bool) error {
	if yes {
		return nil
	}
	in, ok := terminalIn(cmd)
	if !ok {
		return usage(errNoTerminal)
	}
	fmt.Fprint(cmd.OutOrStdout(), "\nCarry out these steps now? [y/N] ")
	type line struct {
		text string
		err  error
	}
	read := make(chan line, 1)
	go func() {
		text, err := bufio.NewReader(in).ReadString('\n')
		read <- line{text, err}
	}()
	var answer line
	select {
	case answer = <-read:
	case <-cmd.Context().Done():
		// Ctrl-C at the prompt: not confirmed. The read is left to
		// end with the process.
		fmt.Fprintln(cmd.OutOrStdout())
		return &declinedError{}
	}
	if answer.err != nil && !errors.Is(answer.err, io.EOF) {
		return fmt.Errorf("read the answer: %w", answer.err)
	}
	switch strings.ToLower(strings.TrimSpace(answer.text)) {
	case "y", "yes":
		return nil
	}
	return &declinedError{}
}

// noteOpenRuns says on stderr which runs never finished and how to carry
// each on or roll it back.
func noteOpenRuns(cmd *cobra.Command, open []fixers.RunManifest, runs, inventoryPath string) {
	w := cmd.ErrOrStderr()
	for _, m := range open {
		fmt.Fprintf(w, "tmsdrift: %s\n  roll it back: tmsdrift rollback -i %s %s\n", neverFinished(m), shellword.Quote(inventoryPath), m.ID)
		if hint, ok := runbookCarryOn(runs, m.ID, inventoryPath); ok {
			fmt.Fprintf(w, "  or carry it on: %s\n", hint)
		}
	}
}

// runbookHint is the command line that carries the plan out.
func runbookHint(command string, args []string, f runbookFlags) string {
	parts := []string{"tmsdrift", command}
	for _, a := range args {
		parts = append(parts, shellword.Quote(a))
	}
	parts = append(parts, "-i", shellword.Quote(f.inventory))
	if f.force {
		parts = append(parts, "--force")
	}
	return strings.Join(parts, " ")
}

// runbookCarryOn is the command line that carries on run id when it is a
// runbook run.
func runbookCarryOn(runs, id, inventoryPath string) (string, bool) {
	rf, err := fixers.ReadRunbook(runs, id)
	if err != nil || rf == nil {
		return "", false
	}
	parts := []string{"tmsdrift", rf.Runbook.Command}
	switch rf.Runbook.Command {
	case "activate-offsite", "return-to-primary":
		if rf.Runbook.Command == "return-to-primary" {
			parts = append(parts, "--database-resynced")
		}
		if len(rf.Runbook.Args) > 0 {
			parts = append(parts, "--node", shellword.Quote(rf.Runbook.Args[0]))
		}
	default:
		for _, a := range rf.Runbook.Args {
			parts = append(parts, shellword.Quote(a))
		}
	}
	return report.Sanitize(strings.Join(append(parts, "-i", shellword.Quote(inventoryPath), "--apply"), " ")), true
}

// otherDatabase gathers the database the inventory names off-site
// (offsite_snapshot, or live offsite_dsn_env): activate-offsite and
// return-to-primary check it is online and plan the addresses they write
// there.
func otherDatabase(ctx context.Context, inv *inventory.Inventory) facts.DB {
	db := inv.Database
	switch {
	case db.Snapshot != "" && db.OffsiteSnapshot != "":
		out := facts.DB{From: db.OffsiteSnapshot}
		raw, err := os.ReadFile(inv.Resolve(db.OffsiteSnapshot))
		if err != nil {
			out.Err = fmt.Errorf("read %s: %w", db.OffsiteSnapshot, err)
			return out
		}
		if out.Facts, err = facts.ParseDB(raw); err != nil {
			out.Facts, out.Err = nil, fmt.Errorf("%s: %w", db.OffsiteSnapshot, err)
		}
		return out
	case db.DSNEnv != "" && db.OffsiteDSNEnv != "":
		// Logged in to master: a restoring database refuses a login
		// naming it, and its state is what must be read first.
		return sqlserver.GatherOffsite(ctx, inv)
	}
	return facts.DB{Err: errors.New("the inventory names no off-site database (database.offsite_snapshot or offsite_dsn_env)")}
}
