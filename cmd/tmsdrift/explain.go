package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/report"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain [RULE]",
		Short: "What a rule checks, why the guide asks for it, and how to fix it",
		Long: `explain RULE prints what the rule checks, the section of the guide it comes
from, why, and how to fix a failure. Without RULE it lists the rules.`,
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
			return report.WriteExplanation(cmd.OutOrStdout(), r, opts)
		},
	}
}
