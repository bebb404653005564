package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/collect/transports"
	"github.com/tmsdrift/tmsdrift/internal/atomicfile"
	"github.com/tmsdrift/tmsdrift/manifest"
	"github.com/tmsdrift/tmsdrift/pipeline"
	"github.com/tmsdrift/tmsdrift/report"
)

type auditFlags struct {
	inventory string
	format    string
	output    string
	failOn    string
	verbose   bool
	parallel  int
	hashCache string
	baseline  string
}

func newAuditCmd() *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit -i INVENTORY",
		Short: "Check every rule on every node and the database, and report",
		Long: `audit gathers the facts of every node and of the database, evaluates the
rule catalogue and writes a report. Exit codes: 0 all pass (or waived),
1 a failure at or above --fail-on, 2 bad input, 3 something could not be
checked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.inventory, "inventory", "i", "", "inventory file (YAML)")
	fl.StringVarP(&f.format, "format", "f", "table", "report format: "+joinNames(report.Formats()))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.failOn, "fail-on", string(checks.Low), "lowest severity of a failure that makes the exit code 1: critical, high, medium or low")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "table: list passing results too")
	fl.IntVar(&f.parallel, "parallel", 8, "nodes gathered at once")
	fl.StringVar(&f.hashCache, "hash-cache", "", "remember customer file hashes in FILE between runs (keyed by path, size, mtime, ctime, inode, device)")
	fl.StringVar(&f.baseline, "baseline", "", "a JSON report of an earlier audit of this deployment: exit 1 only for failures it did not have; the JSON report marks each failure new or known")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}

func runAudit(cmd *cobra.Command, f auditFlags) error {
	failOn, err := checks.ParseSeverity(f.failOn)
	if err != nil {
		return usage(fmt.Errorf("--fail-on: %w", err))
	}
	if f.parallel < 1 {
		return usage(fmt.Errorf("--parallel must be at least 1, got %d", f.parallel))
	}
	if !contains(report.Formats(), f.format) {
		return usage(fmt.Errorf("--format: unknown format %q (want one of %s)", f.format, joinNames(report.Formats())))
	}
	var baseline *report.Report
	if f.baseline != "" {
		if baseline, err = report.ReadJSONFile(f.baseline); err != nil {
			return usage(fmt.Errorf("--baseline: %w", err))
		}
	}
	if f.hashCache != "" {
		// The cache is read back by the next run, so it is a file: a FIFO
		// blocked the run for ever reading it, /dev/stdout mixed it into
		// the report.
		through, err := atomicfile.Through(f.hashCache)
		switch {
		case err != nil:
			return usage(fmt.Errorf("--hash-cache %w", err))
		case through:
			return usage(fmt.Errorf("--hash-cache %s: is a device or a pipe; the cache is read back by the next run, so name a file", f.hashCache))
		}
	}
	inv, err := loadInventory(f.inventory)
	if err != nil {
		return err
	}
	if baseline != nil && baseline.Deployment != inv.Deployment {
		// Failures are excused by rule and node name, and node names
		// repeat across deployments (tms01, tms02): another deployment's
		// report would pass this one's new failures as known.
		return usage(fmt.Errorf("--baseline: %s is a report of deployment %q, not of %q (this inventory's): a baseline excuses failures by rule and node, so another deployment's report could hide new ones; make the baseline with `tmsdrift audit -i %s --format json`",
			f.baseline, baseline.Deployment, inv.Deployment, f.inventory))
	}
	hasher, cache := newHasher(cmd, f.hashCache)
	prog := liveProgress(cmd.ErrOrStderr(), inv)
	a, err := pipeline.RunAudit(cmd.Context(), inv, pipeline.AuditOptions{Parallel: f.parallel, Hasher: hasher, Open: prog.wrap(transports.Open)})
	prog.finish()
	if err != nil {
		return err
	}
	if cache != nil {
		if err := cache.Save(); err != nil {
			warn(cmd, "tmsdrift: warning: hash cache not saved:", err)
		}
	}
	rep := a.Report
	if baseline != nil {
		rep.MarkBaseline(baseline)
	}
	opts := report.Options{FailOn: failOn, Verbose: f.verbose, Inventory: f.inventory}
	if err := writeReport(cmd, f.format, f.output, opts, rep); err != nil {
		return err
	}
	return withCode(rep.ExitCode(failOn))
}

// newHasher builds the one Hasher of a run, with the cache file if asked.
// A cache only saves time, so a corrupt one is a warning, not an error.
func newHasher(cmd *cobra.Command, cacheFile string) (*manifest.Hasher, *manifest.Cache) {
	if cacheFile == "" {
		return manifest.NewHasher(manifest.HasherOptions{}), nil
	}
	c, problem := manifest.LoadCache(cacheFile)
	if problem != nil {
		warn(cmd, "tmsdrift: warning:", problem)
	}
	return manifest.NewHasher(manifest.HasherOptions{Cache: c}), c
}
