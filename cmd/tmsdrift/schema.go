package main

import (
	"github.com/spf13/cobra"

	"github.com/tmsdrift/tmsdrift/inventory"
)

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the inventory (for editors)",
		Long: `schema prints the inventory's JSON Schema, generated from the Go types the
loader uses. Save it and point your editor at it, e.g. with the YAML
language server: # yaml-language-server: $schema=./tmsdrift.schema.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := inventory.Schema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(append(data, '\n'))
			return err
		},
	}
}
