package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/history"
	"github.com/tmsdrift/tmsdrift/report"
)

func newDiffCmd() *cobra.Command {
	var inv, format string
	cmd := &cobra.Command{
		Use:   "diff [-i INVENTORY] [OLD [NEW]]",
		Short: "Show what changed between two runs or two reports",
		Long: `diff compares two audits. OLD and NEW are run ids of the history
(tmsdrift history lists them) or JSON report files (audit --format json).
Without them it compares the last two runs that have a report; with OLD
only, OLD and the last run. For results still failing it walks back the
history to say since when they fail (with a report file as OLD: since
OLD). -i is needed for run ids and the defaults, not for two files.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(report.DiffFormats(), format) {
				return usage(fmt.Errorf("--format: unknown format %q (want one of %s)", format, joinNames(report.DiffFormats())))
			}
			var store *history.Store
			if inv != "" {
				loaded, err := loadInventory(inv)
				if err != nil {
					return err
				}
				store = history.Open(loaded.HistoryPath())
			}
			d, err := buildDiff(store, args, func(a ...any) { warn(cmd, a...) })
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			width := report.Width(nil)
			if f, ok := cmd.OutOrStdout().(*os.File); ok {
				width = report.Width(f)
			}
			if err := report.WriteDiff(&buf, format, d, width); err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(buf.Bytes())
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&inv, "inventory", "i", "", "inventory file (YAML): where the history is")
	fl.StringVarP(&format, "format", "f", "table", "output format: "+joinNames(report.DiffFormats()))
	return cmd
}

// diffSide is one side of a diff: a report, and the run id when it came
// from the history.
type diffSide struct {
	name, run string
	rep       *report.Report
}

// buildDiff resolves the arguments and compares. What it could not read
// of the history but could do without goes to warnf.
func buildDiff(store *history.Store, args []string, warnf func(...any)) (*report.Diff, error) {
	var old, latest *diffSide
	var err error
	switch len(args) {
	case 0, 1:
		if store == nil {
			return nil, usage(errors.New("-i INVENTORY is needed to find the runs to compare (or name two report files)"))
		}
		runs, listErr := store.List(0)
		if listErr != nil {
			warnf("warning: some runs of the history could not be read; diff compares the runs that could:", listErr)
		}
		var withReport []*history.Run
		for _, r := range runs {
			if slices.Contains(r.Files, history.ReportJSON) {
				withReport = append(withReport, r)
			}
		}
		if len(runs) > 0 && len(withReport) > 0 && runs[0] != withReport[0] {
			// The newest night audited nothing: comparing the reports
			// before it must not read as that night's news (a timed-out
			// run on a drifted deployment is no "resolved").
			warnf(fmt.Sprintf("warning: the newest run, %s, has no report (%s); this compares the last two runs that have one, the newest of them %s",
				runs[0].ID, noReportReason(runs[0]), withReport[0].ID))
		}
		need := 2 - len(args)
		if len(withReport) < need {
			return nil, usage(fmt.Errorf("the history in %s has %d run(s) with a report; diff needs two (tmsdrift serve --once records one)", store.Dir(), len(withReport)))
		}
		if latest, err = side(store, withReport[0].ID); err != nil {
			return nil, err
		}
		oldArg := ""
		if len(args) == 1 {
			oldArg = args[0]
		} else {
			oldArg = withReport[1].ID
		}
		if old, err = side(store, oldArg); err != nil {
			return nil, err
		}
	default:
		if old, err = side(store, args[0]); err != nil {
			return nil, err
		}
		if latest, err = side(store, args[1]); err != nil {
			return nil, err
		}
	}
	if old.rep.Deployment != latest.rep.Deployment {
		// Results are paired by rule and node name, which repeat across
		// deployments: the comparison is made, but it is not "what
		// changed" of one deployment.
		warnf(fmt.Sprintf("warning: %s is a report of deployment %q and %s of %q: results are paired by rule and node name, so this compares two deployments, not one over time",
			old.name, old.rep.Deployment, latest.name, latest.rep.Deployment))
	}
	ch := report.Compare(old.rep, latest.rep)
	if old.run != "" && store != nil {
		// A gap in the history leaves the dates it could find.
		if err := history.WalkFirstSeen(store, old.run, ch.StillFailing); err != nil {
			warnf("warning: the history has gaps; some \"failing since\" dates may be later than the truth:", err)
		}
	}
	return &report.Diff{Deployment: latest.rep.Deployment, Changes: ch,
		Old: report.DiffSide{Name: old.name, StartedAt: old.rep.StartedAt},
		New: report.DiffSide{Name: latest.name, StartedAt: latest.rep.StartedAt}}, nil
}

// side reads one side: a run id of the history, else a report file.
func side(store *history.Store, arg string) (*diffSide, error) {
	if history.ValidID(arg) && store != nil {
		rep, err := store.Report(arg)
		if err == nil {
			return &diffSide{name: arg, run: arg, rep: rep}, nil
		}
		if _, statErr := os.Stat(arg); errors.Is(statErr, fs.ErrNotExist) {
			return nil, usage(err) // names the run already
		}
	}
	rep, err := report.ReadJSONFile(arg)
	if err != nil {
		return nil, usage(err)
	}
	return &diffSide{name: arg, rep: rep}, nil
}

// noReportReason says why a run has no report, from its run.json.
func noReportReason(r *history.Run) string {
	why := "verdict " + r.Verdict
	switch {
	case r.Error != "":
		why += ": " + r.Error
	case len(r.Problems) > 0:
		why += ": the inventory was invalid: " + r.Problems[0]
	}
	return why
}
