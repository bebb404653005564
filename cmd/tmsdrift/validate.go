package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "validate -i INVENTORY",
		Short: "Check an inventory file and its snapshot folders, nothing else",
		Long: `validate loads the inventory and reports every problem with file, line and
field. Exit 0 when it is valid, 2 when it is not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := loadInventory(path)
			if err != nil {
				return err
			}
			nodes := "nodes"
			if len(inv.Nodes) == 1 {
				nodes = "node"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%s, model %s, %d %s)\n", path, inv.Deployment, inv.Model, len(inv.Nodes), nodes)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "inventory", "i", "", "inventory file (YAML)")
	_ = cmd.MarkFlagRequired("inventory")
	return cmd
}
