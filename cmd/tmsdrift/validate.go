package main

import (
	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/checks"
	"github.com/tmsdrift/tmsdrift/inventory"
)

func newValidateCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate -i INVENTORY",
		Short: "Check an inventory and the files it names (reads no facts)",
		Long: `validate loads the inventory and reports every problem with file, line and
field: keys, values (addresses included), roles, and that the snapshot
folders, machine_key.file, database.snapshot and the transports' files
exist. It reads no facts. Exit 0 when it is valid, 2 when it is not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Unlike the audit, which reports a missing key file or db.json
			// as `error` results (contract §7), validate says the inventory
			// is not ready to be audited.
			inv, err := inventory.Load(path, inventory.Options{KnownRules: checks.IDs(), RequireFiles: true})
			if err != nil {
				return usage(err)
			}
			nodes := "nodes"
			if len(inv.Nodes) == 1 {
				nodes = "node"
			}
			say(cmd, "%s: valid (%s, model %s, %d %s)\n", path, inv.Deployment, inv.Model, len(inv.Nodes), nodes)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "inventory", "i", "", "inventory file (YAML)")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}
