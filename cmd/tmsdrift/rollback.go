package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/fixers"
	"github.com/tmsdrift/tmsdrift/internal/shellword"
	"github.com/tmsdrift/tmsdrift/pipeline"
	"github.com/tmsdrift/tmsdrift/report"
)

type rollbackFlags struct {
	inventory string
	force     bool
	format    string
	runs      string
	wait      time.Duration
}

func newRollbackCmd() *cobra.Command {
	var f rollbackFlags
	cmd := &cobra.Command{
		Use:   "rollback -i INVENTORY [RUN|last]",
		Short: "Put back what a fix or runbook run changed; list the runs",
		Long: `rollback restores every file, service and database value a fix, post-upgrade
or runbook (promote, activate-offsite, return-to-primary, upgrade) run
changed — the inventory a runbook rewrote included — from the backups and
values in its run folder (.tmsdrift/runs/<RUN>/ beside the inventory, or
--runs). "last" is the newest run that is not a rollback. Without RUN it
lists the runs, newest first, and where each stands.

Before changing anything it checks that each object is still as the run
left it; when one changed since (someone edited the file, restarted the
service), it refuses and changes nothing, unless --force. What --force
overwrites is backed up in the rollback's own run folder, so a rollback can
be rolled back too.

Exit codes: 0 everything was put back; 1 refused because something changed
since the run (nothing changed; --force); 2 bad input, an unknown or
already rolled back run, or another fix or runbook holds the lock
(nothing changed);
3 a node or the database could not be reached or written: what could not
be put back is reported, the backups stay in the run folder. See
docs/fixing.md.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listRuns(cmd, f)
			}
			return runRollback(cmd, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML)")
	fl.BoolVar(&f.force, "force", false, "put back even what changed since the run")
	fl.StringVarP(&f.format, "format", "f", "table", "output format: "+joinNames(fixFormats))
	fl.StringVar(&f.runs, "runs", "", "run folders are here (default: .tmsdrift/runs beside the inventory)")
	fl.DurationVar(&f.wait, "wait", 0, "wait this long for another fix or runbook to finish (default: fail at once)")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}

func runRollback(cmd *cobra.Command, f rollbackFlags, run string) error {
	if !contains(fixFormats, f.format) {
		return usage(fmt.Errorf("--format: unknown format %q (want one of %s)", f.format, joinNames(fixFormats)))
	}
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	runs := pipeline.RunsDir(inv, f.runs)
	lock, release, err := lockDeployment(cmd, runs, f.wait, "rollback")
	if err != nil {
		return err
	}
	defer release()
	noteUnfinished(cmd, runs, run)
	store := pipeline.SettingsStore(inv)
	out, plan, err := fixers.Rollback(ctx, fixers.RollbackRequest{RunsDir: runs, Run: run, Force: f.force,
		Inventory: inv, InventoryPath: f.inventory, Open: openNode, Settings: store, Lock: lock})
	if err != nil && out == nil {
		return rollbackRefused(err)
	}
	if err != nil {
		warn(cmd, "tmsdrift: warning:", err)
	}
	doc := &fixers.Document{Command: "rollback", Deployment: inv.Deployment, Model: string(inv.Model),
		Applied: true, RollbackOf: out.RollbackOf, Plan: plan, Outcome: out}
	var buf bytes.Buffer
	if f.format == "json" {
		err = fixers.WriteJSON(&buf, doc, nil)
	} else {
		err = fixers.WriteText(&buf, doc, humanOptions(cmd, "").Width)
	}
	if err != nil {
		return err
	}
	text := buf.Bytes()
	if f.format != "json" {
		text = []byte(report.Sanitize(buf.String()))
	}
	if _, err := cmd.OutOrStdout().Write(text); err != nil {
		return err
	}
	if !out.Complete() {
		return withCode(report.ExitErrored)
	}
	return nil
}

// rollbackRefused is the exit of a rollback that changed nothing: 2 for
// what was asked (no such run, rolled back already, an unreadable run
// folder), 1 when objects changed since the run (--force), 3 when a node
// or the database could not be reached or read to check.
func rollbackRefused(err error) error {
	var refused *fixers.RefusedError
	switch {
	case errors.As(err, &refused):
		return &exitError{code: report.ExitFail, err: err}
	case errors.Is(err, fixers.ErrBadRun):
		return usage(err)
	}
	return &exitError{code: report.ExitErrored, err: err}
}

// noteUnfinished mentions on stderr the runs that never finished, other
// than the one being rolled back (and earlier rollbacks of it, which this
// one carries on): rolling back another run first may meet what they left.
func noteUnfinished(cmd *cobra.Command, runs, run string) {
	open, err := fixers.Unfinished(runs)
	if err != nil {
		return // Rollback reads the runs again and says what is wrong
	}
	if id, err := fixers.ResolveRun(runs, run); err == nil {
		run = id
	}
	for _, m := range open {
		if m.ID == run || m.RollbackOf == run && m.Command == "rollback" {
			continue
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "tmsdrift: note: %s\n", neverFinished(m))
	}
}

// listRuns prints the runs a rollback can name, newest first, with where
// each stands: fix, post-upgrade, runbook (with its arguments) and
// rollback runs alike.
func listRuns(cmd *cobra.Command, f rollbackFlags) error {
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	runs := pipeline.RunsDir(inv, f.runs)
	list, err := fixers.Summaries(runs)
	if err != nil {
		return usage(err)
	}
	// Lines fit the terminal: the What column is as wide as its longest
	// entry, a row still too wide continues under it, and the folder and
	// the command stay whole.
	width := report.TextWidth(humanOptions(cmd, "").Width)
	var b strings.Builder
	if len(list) == 0 {
		b.WriteString(report.WrapIndent("", "  ", fmt.Sprintf("No runs in %s.", runs), width, runs))
	} else {
		b.WriteString(report.WrapIndent("", "  ", fmt.Sprintf("Runs in %s, newest first:", runs), width, runs))
		what := 0
		for _, s := range list {
			what = max(what, len(s.What))
		}
		for _, s := range list {
			// The id and the padded What are kept whole when the row
			// wraps, so the start times stay in one column.
			cols := fmt.Sprintf("%s  %-*s", s.ID, what, s.What)
			row := fmt.Sprintf("%s %s  %s", cols, s.StartedAt.UTC().Format(time.RFC3339), s.State)
			b.WriteString(report.WrapIndent("  ", strings.Repeat(" ", 4+len(s.ID)), row, width, cols))
		}
		command := fmt.Sprintf("tmsdrift rollback -i %s RUN", shellword.Quote(f.inventory))
		b.WriteString(report.WrapIndent("", "  ", "Put one back: "+command+" (last: the newest that is not a rollback)", width, command))
	}
	_, err = io.WriteString(cmd.OutOrStdout(), report.Sanitize(b.String()))
	return err
}
