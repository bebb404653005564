package main

import (
	"io"

	"github.com/spf13/cobra"
)

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
	return root
}
