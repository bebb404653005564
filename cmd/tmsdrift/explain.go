package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
	"github.com/tmsdrift/tmsdrift/tmsversion"
)

func newExplainCmd() *cobra.Command {
	var tmsVersion string
	cmd := &cobra.Command{
		Use:   "explain [RULE]",
		Short: "Explain what a rule checks, why, and how to fix it",
		Long: `explain RULE prints what the rule checks, the section of the guide it comes
from, why, how to fix a failure, and the facts of the TMS version profiles
it follows, with their sources (--tms-version V: one release's only).
Without RULE it lists the rules.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := humanOptions(cmd, "")
			if len(args) == 0 {
				return report.WriteRuleList(cmd.OutOrStdout(), checks.Catalogue(), opts)
			}
			r := checks.Lookup(args[0])
			if r == nil {
				return usage(fmt.Errorf("unknown rule %q; `tmsdrift explain` lists them", args[0]))
			}
			var only *tmsversion.Profile
			if tmsVersion != "" {
				p, err := tmsversion.Lookup(tmsVersion)
				if err != nil {
					return usage(fmt.Errorf("--tms-version: %w", err))
				}
				only = p
			}
			w := cmd.OutOrStdout()
			if err := report.WriteExplanation(w, r, opts); err != nil {
				return err
			}
			return explainProfile(w, r, only)
		},
	}
	cmd.Flags().StringVar(&tmsVersion, "tms-version", "", "show the version facts of this TMS release only (e.g. 15.9)")
	return cmd
}

// explainProfile shows the TMS version facts a rule follows, per release
// or for one, each with its source; the inventory's values beat them.
func explainProfile(w io.Writer, r *checks.Rule, only *tmsversion.Profile) error {
	names := r.ProfileFacts()
	if len(names) == 0 {
		if only != nil {
			fmt.Fprintf(w, "\nBy TMS version\n  The same for every release (%s).\n", only.Name())
		}
		return nil
	}
	fmt.Fprintf(w, "\nBy TMS version (the inventory's values win; docs/tms-versions.md)\n")
	return tmsversion.WriteText(w, names, only)
}
