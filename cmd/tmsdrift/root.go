package main

import (
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/report"
)

// helpWidth is the width every --help fits: the flag descriptions wrap
// under their column, and a line of a long text that is wider (cobra's
// own completion texts) wraps at spaces, keeping its indentation.
// TestHelpFitsEightyColumns holds the command list and usage lines to it.
const helpWidth = 80

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "tmsdrift",
		Short: "Audit and fix redundant Cisco TMS deployments",
		Long: `tmsdrift checks a redundant Cisco TelePresence Management Suite deployment
against the TMS Server Redundancy Configuration Guide: same domain, synced
clocks, identical paths, one machineKey, the right server addresses in the
database, inactive standbys, one live database, synced customer files.

Start with:  tmsdrift init --model manual-cutover > inventory.yaml
Then:        tmsdrift audit -i inventory.yaml
Fix:         tmsdrift fix -i inventory.yaml (a plan; --apply to change)`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("tmsdrift {{.Version}}\n")
	root.AddCommand(
		newAuditCmd(),
		newValidateCmd(),
		newRulesCmd(),
		newExplainCmd(),
		newVersionsCmd(),
		newDiscoverCmd(),
		newInitCmd(),
		newSchemaCmd(),
		newCollectCmd(),
		newSnapshotCmd(),
		newFixCmd(),
		newPostUpgradeCmd(),
		newRollbackCmd(),
		newPromoteCmd(),
		newActivateOffsiteCmd(),
		newReturnToPrimaryCmd(),
		newUpgradeCmd(),
		newKeygenCmd(),
		newServeCmd(),
		newHistoryCmd(),
		newDiffCmd(),
		newServiceCmd(),
	)
	root.SetUsageTemplate(strings.ReplaceAll(root.UsageTemplate(), "Flags.FlagUsages |", "Flags.FlagUsagesWrapped "+strconv.Itoa(helpWidth)+" |"))
	// cobra adds its completion command when it runs; added here, its
	// texts are wrapped with the others.
	root.InitDefaultCompletionCmd()
	wrapLongs(root)
	return root
}

// wrapLongs wraps the lines of c's long text, and its subcommands', that
// are wider than helpWidth.
func wrapLongs(c *cobra.Command) {
	lines := strings.Split(c.Long, "\n")
	for i, line := range lines {
		if len(line) <= helpWidth {
			continue
		}
		text := strings.TrimLeft(line, " \t")
		indent := line[:len(line)-len(text)]
		lines[i] = strings.TrimSuffix(report.WrapIndent(indent, indent, text, helpWidth), "\n")
	}
	c.Long = strings.Join(lines, "\n")
	for _, sub := range c.Commands() {
		wrapLongs(sub)
	}
}
