package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/inventory"
	"github.com/tmsdrift/tmsdrift/report"
)

func newRulesCmd() *cobra.Command {
	var model, format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rule catalogue",
		Long: `rules lists the rule catalogue: each rule's id, severity, scope (node,
deployment or both), the models it applies to, whether tmsdrift fix has a
fixer for it, and its title. --model keeps the rules of one model. The
markdown format adds the guide section, why and how to fix; it is
docs/rules.md. "tmsdrift explain RULE" tells one rule's whole story.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules := checks.Catalogue()
			if model != "" {
				m := inventory.Model(model)
				if !m.Known() {
					return usage(fmt.Errorf("--model: unknown model %q (want one of %s)", model, modelNames()))
				}
				var only []*checks.Rule
				for _, r := range rules {
					if r.AppliesTo(m) {
						only = append(only, r)
					}
				}
				rules = only
			}
			if !contains(report.RuleFormats, format) {
				return usage(fmt.Errorf("--format: unknown format %q (want %s)", format, joinNames(report.RuleFormats)))
			}
			return report.WriteRules(cmd.OutOrStdout(), format, rules, humanOptions(cmd, ""))
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "only the rules that apply to MODEL")
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output format: table, json or markdown (docs/rules.md is the markdown)")
	return cmd
}

func modelNames() string {
	names := make([]string, len(inventory.Models))
	for i, m := range inventory.Models {
		names[i] = string(m)
	}
	return strings.Join(names, ", ")
}
