package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
)

func newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE",
		Short: "What a rule checks, why the guide asks for it, and how to fix it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := checks.Lookup(args[0])
			if r == nil {
				return usage(fmt.Errorf("unknown rule %q; `tmsdrift rules` lists them", args[0]))
			}
			w := cmd.OutOrStdout()
			fixer := "none: fix it by hand as below"
			if r.Fixable {
				fixer = "yes: tmsdrift fix -i INVENTORY --only " + r.ID
			}
			fmt.Fprintf(w, "%s — %s\n\n", r.ID, r.Title)
			fmt.Fprintf(w, "Severity:  %s\nScope:     %s\nModels:    %s\nGuide:     %q (TMS Server Redundancy Configuration Guide, D14570.02)\nFixer:     %s\n\n",
				r.Severity, r.Scope, modelsOf(r), r.Source, fixer)
			fmt.Fprintf(w, "Why\n%s\n\nHow to fix\n%s\n", wrap(r.Why, 76), wrap(r.Remediation, 76))
			return nil
		},
	}
}

// wrap breaks text into lines of at most width columns, indented by two.
func wrap(text string, width int) string {
	var b strings.Builder
	line := 0
	b.WriteString("  ")
	for _, word := range strings.Fields(text) {
		if line > 0 && line+1+len(word) > width {
			b.WriteString("\n  ")
			line = 0
		}
		if line > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}
